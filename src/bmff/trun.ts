import { type Cursor, readFullBoxHeader } from './cursor.js';

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
