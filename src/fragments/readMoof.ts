import { childBoxes } from '../bmff/box.js';
import type { Cursor } from '../bmff/cursor.js';
import { UUID_TFXD } from '../bmff/piff.js';
import { readTfdt } from '../bmff/tfdt.js';
import { readTfhd, TFHD_DEFAULT_SAMPLE_DURATION, TFHD_DEFAULT_SAMPLE_FLAGS } from '../bmff/tfhd.js';
import { readTfxd } from '../bmff/tfxd.js';
import { readTrunTiming } from '../bmff/trun.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { UUID_PIFF_SENC } from '../bmff/piff.js';

/** The timing facts of one `moof`, which must hold exactly one track (a Smooth fragment). */
export interface MoofInfo {
  trackId: number;
  /** `tfdt`: the first sample's decode time. */
  tfdt?: bigint;
  /** PIFF `tfxd`: the fragment's time and duration as its writer announced them. */
  tfxd?: { time: bigint; duration: bigint };
  /** The sum of the samples' durations: how long the fragment really lasts in decode time. */
  duration: bigint;
  /**
   * The first sample's composition offset (0 without one). ffmpeg's `tfxd` time is the
   * first sample's presentation time, which is its decode time plus this.
   */
  firstCompositionOffset: bigint;
  sampleCount: number;
  /**
   * Whether the first sample is a sync sample, from its flags (trun first_sample_flags or
   * sample_flags, else tfhd's or trex's default); undefined when nothing says.
   */
  firstSampleSync: boolean | undefined;
  /** The `traf` carries per-sample encryption data (`senc` or PIFF's sample encryption `uuid`). */
  sampleEncryption?: true;
}

/** sample_is_non_sync_sample in sample flags (ISO/IEC 14496-12 8.8.3.1). */
export const SAMPLE_IS_NON_SYNC = 0x00010000;

/** Whether sample flags mark a sync sample; undefined for undefined. */
export function isSyncFlags(flags: number | undefined): boolean | undefined {
  return flags === undefined ? undefined : (flags & SAMPLE_IS_NON_SYNC) === 0;
}

/**
 * Reads a `moof` payload; `defaultDuration` (and `defaultFlags`) give each track's `trex`
 * default sample duration (and flags), used when neither `tfhd` nor `trun` carries one.
 */
export function readMoof(c: Cursor, defaultDuration: (trackId: number) => number, defaultFlags: (trackId: number) => number | undefined = () => undefined): MoofInfo {
  let info: MoofInfo | undefined;
  for (const box of childBoxes(c, 'moof')) {
    if (box.type !== 'traf') continue;
    if (info) {
      throw new SmoothpubError(
        ErrorCode.UNSUPPORTED_INPUT,
        'moof holds more than one track fragment; Smooth Streaming needs one track per fragment (split it: `ffmpeg -i IN -map 0:v -c copy -f ismv video.ismv` and `-map 0:a ... audio.isma`)',
        { offset: box.offset, boxPath: 'moof/traf' },
      );
    }
    info = readTraf(box.payload, defaultDuration, defaultFlags);
  }
  if (!info) throw new SmoothpubError(ErrorCode.MISSING_BOX, "'moof' has no 'traf' box", { offset: c.offset, boxPath: 'moof' });
  return info;
}

function readTraf(c: Cursor, defaultDuration: (trackId: number) => number, defaultFlags: (trackId: number) => number | undefined): MoofInfo {
  let trackId: number | undefined;
  let tfhdDuration: number | undefined;
  let sampleFlags: number | undefined;
  let firstFlags: number | undefined;
  let firstSeen = false;
  let tfxd: { time: bigint; duration: bigint } | undefined;
  let tfdt: bigint | undefined;
  let sum = 0n;
  let sampleCount = 0;
  let firstCompositionOffset: bigint | undefined;
  let sampleEncryption = false;
  for (const box of childBoxes(c, 'moof/traf')) {
    if (box.type === 'senc' || (box.type === 'uuid' && box.uuid === UUID_PIFF_SENC)) sampleEncryption = true;
    if (box.type === 'tfhd') {
      const tfhd = readTfhd(box.payload);
      trackId = tfhd.trackId;
      if (tfhd.flags & TFHD_DEFAULT_SAMPLE_DURATION) tfhdDuration = tfhd.defaultSampleDuration!;
      sampleFlags = tfhd.flags & TFHD_DEFAULT_SAMPLE_FLAGS ? tfhd.defaultSampleFlags! : defaultFlags(tfhd.trackId);
    } else if (box.type === 'trun') {
      if (trackId === undefined) {
        throw new SmoothpubError(ErrorCode.BAD_BOX, "'trun' before 'tfhd'", { offset: box.offset, boxPath: 'moof/traf/trun' });
      }
      // The trex default is asked for only when a sample has no duration of its own.
      const id = trackId;
      const trun = readTrunTiming(box.payload, () => tfhdDuration ?? defaultDuration(id));
      if (sampleCount === 0 && trun.sampleCount > 0) firstCompositionOffset = BigInt(trun.firstCompositionOffset);
      if (!firstSeen && trun.sampleCount > 0) {
        firstSeen = true;
        firstFlags = trun.firstFlags ?? sampleFlags;
      }
      sampleCount += trun.sampleCount;
      sum += trun.duration;
    } else if (box.type === 'tfdt') {
      tfdt = readTfdt(box.payload).baseMediaDecodeTime;
    } else if (box.type === 'uuid' && box.uuid === UUID_TFXD) {
      tfxd = readTfxd(box.payload);
    }
  }
  if (trackId === undefined) throw new SmoothpubError(ErrorCode.MISSING_BOX, "'traf' has no 'tfhd' box", { offset: c.offset, boxPath: 'moof/traf' });
  const info: MoofInfo = { trackId, duration: sum, firstCompositionOffset: firstCompositionOffset ?? 0n, sampleCount, firstSampleSync: isSyncFlags(firstFlags) };
  if (tfdt !== undefined) info.tfdt = tfdt;
  if (tfxd !== undefined) info.tfxd = tfxd;
  if (sampleEncryption) info.sampleEncryption = true;
  return info;
}
