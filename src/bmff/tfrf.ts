import { type Cursor, readFullBoxHeader } from './cursor.js';

/** PIFF TfrfBox: times of the next fragments, only in live streams. */
export interface Tfrf {
  type: 'tfrf';
  version: number;
  entries: { time: bigint; duration: bigint }[];
}

export function readTfrf(c: Cursor): Tfrf {
  const { version } = readFullBoxHeader(c);
  const count = c.u8();
  const entries: Tfrf['entries'] = [];
  for (let i = 0; i < count; i++) {
    entries.push(version === 1 ? { time: c.u64(), duration: c.u64() } : { time: BigInt(c.u32()), duration: BigInt(c.u32()) });
  }
  return { type: 'tfrf', version, entries };
}
