import { type Cursor, readFullBoxHeader } from './cursor.js';
import { type BoxInput, ByteWriter, fullBox } from './writer.js';

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

/** Unity transformation matrix (ISO/IEC 14496-12 8.3.2). */
const UNITY_MATRIX = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000];

/** Times are written as 0; the volume (not in `Tkhd`) is full for tracks without a picture, as ffmpeg writes for audio. */
export function writeTkhd(box: BoxInput<Tkhd>): Uint8Array {
  const v1 = box.version === 1;
  const w = new ByteWriter((v1 ? 32 : 20) + 60, 'tkhd');
  w.zeros(v1 ? 16 : 8); // creation_time, modification_time
  w.u32(box.trackId, 'track_ID').zeros(4);
  if (v1) w.u64(box.duration, 'duration');
  else w.u32Big(box.duration, 'duration');
  w.zeros(8 + 2 + 2); // reserved, layer, alternate_group
  w.u16(box.width === 0 && box.height === 0 ? 0x0100 : 0, 'volume').zeros(2);
  for (const m of UNITY_MATRIX) w.u32(m, 'matrix');
  w.u16(box.width, 'width').u16(0).u16(box.height, 'height').u16(0); // 16.16 fixed point
  return fullBox('tkhd', box.version, box.flags, w.finish());
}
