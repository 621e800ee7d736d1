import { type Cursor, readFullBoxHeader } from './cursor.js';

/** Movie header (ISO/IEC 14496-12 8.2.2): only what smoothpub needs, the movie timescale (edit list durations use it). */
export interface Mvhd {
  type: 'mvhd';
  version: number;
  timescale: number;
  duration: bigint;
}

export function readMvhd(c: Cursor): Mvhd {
  const { version } = readFullBoxHeader(c);
  c.skip(version === 1 ? 16 : 8); // creation, modification time
  const timescale = c.u32();
  const duration = version === 1 ? c.u64() : BigInt(c.u32());
  return { type: 'mvhd', version, timescale, duration };
}
