import { type Cursor, readFullBoxHeader } from './cursor.js';

export const TFHD_BASE_DATA_OFFSET = 0x000001;
export const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x000002;
export const TFHD_DEFAULT_SAMPLE_DURATION = 0x000008;
export const TFHD_DEFAULT_SAMPLE_SIZE = 0x000010;
export const TFHD_DEFAULT_SAMPLE_FLAGS = 0x000020;
export const TFHD_DURATION_IS_EMPTY = 0x010000;
export const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;

export interface Tfhd {
  type: 'tfhd';
  flags: number;
  trackId: number;
  baseDataOffset?: bigint;
  sampleDescriptionIndex?: number;
  defaultSampleDuration?: number;
  defaultSampleSize?: number;
  defaultSampleFlags?: number;
}

export function readTfhd(c: Cursor): Tfhd {
  const { flags } = readFullBoxHeader(c);
  const box: Tfhd = { type: 'tfhd', flags, trackId: c.u32() };
  if (flags & TFHD_BASE_DATA_OFFSET) box.baseDataOffset = c.u64();
  if (flags & TFHD_SAMPLE_DESCRIPTION_INDEX) box.sampleDescriptionIndex = c.u32();
  if (flags & TFHD_DEFAULT_SAMPLE_DURATION) box.defaultSampleDuration = c.u32();
  if (flags & TFHD_DEFAULT_SAMPLE_SIZE) box.defaultSampleSize = c.u32();
  if (flags & TFHD_DEFAULT_SAMPLE_FLAGS) box.defaultSampleFlags = c.u32();
  return box;
}
