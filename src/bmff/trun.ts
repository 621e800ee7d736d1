import { type Cursor, readFullBoxHeader } from './cursor.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { type BoxInput, ByteWriter, fullBox, required } from './writer.js';

export const TRUN_DATA_OFFSET = 0x000001;
export const TRUN_FIRST_SAMPLE_FLAGS = 0x000004;
export const TRUN_SAMPLE_DURATION = 0x000100;
export const TRUN_SAMPLE_SIZE = 0x000200;
export const TRUN_SAMPLE_FLAGS = 0x000400;
export const TRUN_SAMPLE_CTO = 0x000800;


export interface TrunSample {
  duration?: number;
  size?: number;
  flags?: number;
  /** Composition time offset; signed in version 1. */
  compositionTimeOffset?: number;
}

export interface Trun {
  type: 'trun';
  version: number;
  flags: number;
  sampleCount: number;
  dataOffset?: number;
  firstSampleFlags?: number;
  /** One entry per sample; empty when the trun has no per-sample fields (all samples use the defaults). */
  samples: TrunSample[];
}

export function readTrun(c: Cursor): Trun {
  const { version, flags } = readFullBoxHeader(c);
  const sampleCount = c.u32();
  const box: Trun = { type: 'trun', version, flags, sampleCount, samples: [] };
  if (flags & TRUN_DATA_OFFSET) box.dataOffset = c.i32();
  if (flags & TRUN_FIRST_SAMPLE_FLAGS) box.firstSampleFlags = c.u32();
  const perSample =
    (flags & TRUN_SAMPLE_DURATION ? 4 : 0) + (flags & TRUN_SAMPLE_SIZE ? 4 : 0) + (flags & TRUN_SAMPLE_FLAGS ? 4 : 0) + (flags & TRUN_SAMPLE_CTO ? 4 : 0);
  // Check the whole table fits before allocating: a corrupt count must not allocate gigabytes.
  c.need(perSample * sampleCount);
  // Without a table nothing bounds the count: keep `samples` empty (every sample uses
  // the defaults) so a hostile count costs nothing.
  if (perSample === 0) return box;
  for (let i = 0; i < sampleCount; i++) {
    const s: TrunSample = {};
    if (flags & TRUN_SAMPLE_DURATION) s.duration = c.u32();
    if (flags & TRUN_SAMPLE_SIZE) s.size = c.u32();
    if (flags & TRUN_SAMPLE_FLAGS) s.flags = c.u32();
    if (flags & TRUN_SAMPLE_CTO) s.compositionTimeOffset = version === 0 ? c.u32() : c.i32();
    box.samples.push(s);
  }
  return box;
}

/** What indexing needs of a `trun`, read without an object per sample (readTrunTiming). */
export interface TrunTiming {
  sampleCount: number;
  /** The sum of the samples' durations, each `fallback()` where the table has none. */
  duration: bigint;
  /** `first_sample_flags`, else the first sample's own flags; undefined when the trun has neither. */
  firstFlags: number | undefined;
  /** The first sample's composition time offset (0 without one). */
  firstCompositionOffset: number;
}

/** Sums below this stay exact as a double however many u32 durations are added next (one at a time). */
const EXACT_SUM = 2 ** 52;

/**
 * The same fields and checks as readTrun, reduced to what an index keeps: a `trun` of a
 * 2 s video fragment has some 50 samples, and an object and a BigInt for each made
 * indexing a long ladder allocate hundreds of thousands of them.
 */
export function readTrunTiming(c: Cursor, fallback: () => number): TrunTiming {
  const { version, flags } = readFullBoxHeader(c);
  const sampleCount = c.u32();
  if (flags & TRUN_DATA_OFFSET) c.skip(4);
  const firstFlags = flags & TRUN_FIRST_SAMPLE_FLAGS ? c.u32() : undefined;
  const tableBytes = trunSampleBytes(flags) * sampleCount;
  c.need(tableBytes);
  const timing = trunTimingAt(new DataView(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength), c.pos, version, flags, sampleCount, firstFlags, fallback);
  c.skip(tableBytes);
  return timing;
}

/** Bytes of each sample's entry in a `trun` with these flags. */
export function trunSampleBytes(flags: number): number {
  return (flags & TRUN_SAMPLE_DURATION ? 4 : 0) + (flags & TRUN_SAMPLE_SIZE ? 4 : 0) + (flags & TRUN_SAMPLE_FLAGS ? 4 : 0) + (flags & TRUN_SAMPLE_CTO ? 4 : 0);
}

