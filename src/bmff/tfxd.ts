import { type Cursor, readFullBoxHeader } from './cursor.js';

/** PIFF TrackFragmentExtendedHeaderBox: absolute time and duration of a fragment. */
export interface Tfxd {
  type: 'tfxd';
  version: number;
  /**
   * Signed: ffmpeg writes AAC priming as a negative time in this unsigned field
   * (e.g. -213333 stored as 2^64 - 213333); real times never reach 2^63.
   */
  time: bigint;
  duration: bigint;
}

export function readTfxd(c: Cursor): Tfxd {
  const { version } = readFullBoxHeader(c);
  if (version === 1) {
    return { type: 'tfxd', version, time: BigInt.asIntN(64, c.u64()), duration: c.u64() };
  }
  return { type: 'tfxd', version, time: BigInt(c.i32()), duration: BigInt(c.u32()) };
}
