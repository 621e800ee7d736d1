import { ErrorCode, SmoothpubError } from '../errors.js';
import { type Cursor, readFullBoxHeader } from './cursor.js';
import { type BoxInput, ByteWriter, fullBox, required } from './writer.js';

/**
 * TrackEncryptionBox (ISO/IEC 23001-7): the track's defaults. Version 1 adds the
 * pattern (cbcs: crypt 1, skip 9 on video); a protected track with per-sample IV size 0
 * carries one constant IV instead (cbcs).
 */
export interface Tenc {
  type: 'tenc';
  version: number;
  /** Version 1 only: 16-byte blocks encrypted, then skipped, in each pattern repetition. */
  defaultCryptByteBlock: number;
  defaultSkipByteBlock: number;
  /** 1: samples are protected by default. */
  defaultIsProtected: number;
  /** 0, 8 or 16. */
  defaultPerSampleIvSize: number;
  defaultKid: Uint8Array;
  /** Present exactly when protected with per-sample IV size 0. */
  defaultConstantIv?: Uint8Array;
}

export function readTenc(c: Cursor): Tenc {
  const { version } = readFullBoxHeader(c);
  c.u8(); // reserved
  const pattern = c.u8(); // reserved in version 0
  const box: Tenc = {
    type: 'tenc',
    version,
    defaultCryptByteBlock: version === 0 ? 0 : pattern >> 4,
    defaultSkipByteBlock: version === 0 ? 0 : pattern & 0xf,
    defaultIsProtected: c.u8(),
    defaultPerSampleIvSize: c.u8(),
    defaultKid: c.bytesOf(16).slice(),
  };
  if (box.defaultIsProtected === 1 && box.defaultPerSampleIvSize === 0) box.defaultConstantIv = c.bytesOf(c.u8()).slice();
  return box;
}

export function writeTenc(box: BoxInput<Tenc>): Uint8Array {
  const constant = box.defaultIsProtected === 1 && box.defaultPerSampleIvSize === 0;
  const iv = constant ? required(box.defaultConstantIv, 'tenc', 'defaultConstantIv') : undefined;
  if (box.version === 0 && (box.defaultCryptByteBlock !== 0 || box.defaultSkipByteBlock !== 0)) {
    throw new SmoothpubError(ErrorCode.BAD_BOX, 'cannot write tenc: a pattern needs version 1', { boxPath: 'tenc' });
  }
  const w = new ByteWriter(20 + (iv === undefined ? 0 : 1 + iv.length), 'tenc')
    .u8(0) // reserved
    .u8(box.version === 0 ? 0 : (checkNibble(box.defaultCryptByteBlock, 'default_crypt_byte_block') << 4) | checkNibble(box.defaultSkipByteBlock, 'default_skip_byte_block'))
    .u8(box.defaultIsProtected, 'default_isProtected')
    .u8(box.defaultPerSampleIvSize, 'default_Per_Sample_IV_Size')
    .bytesOf(box.defaultKid);
  if (iv !== undefined) w.u8(iv.length, 'default_constant_IV_size').bytesOf(iv);
  return fullBox('tenc', box.version, 0, w.finish());
}

function checkNibble(v: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 15) throw new SmoothpubError(ErrorCode.BAD_BOX, `cannot write tenc: ${field} must be 0-15, got ${v}`, { boxPath: 'tenc' });
  return v;
}
