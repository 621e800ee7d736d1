import { type Cursor, readFullBoxHeader } from './cursor.js';

/** Movie fragment random access offset: the size of the enclosing 'mfra', at the file's end. */
export interface Mfro {
  type: 'mfro';
  mfraSize: number;
}

export function readMfro(c: Cursor): Mfro {
  readFullBoxHeader(c);
  return { type: 'mfro', mfraSize: c.u32() };
}
