import { type Cursor, readFullBoxHeader } from './cursor.js';
import { type BoxInput, ByteWriter, fullBox, required } from './writer.js';

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

/** Writes the optional fields `flags` calls for (each must be present); others are ignored. */
export function writeTfhd(box: BoxInput<Tfhd>): Uint8Array {
  const f = box.flags;
  const size =
    4 +
    (f & TFHD_BASE_DATA_OFFSET ? 8 : 0) +
    (f & TFHD_SAMPLE_DESCRIPTION_INDEX ? 4 : 0) +
    (f & TFHD_DEFAULT_SAMPLE_DURATION ? 4 : 0) +
    (f & TFHD_DEFAULT_SAMPLE_SIZE ? 4 : 0) +
    (f & TFHD_DEFAULT_SAMPLE_FLAGS ? 4 : 0);
  const w = new ByteWriter(size, 'tfhd').u32(box.trackId, 'track_ID');
  if (f & TFHD_BASE_DATA_OFFSET) w.u64(required(box.baseDataOffset, 'tfhd', 'baseDataOffset'), 'base_data_offset');
  if (f & TFHD_SAMPLE_DESCRIPTION_INDEX) w.u32(required(box.sampleDescriptionIndex, 'tfhd', 'sampleDescriptionIndex'), 'sample_description_index');
  if (f & TFHD_DEFAULT_SAMPLE_DURATION) w.u32(required(box.defaultSampleDuration, 'tfhd', 'defaultSampleDuration'), 'default_sample_duration');
  if (f & TFHD_DEFAULT_SAMPLE_SIZE) w.u32(required(box.defaultSampleSize, 'tfhd', 'defaultSampleSize'), 'default_sample_size');
  if (f & TFHD_DEFAULT_SAMPLE_FLAGS) w.u32(required(box.defaultSampleFlags, 'tfhd', 'defaultSampleFlags'), 'default_sample_flags');
  return fullBox('tfhd', 0, f, w.finish());
}
