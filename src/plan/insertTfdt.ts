import { childBoxes, type Box } from '../bmff/box.js';
import { Cursor } from '../bmff/cursor.js';
import { readTfhd, TFHD_BASE_DATA_OFFSET } from '../bmff/tfhd.js';
import { writeTfdt } from '../bmff/tfdt.js';
import { TRUN_DATA_OFFSET } from '../bmff/trun.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { CMAF_TRACK_ID } from '../formats/model.js';
import { PRESENTATION_TIME_SCALE } from '../smooth/timeScale.js';
import { retimeMoof } from './retimeMoof.js';

/** A `tfdt` of version 1: 8-byte header, 4 bytes version and flags, the 8-byte time. */
const TFDT_V1_SIZE = 20;

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
  const header = new Cursor(moof, offset, 'moof').u32() === 1 ? 16 : 8;
  let traf: Box | undefined;
  for (const b of childBoxes(new Cursor(moof, offset, 'moof', header, moof.length), 'moof')) if (b.type === 'traf') traf = b;
  if (!traf) throw new SmoothpubError(ErrorCode.MISSING_BOX, "'moof' has no 'traf' box", { offset, boxPath: 'moof' });
  let tfhd: Box | undefined;
  let hasTfdt = false;
  const truns: Box[] = [];
  const saios: Box[] = [];
  for (const b of childBoxes(traf.payload, 'moof/traf')) {
    if (b.type === 'tfdt') hasTfdt = true;
    else if (b.type === 'tfhd') tfhd = b;
    else if (b.type === 'trun') truns.push(b);
    else if (b.type === 'saio') saios.push(b);
  }
  if (!tfhd) throw new SmoothpubError(ErrorCode.MISSING_BOX, "'traf' has no 'tfhd' box", { offset: traf.offset, boxPath: 'moof/traf' });
  const fields = readTfhd(tfhd.payload);
  // Where tfhd's track_ID is: it stays there when a tfdt is inserted after the tfhd.
  const rename = fields.trackId === CMAF_TRACK_ID ? (out: Uint8Array): Uint8Array => out : renameTrack(tfhd.offset - offset + tfhd.headerSize + 4);
  if (hasTfdt) return fields.trackId === CMAF_TRACK_ID ? undefined : rename(moof.slice());
  const firstHasOffset = truns.length === 0 || trunFlags(moof, truns[0]!, offset) & TRUN_DATA_OFFSET;
  if (fields.flags & TFHD_BASE_DATA_OFFSET || !firstHasOffset || header !== 8 || traf.headerSize !== 8) {
    const rebuilt = retimeMoof(moof, offset, { ...timing, timescale: PRESENTATION_TIME_SCALE, startAtZero: true, trackId: CMAF_TRACK_ID });
    if (!rebuilt) throw new SmoothpubError(ErrorCode.UNSUPPORTED_INPUT, "this fragment's 'moof' carries sample auxiliary information (CENC) that cannot be moved to add a 'tfdt'", { offset, boxPath: 'moof/traf' });
    return rebuilt.moof;
  }
  return rename(insertAfter(moof, offset, traf, tfhd, truns, saios, timing.time < 0n ? 0n : timing.time));
}

/** Writes CMAF_TRACK_ID into a moof's tfhd, whose track_ID field is at byte `at`. */
function renameTrack(at: number): (moof: Uint8Array) => Uint8Array {
  return (moof) => {
    new DataView(moof.buffer, moof.byteOffset, moof.byteLength).setUint32(at, CMAF_TRACK_ID);
    return moof;
  };
}

function trunFlags(moof: Uint8Array, trun: Box, offset: number): number {
  const at = trun.offset - offset + trun.headerSize;
  return (moof[at + 1]! << 16) | (moof[at + 2]! << 8) | moof[at + 3]!;
}

/**
 * The insertion: boxes before and after copied, three sizes and the data offsets patched.
 * An encrypted fragment's `saio` (ISO/IEC 14496-12 8.7.13) points at its sample
 * auxiliary information (the IVs in `senc` or PIFF's `uuid`) by an offset from the same
 * base as the `trun` data offsets, here the `moof`'s first byte: an offset past the
 * insertion moves by 20 too, so the `senc` after the `tfdt` is still found.
 */
function insertAfter(moof: Uint8Array, offset: number, traf: Box, tfhd: Box, truns: Box[], saios: Box[], time: bigint): Uint8Array {
  const tfdt = writeTfdt({ version: 1, baseMediaDecodeTime: time });
  const at = tfhd.offset - offset + tfhd.size;
  const out = new Uint8Array(moof.length + TFDT_V1_SIZE);
  out.set(moof.subarray(0, at), 0);
  out.set(tfdt, at);
  out.set(moof.subarray(at), at + TFDT_V1_SIZE);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(0, moof.length + TFDT_V1_SIZE);
  view.setUint32(traf.offset - offset, traf.size + TFDT_V1_SIZE);
  for (const trun of truns) {
    // trun: header, version and flags, sample_count, then data_offset when flagged.
    if (!(trunFlags(moof, trun, offset) & TRUN_DATA_OFFSET)) continue;
    const field = trun.offset - offset + trun.headerSize + 8 + (trun.offset - offset >= at ? TFDT_V1_SIZE : 0);
    view.setInt32(field, view.getInt32(field) + TFDT_V1_SIZE);
  }
  for (const saio of saios) {
    // saio: header, version and flags, [aux_info_type, parameter], entry_count, offsets (32 or 64 bits).
    let field = saio.offset - offset + saio.headerSize + TFDT_V1_SIZE;
    const version = out[field]!;
    const flags = (out[field + 1]! << 16) | (out[field + 2]! << 8) | out[field + 3]!;
    field += 4 + (flags & 1 ? 8 : 0);
    const count = view.getUint32(field);
    field += 4;
    const end = saio.offset - offset + saio.size + TFDT_V1_SIZE;
    if (field + count * (version === 0 ? 4 : 8) > end) {
      throw new SmoothpubError(ErrorCode.BAD_BOX, `'saio' lists ${count} offsets, more than its ${saio.size} bytes hold`, { offset: saio.offset, boxPath: 'moof/traf/saio' });
    }
    for (let i = 0; i < count; i++, field += version === 0 ? 4 : 8) {
      if (version === 0) {
        const v = view.getUint32(field);
        if (v >= at) view.setUint32(field, v + TFDT_V1_SIZE);
      } else {
        const v = view.getBigUint64(field);
        if (v >= BigInt(at)) view.setBigUint64(field, v + BigInt(TFDT_V1_SIZE));
      }
    }
  }
  return out;
}
