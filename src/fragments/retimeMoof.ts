import { childBoxes, type Box } from '../bmff/box.js';
import { Cursor } from '../bmff/cursor.js';
import { UUID_TFRF, UUID_TFXD } from '../bmff/piff.js';
import { writeTfdt } from '../bmff/tfdt.js';
import {
  readTfhd,
  TFHD_BASE_DATA_OFFSET,
  TFHD_DEFAULT_BASE_IS_MOOF,
  TFHD_DEFAULT_SAMPLE_DURATION,
  writeTfhd,
  type Tfhd,
} from '../bmff/tfhd.js';
import { readTfdt } from '../bmff/tfdt.js';
import { readTrun, TRUN_DATA_OFFSET, TRUN_FIRST_SAMPLE_FLAGS, TRUN_SAMPLE_CTO, TRUN_SAMPLE_DURATION, trunSampleBytes, writeTrun, type Trun, type TrunSample } from '../bmff/trun.js';
import { writeTfxd } from '../bmff/tfxd.js';
import { box, plainHeaderSize } from '../bmff/writer.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { toPresentationTime } from '../smooth/timeScale.js';

/** More samples than a fragment of any real track holds: a `trun` claiming more is refused, not expanded. */
const MAX_FRAGMENT_SAMPLES = 1 << 20;

/** Boxes whose offsets point into the data relative to the `moof` (CENC): a rebuilt `moof` would move them. */
const OFFSET_BOXES = new Set(['saio', 'saiz', 'senc']);

export interface MoofTiming {
  /** The fragment's start and duration as the index has them, track timescale. */
  time: bigint;
  duration: bigint;
  timescale: number;
  /** The track's `trex` default sample duration, for samples that carry none. */
  trexDefaultDuration: number;
  /**
   * For DASH and HLS, whose players need a `tfdt` (unsigned): a fragment that starts
   * before 0 (codec priming) gets a `tfdt` of 0, its samples and their durations as they
   * are, its `tfxd` still the negative start (see withTfdt).
   */
  startAtZero?: boolean;
  /** The track ID to write in `tfhd` (DASH and HLS: every level's is the same), default the source's. */
  trackId?: number;
}

export interface RetimedMoof {
  /** The new `moof`, to be followed by the source's `mdat` as it is. */
  moof: Uint8Array;
  /** Start and duration in presentation ticks. */
  time: bigint;
  duration: bigint;
  /** Some sample took its duration from `trexDefaultDuration`. */
  usedTrexDefault: boolean;
}

/**
 * A fragment's `moof` rebuilt on the presentation clock (10 MHz): every sample's decode and
 * presentation time converted on its own, `trun` durations and composition offsets their
 * differences, `tfdt` and `tfxd` the converted start, data offsets moved by as much as the
 * `moof` grew, so the `mdat` that follows stays byte for byte the source's. `bytes` holds
 * the `moof` (from its header), which starts at file offset `offset`. Undefined when the
 * `moof` carries boxes this cannot move (CENC sample auxiliary information).
 */
