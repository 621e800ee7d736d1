import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tfxd, readTfxd, writeTfxd } from '../../src/bmff/tfxd.js';
import { UUID_TFXD } from '../../src/bmff/piff.js';
import { ascii, readBack, readTruncated, smoothpubError } from './helpers.js';

const TFXD_UUID_BYTES = [0x6d, 0x1d, 0x9b, 0x05, 0x42, 0xd5, 0x44, 0xe6, 0x80, 0xe2, 0x14, 0x1d, 0xaf, 0xf7, 0x57, 0xb2];

test('writeTfxd version 1 as ffmpeg writes it', () => {
  const tfxd: Tfxd = { type: 'tfxd', version: 1, time: 20_000_000n, duration: 20_000_000n };
  const bytes = writeTfxd(tfxd);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 44, // size
    ...ascii('uuid'),
    ...TFXD_UUID_BYTES, // PIFF tfxd user type
    1, 0, 0, 0, // version 1, flags
    0, 0, 0, 0, 0x01, 0x31, 0x2d, 0x00, // fragment_absolute_time 2 s
    0, 0, 0, 0, 0x01, 0x31, 0x2d, 0x00)); // fragment_duration 2 s
  const back = readBack(bytes, readTfxd);
  assert.equal(back.header.uuid, UUID_TFXD);
  assert.deepEqual(back.box, tfxd);
});

test('writeTfxd stores a negative time (AAC priming) as two\'s complement', () => {
  const tfxd: Tfxd = { type: 'tfxd', version: 1, time: -213333n, duration: 20_053_333n };
  const bytes = writeTfxd(tfxd);
  assert.deepEqual(bytes.subarray(28), Uint8Array.of(
    // 2^64 - 213333; 213333 = 0x34155 (1024 samples at 48 kHz in 100 ns units)
    0xff, 0xff, 0xff, 0xff, 0xff, 0xfc, 0xbe, 0xab, // fragment_absolute_time
    0, 0, 0, 0, 0x01, 0x31, 0xfd, 0x55)); // fragment_duration 20,053,333
  assert.deepEqual(readBack(bytes, readTfxd).box, tfxd);
});

test('writeTfxd keeps the extremes of a signed 64-bit time and an unsigned duration', () => {
  for (const time of [-(2n ** 63n), 2n ** 63n - 1n, -1n, 0n]) {
    const tfxd: Tfxd = { type: 'tfxd', version: 1, time, duration: 2n ** 64n - 1n };
    assert.deepEqual(readBack(writeTfxd(tfxd), readTfxd).box, tfxd);
  }
  assert.throws(() => writeTfxd({ version: 1, time: 2n ** 63n, duration: 0n }), smoothpubError('bmff.bad-box'));
  assert.throws(() => writeTfxd({ version: 1, time: 0n, duration: -1n }), smoothpubError('bmff.bad-box'));
});

test('writeTfxd version 0 writes 32-bit fields', () => {
  const tfxd: Tfxd = { type: 'tfxd', version: 0, time: 4_000_000_000n, duration: 20_000_000n };
  const bytes = writeTfxd(tfxd);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 36, // size
    ...ascii('uuid'),
    ...TFXD_UUID_BYTES,
    0, 0, 0, 0, // version 0, flags
    0xee, 0x6b, 0x28, 0x00, // fragment_absolute_time 4e9: unsigned in version 0 (PIFF 1.1)
    0x01, 0x31, 0x2d, 0x00)); // fragment_duration
  assert.deepEqual(readBack(bytes, readTfxd).box, tfxd);
  assert.throws(() => writeTfxd({ version: 0, time: 2n ** 32n, duration: 0n }), smoothpubError('bmff.bad-box'));
  assert.throws(() => writeTfxd({ version: 0, time: -1n, duration: 0n }), smoothpubError('bmff.bad-box'));
});

test('a truncated tfxd throws at the absolute offset of the duration', () => {
  // header 8 + user type 16 + version/flags 4 + time 8: duration starts at 36
  const bytes = writeTfxd({ version: 1, time: 0n, duration: 1n });
  assert.throws(() => readTruncated(bytes, readTfxd, 3, 9000), smoothpubError('bmff.truncated-box', 9036));
});