/**
 * readTrunTiming's fields from a sample table of `sampleCount` entries at `at` in `view`,
 * its bounds already checked by the caller; `firstFlags`: the trun's `first_sample_flags`.
 * For readers that walk a `moof` in place as well as through a Cursor.
 */
export function trunTimingAt(view: DataView, at: number, version: number, flags: number, sampleCount: number, firstFlags: number | undefined, fallback: () => number): TrunTiming {
  if (sampleCount === 0) return { sampleCount, duration: 0n, firstFlags, firstCompositionOffset: 0 };
  const hasDuration = (flags & TRUN_SAMPLE_DURATION) !== 0;
  const perSample = trunSampleBytes(flags);
  // The first sample's flags and composition offset, where the table has them.
  let q = at + (hasDuration ? 4 : 0) + (flags & TRUN_SAMPLE_SIZE ? 4 : 0);
  if (flags & TRUN_SAMPLE_FLAGS) {
    firstFlags ??= view.getUint32(q);
    q += 4;
  }
  const firstCompositionOffset = flags & TRUN_SAMPLE_CTO ? (version === 0 ? view.getUint32(q) : view.getInt32(q)) : 0;
  // Every sample lasts the default when the table has no durations.
  if (!hasDuration) return { sampleCount, duration: BigInt(sampleCount) * BigInt(fallback()), firstFlags, firstCompositionOffset };
  let duration = 0n;
  let sum = 0;
  for (let i = 0, p = at; i < sampleCount; i++, p += perSample) {
    sum += view.getUint32(p);
    if (sum >= EXACT_SUM) {
      duration += BigInt(sum);
      sum = 0;
    }
  }
  return { sampleCount, duration: duration + BigInt(sum), firstFlags, firstCompositionOffset };
}

/**
 * Writes the fields `flags` calls for, for every sample (each must be present);
 * `sampleCount` must equal `samples.length`.
 */
export function writeTrun(box: BoxInput<Trun>): Uint8Array {
  const f = box.flags;
  const tableLess = (box.flags & (TRUN_SAMPLE_DURATION | TRUN_SAMPLE_SIZE | TRUN_SAMPLE_FLAGS | TRUN_SAMPLE_CTO)) === 0;
  if (!tableLess && box.sampleCount !== box.samples.length) {
    throw new SmoothpubError(ErrorCode.BAD_BOX, `cannot write trun: sampleCount is ${box.sampleCount} but ${box.samples.length} samples are given`, { boxPath: 'trun' });
  }
  const perSample = (f & TRUN_SAMPLE_DURATION ? 4 : 0) + (f & TRUN_SAMPLE_SIZE ? 4 : 0) + (f & TRUN_SAMPLE_FLAGS ? 4 : 0) + (f & TRUN_SAMPLE_CTO ? 4 : 0);
  const size = 4 + (f & TRUN_DATA_OFFSET ? 4 : 0) + (f & TRUN_FIRST_SAMPLE_FLAGS ? 4 : 0) + perSample * box.samples.length;
  const w = new ByteWriter(size, 'trun').u32(box.sampleCount, 'sample_count');
  if (f & TRUN_DATA_OFFSET) w.i32(required(box.dataOffset, 'trun', 'dataOffset'), 'data_offset');
  if (f & TRUN_FIRST_SAMPLE_FLAGS) w.u32(required(box.firstSampleFlags, 'trun', 'firstSampleFlags'), 'first_sample_flags');
  box.samples.forEach((s, i) => {
    if (f & TRUN_SAMPLE_DURATION) w.u32(required(s.duration, 'trun', `samples[${i}].duration`), 'sample_duration');
    if (f & TRUN_SAMPLE_SIZE) w.u32(required(s.size, 'trun', `samples[${i}].size`), 'sample_size');
    if (f & TRUN_SAMPLE_FLAGS) w.u32(required(s.flags, 'trun', `samples[${i}].flags`), 'sample_flags');
    if (f & TRUN_SAMPLE_CTO) {
      const cto = required(s.compositionTimeOffset, 'trun', `samples[${i}].compositionTimeOffset`);
      // Version 0 offsets are unsigned; negative ones need version 1 (ISO/IEC 14496-12 8.8.8).
      if (box.version === 0) w.u32(cto, 'sample_composition_time_offset');
      else w.i32(cto, 'sample_composition_time_offset');
    }
  });
  return fullBox('trun', box.version, f, w.finish());
}
