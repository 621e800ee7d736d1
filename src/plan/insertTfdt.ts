import { readTfhd } from '../bmff/tfhd.js';
import { writeTfdt } from '../bmff/tfdt.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { CMAF_TRACK_ID } from '../formats/model.js';
import { PRESENTATION_TIME_SCALE } from '../smooth/timeScale.js';
import { retimeMoof } from '../fragments/retimeMoof.js';
import { spliceTraf, trafParts } from '../fragments/spliceTraf.js';
import { tfdtPlacement } from '../fragments/tfdtGrowth.js';

export interface DecodeTiming {
  /** The fragment's first sample's decode time on the presentation clock (10 MHz); negative for codec priming. */
  time: bigint;
  duration: bigint;
  /** The track's `trex` default sample duration, for samples that carry none. */
  trexDefaultDuration: number;
}

/**
 * A fragment's `moof` with a `tfdt` saying when its first sample decodes, for DASH and
 * HLS players, which place samples by it (Smooth clients take times from the Manifest and
 * PIFF `tfxd`, and keep playing with it), and naming track CMAF_TRACK_ID, as every init
 * segment does. Undefined when the `moof` has both already.
 *
 * The common case (ffmpeg, IIS, Expression Encoder: `tfxd` only, data offsets relative to
 * the `moof`) is an insertion: a 20-byte `tfdt` after `tfhd`, the sizes and the `trun`
 * data offsets moved by 20, every other byte as it was. A first fragment that starts
 * before 0 (AAC priming: `tfdt` is unsigned) starts at 0, as the Manifest announces it:
 * its samples keep their durations, so they run one priming frame into the next
 * fragment's time, as dash.js's Smooth support places them and as Shaka Packager does for
 * DASH. Leaving the priming frame out of the `trun` would be exact, but dash.js's Smooth
 * support rewrites every `trun` data offset to the start of the `mdat` payload and then
 * decodes the wrong bytes. A `moof` whose data offsets are absolute (`tfhd`
 * base_data_offset), which a body served on its own cannot keep, is rebuilt (retimeMoof).
 */
export function withTfdt(moof: Uint8Array, offset: number, timing: DecodeTiming): Uint8Array | undefined {
  const parts = trafParts(moof, offset);
  const placement = tfdtPlacement(moof, offset, parts);
  const tfhd = parts.tfhd!;
  const fields = readTfhd(tfhd.payload);
  // Where tfhd's track_ID is: it stays there when a tfdt is inserted after the tfhd.
  const rename = fields.trackId === CMAF_TRACK_ID ? (out: Uint8Array): Uint8Array => out : renameTrack(tfhd.offset - offset + tfhd.headerSize + 4);
  if (placement === 'has') return fields.trackId === CMAF_TRACK_ID ? undefined : rename(moof.slice());
  if (placement === 'rebuilt') {
    const rebuilt = retimeMoof(moof, offset, { ...timing, timescale: PRESENTATION_TIME_SCALE, startAtZero: true, trackId: CMAF_TRACK_ID });
    if (!rebuilt) throw new SmoothpubError(ErrorCode.UNSUPPORTED_INPUT, "this fragment's 'moof' carries sample auxiliary information (CENC) that cannot be moved to add a 'tfdt'", { offset, boxPath: 'moof/traf' });
    return rebuilt.moof;
  }
  const at = tfhd.offset - offset + tfhd.size;
  const tfdt = writeTfdt({ version: 1, baseMediaDecodeTime: timing.time < 0n ? 0n : timing.time });
  return rename(spliceTraf(moof, offset, parts, at, at, tfdt));
}

/** Writes CMAF_TRACK_ID into a moof's tfhd, whose track_ID field is at byte `at`. */
function renameTrack(at: number): (moof: Uint8Array) => Uint8Array {
  return (moof) => {
    new DataView(moof.buffer, moof.byteOffset, moof.byteLength).setUint32(at, CMAF_TRACK_ID);
    return moof;
  };
}

