import { type Cursor, readFullBoxHeader } from './cursor.js';

export interface Tkhd {
  type: 'tkhd';
  version: number;
  flags: number;
  trackId: number;
  duration: bigint;
  /** Presentation size in pixels (16.16 fixed point in the box, integer part here). */
  width: number;
  height: number;
}

export function readTkhd(c: Cursor): Tkhd {
  const { version, flags } = readFullBoxHeader(c);
  c.skip(version === 1 ? 16 : 8); // creation, modification time
  const trackId = c.u32();
  c.skip(4); // reserved
  const duration = version === 1 ? c.u64() : BigInt(c.u32());
  c.skip(8 + 2 + 2 + 2 + 2 + 36); // reserved, layer, alternate_group, volume, reserved, matrix
  const width = c.u32() >>> 16;
  const height = c.u32() >>> 16;
  return { type: 'tkhd', version, flags, trackId, duration, width, height };
}
