import type { Cursor } from './cursor.js';

/** AVCDecoderConfigurationRecord (ISO/IEC 14496-15). */
export interface AvcC {
  type: 'avcC';
  profile: number;
  compatibility: number;
  level: number;
  nalLengthSize: number;
  sps: Uint8Array[];
  pps: Uint8Array[];
}

export function readAvcC(c: Cursor): AvcC {
  c.u8(); // configurationVersion
  const profile = c.u8();
  const compatibility = c.u8();
  const level = c.u8();
  const nalLengthSize = (c.u8() & 3) + 1;
  const spsCount = c.u8() & 31;
  const sps: Uint8Array[] = [];
  for (let i = 0; i < spsCount; i++) sps.push(c.bytesOf(c.u16()));
  const ppsCount = c.u8();
  const pps: Uint8Array[] = [];
  for (let i = 0; i < ppsCount; i++) pps.push(c.bytesOf(c.u16()));
  return { type: 'avcC', profile, compatibility, level, nalLengthSize, sps, pps };
}