export function retimeMoof(bytes: Uint8Array, offset: number, timing: MoofTiming): RetimedMoof | undefined {
  const top = new Cursor(bytes, offset, 'moof');
  const header = top.u32() === 1 ? 16 : 8;
  const oldSize = bytes.length;
  const moof = new Cursor(bytes, offset, 'moof', header, oldSize);
  const raw = (b: Box): Uint8Array => bytes.subarray(b.offset - offset, b.offset - offset + b.size);
  const before: Uint8Array[] = [];
  let traf: Box | undefined;
  for (const b of childBoxes(moof, 'moof')) {
    if (b.type === 'traf') traf = b;
    else before.push(raw(b));
  }
  if (!traf) throw new SmoothpubError(ErrorCode.MISSING_BOX, "'moof' has no 'traf' box", { offset, boxPath: 'moof' });

  let tfhd: Tfhd | undefined;
  let baseDecode: bigint | undefined;
  const truns: Trun[] = [];
  // traf children in order; a trun stands as its index into `truns`.
  const children: (Uint8Array | number)[] = [];
  for (const b of childBoxes(traf.payload, 'moof/traf')) {
    if (OFFSET_BOXES.has(b.type)) return undefined;
    if (b.type === 'tfhd') tfhd = readTfhd(b.payload);
    else if (b.type === 'tfdt') baseDecode = readTfdt(b.payload).baseMediaDecodeTime;
    else if (b.type === 'trun') children.push(truns.push(readTrun(b.payload)) - 1);
    // tfxd is written anew; tfrf announces live fragments to come, on the old clock.
    else if (!(b.type === 'uuid' && (b.uuid === UUID_TFXD || b.uuid === UUID_TFRF))) children.push(raw(b));
  }
  if (!tfhd) throw new SmoothpubError(ErrorCode.MISSING_BOX, "'traf' has no 'tfhd' box", { offset: traf.offset, boxPath: 'moof/traf' });

  const { timescale } = timing;
  const convert = (t: bigint): bigint => toPresentationTime(t, timescale);
  const defaultDuration = tfhd.flags & TFHD_DEFAULT_SAMPLE_DURATION ? tfhd.defaultSampleDuration! : timing.trexDefaultDuration;
  // Data offsets are relative to the base: tfhd's explicit one, else the moof (one traf).
  const base = tfhd.flags & TFHD_BASE_DATA_OFFSET ? Number(tfhd.baseDataOffset!) : offset;
  let usedTrexDefault = false;
  let decode = baseDecode ?? timing.time;
  // tfdt is unsigned: a start before 0 (priming) goes without, as ffmpeg's ISMV fragments
  // do, or (startAtZero) says 0; tfxd keeps the negative start, which Smooth clients and
  // verify know priming by.
  const start = timing.startAtZero === true && convert(decode) < 0n ? 0n : convert(decode);
  const rebuilt = truns.map((trun, n) => {
    if (trun.sampleCount > MAX_FRAGMENT_SAMPLES) {
      throw new SmoothpubError(ErrorCode.BAD_BOX, `'trun' declares ${trun.sampleCount} samples, more than any fragment holds`, { offset, boxPath: 'moof/traf/trun' });
    }
    const samples: TrunSample[] = [];
    let signed = trun.version !== 0;
    for (let i = 0; i < trun.sampleCount; i++) {
      const s: TrunSample = { ...trun.samples[i] };
      if (s.duration === undefined && !(tfhd.flags & TFHD_DEFAULT_SAMPLE_DURATION)) usedTrexDefault = true;
      const duration = BigInt(s.duration ?? defaultDuration);
      const from = convert(decode);
      const to = convert(decode + duration);
      s.duration = Number(to - from);
      if (trun.flags & TRUN_SAMPLE_CTO) {
        // Version 0 is unsigned by the letter, but muxers store negative offsets there as
        // two's complement and demuxers read them signed: so do we.
        const cto = BigInt(s.compositionTimeOffset! | 0);
        s.compositionTimeOffset = Number(convert(decode + cto) - from);
        if (s.compositionTimeOffset < 0) signed = true;
      }
      samples.push(s);
      decode += duration;
    }
    // The first run's data starts at the base unless it says otherwise; later runs without
    // an offset follow the one before, wherever that is.
    const dataAt = trun.flags & TRUN_DATA_OFFSET || n === 0 ? base + (trun.dataOffset ?? 0) - offset : undefined;
    return { trun: { ...trun, version: signed ? 1 : trun.version, flags: trun.flags | TRUN_SAMPLE_DURATION | (dataAt === undefined ? 0 : TRUN_DATA_OFFSET), samples }, dataAt };
  });

  const time = convert(timing.time);
  const duration = convert(timing.time + timing.duration) - time;
  const newTfhd = writeTfhd({ ...tfhd, trackId: timing.trackId ?? tfhd.trackId, flags: retimedTfhdFlags(tfhd) });
  const build = (grown: number): Uint8Array => {
    const parts = [newTfhd];
    if (start >= 0n) parts.push(writeTfdt({ version: 1, baseMediaDecodeTime: start }));
    for (const c of children) {
      if (typeof c !== 'number') {
        parts.push(c);
        continue;
      }
      const { trun, dataAt } = rebuilt[c]!;
      parts.push(writeTrun(dataAt === undefined ? trun : { ...trun, dataOffset: dataAt + grown }));
    }
    parts.push(writeTfxd({ version: 1, time, duration }));
    return box('moof', ...before, box('traf', ...parts));
  };
  // Offsets do not change sizes: laid out once, by the length retimedLength gives (what
  // indexing recorded as the fragment's tfdtGrowth); were that ever off, the data offsets
  // follow the moof as built (tests hold the two equal on every fixture).
  const grown = retimedLength(bytes, offset, start >= 0n)! - oldSize;
  const out = build(grown);
  return { moof: out.length === oldSize + grown ? out : build(out.length - oldSize), time, duration, usedTrexDefault };
}

