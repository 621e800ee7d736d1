import type { Cursor } from './cursor.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { type BoxInput, ByteWriter, box as makeBox } from './writer.js';

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

/** Writes the base record only (no High-profile chroma/bit-depth extension; the reader ignores it). */
export function writeAvcC(box: BoxInput<AvcC>): Uint8Array {
  if (box.nalLengthSize < 1 || box.nalLengthSize > 4 || box.sps.length > 31) {
    throw new SmoothpubError(ErrorCode.BAD_BOX, `cannot write avcC: nalLengthSize must be 1-4 and at most 31 SPS, got ${box.nalLengthSize} and ${box.sps.length}`, { boxPath: 'avcC' });
  }
  let size = 7;
  for (const p of [...box.sps, ...box.pps]) size += 2 + p.length;
  const w = new ByteWriter(size, 'avcC');
  w.u8(1) // configurationVersion
    .u8(box.profile, 'AVCProfileIndication')
    .u8(box.compatibility, 'profile_compatibility')
    .u8(box.level, 'AVCLevelIndication')
    .u8(0xfc | (box.nalLengthSize - 1)) // reserved 6 bits set
    .u8(0xe0 | box.sps.length); // reserved 3 bits set
  for (const sps of box.sps) w.u16(sps.length, 'sequenceParameterSetLength').bytesOf(sps);
  w.u8(box.pps.length, 'numOfPictureParameterSets');
  for (const pps of box.pps) w.u16(pps.length, 'pictureParameterSetLength').bytesOf(pps);
  return makeBox('avcC', w.finish());
}
