import { type Cursor, readFullBoxHeader } from './cursor.js';

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