/**
 * The length of the `moof` retimeMoof makes of `bytes`, with a `tfdt` or without, from
 * its boxes' headers and each `trun`'s flags and sample count: no sample is read, so a
 * `trun` of a million samples costs what any other does. Undefined where retimeMoof is.
 */
export function retimedLength(bytes: Uint8Array, offset: number, withTfdt: boolean): number | undefined {
  const header = new Cursor(bytes, offset, 'moof').u32() === 1 ? 16 : 8;
  let length = 0;
  let traf: Box | undefined;
  for (const b of childBoxes(new Cursor(bytes, offset, 'moof', header, bytes.length), 'moof')) {
    if (b.type === 'traf') traf = b;
    else length += b.size;
  }
  if (!traf) throw new SmoothpubError(ErrorCode.MISSING_BOX, "'moof' has no 'traf' box", { offset, boxPath: 'moof' });
  let tfhd: Tfhd | undefined;
  let trafLength = (withTfdt ? writeTfdt({ version: 1, baseMediaDecodeTime: 0n }).length : 0) + writeTfxd({ version: 1, time: 0n, duration: 0n }).length;
  let runs = 0;
  for (const b of childBoxes(traf.payload, 'moof/traf')) {
    if (OFFSET_BOXES.has(b.type)) return undefined;
    if (b.type === 'tfhd') tfhd = readTfhd(b.payload);
    else if (b.type === 'trun') {
      // As retimeMoof writes it: every sample's duration, the first run's data offset always.
      const at = b.offset - offset + b.headerSize;
      const flags = (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]! | TRUN_SAMPLE_DURATION | (runs++ === 0 ? TRUN_DATA_OFFSET : 0);
      const count = new DataView(bytes.buffer, bytes.byteOffset + at + 4, 4).getUint32(0);
      const payload = 8 + (flags & TRUN_DATA_OFFSET ? 4 : 0) + (flags & TRUN_FIRST_SAMPLE_FLAGS ? 4 : 0) + count * trunSampleBytes(flags);
      trafLength += plainHeaderSize(payload) + payload;
    } else if (b.type !== 'tfdt' && !(b.type === 'uuid' && (b.uuid === UUID_TFXD || b.uuid === UUID_TFRF))) trafLength += b.size;
  }
  if (!tfhd) throw new SmoothpubError(ErrorCode.MISSING_BOX, "'traf' has no 'tfhd' box", { offset: traf.offset, boxPath: 'moof/traf' });
  trafLength += writeTfhd({ ...tfhd, flags: retimedTfhdFlags(tfhd) }).length;
  length += plainHeaderSize(trafLength) + trafLength;
  return plainHeaderSize(length) + length;
}

/** A retimed `tfhd`'s flags: data offsets from the `moof`, every sample's duration in the `trun`. */
function retimedTfhdFlags(tfhd: Tfhd): number {
  return (tfhd.flags & ~(TFHD_BASE_DATA_OFFSET | TFHD_DEFAULT_SAMPLE_DURATION)) | TFHD_DEFAULT_BASE_IS_MOOF;
}
