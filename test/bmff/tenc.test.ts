import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tenc, readTenc, writeTenc } from '../../src/bmff/tenc.js';
import { ascii, readBack, smoothpubError } from './helpers.js';

const KID = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

test('writeTenc version 0 for cenc: protected, 8-byte IVs, the KID', () => {
  const tenc: Tenc = { type: 'tenc', version: 0, defaultCryptByteBlock: 0, defaultSkipByteBlock: 0, defaultIsProtected: 1, defaultPerSampleIvSize: 8, defaultKid: KID };
  const bytes = writeTenc(tenc);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 32, // size
    ...ascii('tenc'),
    0, 0, 0, 0, // version 0, flags
    0, 0, // reserved, reserved
    1, // default_isProtected
    8, // default_Per_Sample_IV_Size
    ...KID)); // default_KID
  assert.deepEqual(readBack(bytes, readTenc).box, tenc);
});

test('writeTenc version 1 for cbcs video: pattern 1:9, constant IV', () => {
  const iv = Uint8Array.from({ length: 16 }, (_, i) => i);
  const tenc: Tenc = { type: 'tenc', version: 1, defaultCryptByteBlock: 1, defaultSkipByteBlock: 9, defaultIsProtected: 1, defaultPerSampleIvSize: 0, defaultKid: KID, defaultConstantIv: iv };
  const bytes = writeTenc(tenc);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 49, // size
    ...ascii('tenc'),
    1, 0, 0, 0, // version 1, flags
    0, // reserved
    0x19, // default_crypt_byte_block 1, default_skip_byte_block 9
    1, // default_isProtected
    0, // default_Per_Sample_IV_Size: constant IV
    ...KID,
    16, // default_constant_IV_size
    ...iv));
  assert.deepEqual(readBack(bytes, readTenc).box, tenc);
});

test('writeTenc refuses a pattern in version 0, a missing constant IV, a short KID', () => {
  assert.throws(() => writeTenc({ version: 0, defaultCryptByteBlock: 1, defaultSkipByteBlock: 9, defaultIsProtected: 1, defaultPerSampleIvSize: 8, defaultKid: KID }), smoothpubError('bmff.bad-box'));
  assert.throws(() => writeTenc({ version: 1, defaultCryptByteBlock: 1, defaultSkipByteBlock: 9, defaultIsProtected: 1, defaultPerSampleIvSize: 0, defaultKid: KID }), smoothpubError('bmff.bad-box'));
  assert.throws(() => writeTenc({ version: 0, defaultCryptByteBlock: 0, defaultSkipByteBlock: 0, defaultIsProtected: 1, defaultPerSampleIvSize: 8, defaultKid: KID.subarray(0, 8) }), smoothpubError('bmff.bad-box'));
});
