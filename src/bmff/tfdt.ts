import { type Cursor, readFullBoxHeader } from './cursor.js';

export interface Tfdt {
  type: 'tfdt';
  version: number;
  baseMediaDecodeTime: bigint;
}

export function readTfdt(c: Cursor): Tfdt {
  const { version } = readFullBoxHeader(c);
  return { type: 'tfdt', version, baseMediaDecodeTime: version === 1 ? c.u64() : BigInt(c.u32()) };
}
