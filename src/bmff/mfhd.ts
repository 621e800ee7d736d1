import { type Cursor, readFullBoxHeader } from './cursor.js';

export interface Mfhd {
  type: 'mfhd';
  sequenceNumber: number;
}

export function readMfhd(c: Cursor): Mfhd {
  readFullBoxHeader(c);
  return { type: 'mfhd', sequenceNumber: c.u32() };
}
