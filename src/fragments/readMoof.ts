import { childBoxes } from '../bmff/box.js';
import type { Cursor } from '../bmff/cursor.js';
import { UUID_TFXD } from '../bmff/piff.js';
import { readTfdt } from '../bmff/tfdt.js';
import { readTfhd, TFHD_BASE_DATA_OFFSET, TFHD_DEFAULT_SAMPLE_DURATION, TFHD_DEFAULT_SAMPLE_FLAGS, TFHD_DEFAULT_SAMPLE_SIZE, TFHD_SAMPLE_DESCRIPTION_INDEX } from '../bmff/tfhd.js';
import { readTfxd, type Tfxd } from '../bmff/tfxd.js';
import { readTrunTiming, trunSampleBytes, trunTimingAt, TRUN_DATA_OFFSET, TRUN_FIRST_SAMPLE_FLAGS } from '../bmff/trun.js';
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
  const fast = readMoofFast(c, defaultDuration, defaultFlags);
  if (fast === undefined) return readMoofChecked(c, defaultDuration, defaultFlags);
  c.pos = c.end;
  return fast;
}

/** readMoof through the generic box readers, each error with its own message: for any `moof` readMoofFast leaves to it. */
export function readMoofChecked(c: Cursor, defaultDuration: (trackId: number) => number, defaultFlags: (trackId: number) => number | undefined = () => undefined): MoofInfo {
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

const BOX_TRAF = 0x74726166;
const BOX_TFHD = 0x74666864;
const BOX_TRUN = 0x7472756e;
const BOX_TFDT = 0x74666474;
const BOX_SENC = 0x73656e63;
const BOX_UUID = 0x75756964;
const TFXD_BYTES = hexBytes(UUID_TFXD);
const PIFF_SENC_BYTES = hexBytes(UUID_PIFF_SENC);

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
}

function uuidIs(bytes: Uint8Array, at: number, uuid: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (bytes[at + i] !== uuid[i]) return false;
  return true;
}

/**
 * readMoof for a well-formed `moof`, reading its boxes in place: indexing reads one per
 * fragment, thousands per presentation, and the generic readers make an object, a string
 * and a cursor per box. Undefined for anything out of the ordinary (a 64-bit or to-the-end
 * box size, a box overrunning its parent, stray bytes, a second `traf`, a field cut short,
 * a missing `tfhd`), which readMoofChecked then reads (and reports) as it always did.
 */
function readMoofFast(c: Cursor, defaultDuration: (trackId: number) => number, defaultFlags: (trackId: number) => number | undefined): MoofInfo | undefined {
  const bytes = c.bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let info: MoofInfo | undefined;
  for (let at = c.pos; at < c.end; ) {
    if (c.end - at < 8) return undefined;
    const size = view.getUint32(at);
    const type = view.getUint32(at + 4);
    if (size < (type === BOX_UUID ? 24 : 8) || at + size > c.end) return undefined;
    if (type === BOX_TRAF) {
      if (info) return undefined;
      info = readTrafFast(bytes, view, at + 8, at + size, defaultDuration, defaultFlags);
      if (!info) return undefined;
    }
    at += size;
  }
  return info;
}

