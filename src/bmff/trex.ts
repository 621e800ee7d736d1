import { type Cursor, readFullBoxHeader } from './cursor.js';
import { type BoxInput, ByteWriter, fullBox } from './writer.js';

export interface Trex {
  type: 'trex';
  trackId: number;
  defaultSampleDescriptionIndex: number;
  defaultSampleDuration: number;
  defaultSampleSize: number;
  defaultSampleFlags: number;
}

export function readTrex(c: Cursor): Trex {
  readFullBoxHeader(c);
  return {
    type: 'trex',
    trackId: c.u32(),
    defaultSampleDescriptionIndex: c.u32(),
    defaultSampleDuration: c.u32(),
    defaultSampleSize: c.u32(),
    defaultSampleFlags: c.u32(),
  };
}

export function writeTrex(box: BoxInput<Trex>): Uint8Array {
  const w = new ByteWriter(20, 'trex')
    .u32(box.trackId, 'track_ID')
    .u32(box.defaultSampleDescriptionIndex, 'default_sample_description_index')
    .u32(box.defaultSampleDuration, 'default_sample_duration')
    .u32(box.defaultSampleSize, 'default_sample_size')
    .u32(box.defaultSampleFlags, 'default_sample_flags');
  return fullBox('trex', 0, 0, w.finish());
}
