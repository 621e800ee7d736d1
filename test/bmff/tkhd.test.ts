import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tkhd, readTkhd, writeTkhd } from '../../src/bmff/tkhd.js';
import { ascii, readBack, readTruncated, smoothpubError } from './helpers.js';

const UNITY_MATRIX = [
  0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 1.0, 0, 0 (16.16)
  0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, // 0, 1.0, 0
  0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, // 0, 0, 1.0 (2.30)
];

test('writeTkhd version 0 for a video track', () => {
  const tkhd: Tkhd = { type: 'tkhd', version: 0, flags: 3, trackId: 1, duration: 0x12345678n, width: 1920, height: 1080 };
  const bytes = writeTkhd(tkhd);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 92, // size
    ...ascii('tkhd'),
    0, 0, 0, 3, // version 0, flags: enabled, in movie
    0, 0, 0, 0, 0, 0, 0, 0, // creation_time, modification_time
    0, 0, 0, 1, // track_ID
    0, 0, 0, 0, // reserved
    0x12, 0x34, 0x56, 0x78, // duration
    0, 0, 0, 0, 0, 0, 0, 0, // reserved
    0, 0, 0, 0, // layer, alternate_group
    0, 0, 0, 0, // volume 0 (video), reserved
    ...UNITY_MATRIX,
    0x07, 0x80, 0, 0, // width 1920.0
    0x04, 0x38, 0, 0)); // height 1080.0
  assert.deepEqual(readBack(bytes, readTkhd).box, tkhd);
});

test('writeTkhd version 1 for an audio track: 64-bit duration, full volume', () => {
  const tkhd: Tkhd = { type: 'tkhd', version: 1, flags: 7, trackId: 2, duration: 0xffffffffffffffffn, width: 0, height: 0 };
  const bytes = writeTkhd(tkhd);
  assert.deepEqual(bytes.subarray(0, 44), Uint8Array.of(
    0, 0, 0, 104, // size
    ...ascii('tkhd'),
    1, 0, 0, 7, // version 1, flags
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // creation_time, modification_time
    0, 0, 0, 2, // track_ID
    0, 0, 0, 0, // reserved
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)); // duration unknown
  assert.deepEqual(bytes.subarray(52, 60), Uint8Array.of(0, 0, 0, 0, 0x01, 0x00, 0, 0)); // layer, alternate_group, volume 1.0, reserved
  assert.deepEqual(readBack(bytes, readTkhd).box, tkhd);
});

test('writeTkhd refuses sizes beyond 16 bits and version-0 durations beyond 32', () => {
  assert.throws(() => writeTkhd({ version: 0, flags: 3, trackId: 1, duration: 0n, width: 65536, height: 1 }), smoothpubError('bmff.bad-box'));
  assert.throws(() => writeTkhd({ version: 0, flags: 3, trackId: 1, duration: 2n ** 32n, width: 1, height: 1 }), smoothpubError('bmff.bad-box'));
});

test('a truncated tkhd throws at the absolute offset of height', () => {
  const bytes = writeTkhd({ version: 0, flags: 3, trackId: 1, duration: 0n, width: 64, height: 64 });
  assert.throws(() => readTruncated(bytes, readTkhd, 1, 148), smoothpubError('bmff.truncated-box', 148 + 88));
});