function readTrafFast(bytes: Uint8Array, view: DataView, start: number, end: number, defaultDuration: (trackId: number) => number, defaultFlags: (trackId: number) => number | undefined): MoofInfo | undefined {
  let trackId: number | undefined;
  let tfhdDuration: number | undefined;
  let sampleFlags: number | undefined;
  let firstFlags: number | undefined;
  let firstSeen = false;
  // As readTfxd gives it (the checked path keeps that object whole).
  let tfxd: Tfxd | undefined;
  let tfdt: bigint | undefined;
  let sum = 0n;
  let sampleCount = 0;
  let firstCompositionOffset = 0n;
  let sampleEncryption = false;
  for (let at = start; at < end; ) {
    if (end - at < 8) return undefined;
    const size = view.getUint32(at);
    const type = view.getUint32(at + 4);
    if (size < (type === BOX_UUID ? 24 : 8) || at + size > end) return undefined;
    const payload = type === BOX_UUID ? at + 24 : at + 8;
    const payloadEnd = at + size;
    if (type === BOX_TFHD) {
      if (payloadEnd - payload < 8) return undefined;
      const flags = view.getUint32(payload) & 0xffffff;
      const id = view.getUint32(payload + 4);
      let p = payload + 8;
      if (flags & TFHD_BASE_DATA_OFFSET) p += 8;
      if (flags & TFHD_SAMPLE_DESCRIPTION_INDEX) p += 4;
      let duration: number | undefined;
      if (flags & TFHD_DEFAULT_SAMPLE_DURATION) {
        if (p + 4 > payloadEnd) return undefined;
        duration = view.getUint32(p);
        p += 4;
      }
      if (flags & TFHD_DEFAULT_SAMPLE_SIZE) p += 4;
      let ownFlags: number | undefined;
      if (flags & TFHD_DEFAULT_SAMPLE_FLAGS) {
        if (p + 4 > payloadEnd) return undefined;
        ownFlags = view.getUint32(p);
        p += 4;
      }
      if (p > payloadEnd) return undefined;
      trackId = id;
      if (duration !== undefined) tfhdDuration = duration;
      sampleFlags = ownFlags ?? defaultFlags(id);
    } else if (type === BOX_TRUN) {
      if (trackId === undefined || payloadEnd - payload < 8) return undefined;
      const flags = view.getUint32(payload) & 0xffffff;
      const count = view.getUint32(payload + 4);
      let p = payload + 8;
      if (flags & TRUN_DATA_OFFSET) p += 4;
      let first: number | undefined;
      if (flags & TRUN_FIRST_SAMPLE_FLAGS) {
        if (p + 4 > payloadEnd) return undefined;
        first = view.getUint32(p);
        p += 4;
      }
      if (p + trunSampleBytes(flags) * count > payloadEnd) return undefined;
      const id = trackId;
      const trun = trunTimingAt(view, p, bytes[payload]!, flags, count, first, () => tfhdDuration ?? defaultDuration(id));
      if (count > 0) {
        if (sampleCount === 0) firstCompositionOffset = BigInt(trun.firstCompositionOffset);
        if (!firstSeen) {
          firstSeen = true;
          firstFlags = trun.firstFlags ?? sampleFlags;
        }
        sum += trun.duration;
        sampleCount += count;
      }
    } else if (type === BOX_TFDT) {
      if (payloadEnd - payload < 4) return undefined;
      if (bytes[payload] === 1) {
        if (payloadEnd - payload < 12) return undefined;
        tfdt = view.getBigUint64(payload + 4);
      } else {
        if (payloadEnd - payload < 8) return undefined;
        tfdt = BigInt(view.getUint32(payload + 4));
      }
    } else if (type === BOX_SENC) {
      sampleEncryption = true;
    } else if (type === BOX_UUID) {
      if (uuidIs(bytes, at + 8, PIFF_SENC_BYTES)) sampleEncryption = true;
      else if (uuidIs(bytes, at + 8, TFXD_BYTES)) {
        if (payloadEnd - payload < 4) return undefined;
        if (bytes[payload] === 1) {
          if (payloadEnd - payload < 20) return undefined;
          tfxd = { type: 'tfxd', version: 1, time: BigInt.asIntN(64, view.getBigUint64(payload + 4)), duration: view.getBigUint64(payload + 12) };
        } else {
          if (payloadEnd - payload < 12) return undefined;
          tfxd = { type: 'tfxd', version: bytes[payload]!, time: BigInt(view.getUint32(payload + 4)), duration: BigInt(view.getUint32(payload + 8)) };
        }
      }
    }
    at += size;
  }
  if (trackId === undefined) return undefined;
  const info: MoofInfo = { trackId, duration: sum, firstCompositionOffset, sampleCount, firstSampleSync: isSyncFlags(firstFlags) };
  if (tfdt !== undefined) info.tfdt = tfdt;
  if (tfxd !== undefined) info.tfxd = tfxd;
  if (sampleEncryption) info.sampleEncryption = true;
  return info;
}
