import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tfra, readTfra, writeTfra } from '../../src/bmff/tfra.js';
import { fullBox } from '../../src/bmff/writer.js';
import { ascii, readBack, readTruncated, smoothpubError } from './helpers.js';

test('writeTfra version 0 with one-byte numbers, as ffmpeg writes it', () => {
  const tfra: Tfra = {
    type: 'tfra',
    version: 0,
    trackId: 1,
    entries: [
      { time: 0n, moofOffset: 798, trafNumber: 1, trunNumber: 1, sampleNumber: 1 },
      { time: 20_000_000n, moofOffset: 9740, trafNumber: 1, trunNumber: 1, sampleNumber: 1 },
    ],
  };
  const bytes = writeTfra(tfra);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 46, // size
    ...ascii('tfra'),
    0, 0, 0, 0, // version 0, flags
    0, 0, 0, 1, // track_ID
    0, 0, 0, 0x00, // length_size_of_traf_num, _trun_num, _sample_num: 1 byte each
    0, 0, 0, 2, // number_of_entry
    0, 0, 0, 0, 0, 0, 0x03, 0x1e, 1, 1, 1, // time 0, moof_offset 798, traf 1, trun 1, sample 1
    0x01, 0x31, 0x2d, 0x00, 0, 0, 0x26, 0x0c, 1, 1, 1)); // time 2 s, moof_offset 9740
  assert.deepEqual(readBack(bytes, readTfra).box, tfra);
});

test('writeTfra version 1 picks the smallest length size for each number', () => {
  const tfra: Tfra = {
    type: 'tfra',
    version: 1,
    trackId: 2,
    entries: [{ time: 2n ** 40n, moofOffset: 2 ** 33, trafNumber: 1, trunNumber: 300, sampleNumber: 0x123456 }],
  };
  const bytes = writeTfra(tfra);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 46, // size
    ...ascii('tfra'),
    1, 0, 0, 0, // version 1, flags
    0, 0, 0, 2, // track_ID
    0, 0, 0, 0x06, // traf 1 byte (0), trun 2 bytes (1 << 2), sample 3 bytes (2)
    0, 0, 0, 1, // number_of_entry
    0, 0, 0x01, 0, 0, 0, 0, 0, // time 2^40
    0, 0, 0, 0x02, 0, 0, 0, 0, // moof_offset 2^33
    1, // traf_number
    0x01, 0x2c, // trun_number 300
    0x12, 0x34, 0x56)); // sample_number
  assert.deepEqual(readBack(bytes, readTfra).box, tfra);

  const wide: Tfra = {
    type: 'tfra',
    version: 0,
    trackId: 3,
    entries: [
      { time: 1n, moofOffset: 2, trafNumber: 0x01000000, trunNumber: 0xffff, sampleNumber: 1 },
      { time: 3n, moofOffset: 4, trafNumber: 0xffffffff, trunNumber: 1, sampleNumber: 255 },
    ],
  };
  const wideBytes = writeTfra(wide);
  assert.deepEqual(wideBytes.subarray(16, 20), Uint8Array.of(0, 0, 0, 0x34)); // traf 4 bytes (3 << 4), trun 2 (1 << 2), sample 1 (0)
  assert.deepEqual(wideBytes.subarray(24), Uint8Array.of(
    0, 0, 0, 1, 0, 0, 0, 2, 0x01, 0x00, 0x00, 0x00, 0xff, 0xff, 0x01, // time, offset, traf, trun, sample
    0, 0, 0, 3, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff, 0x00, 0x01, 0xff));
  assert.deepEqual(readBack(wideBytes, readTfra).box, wide);
});

test('writeTfra version 0 refuses 64-bit times and offsets', () => {
  const entry = { time: 0n, moofOffset: 0, trafNumber: 1, trunNumber: 1, sampleNumber: 1 };
  assert.throws(() => writeTfra({ version: 0, trackId: 1, entries: [{ ...entry, time: 2n ** 32n }] }), smoothpubError('bmff.bad-box'));
  assert.throws(() => writeTfra({ version: 0, trackId: 1, entries: [{ ...entry, moofOffset: 2 ** 32 }] }), smoothpubError('bmff.bad-box'));
});

test('a tfra with a huge entry count throws before allocating', () => {
  const bytes = fullBox('tfra', 1, 0, Uint8Array.of(
    0, 0, 0, 1, // track_ID
    0, 0, 0, 0x3f, // 4-byte numbers
    0xff, 0xff, 0xff, 0xff)); // number_of_entry 2^32 - 1, none present
  const started = process.memoryUsage().heapUsed;
  assert.throws(() => readBack(bytes, readTfra, 52705), smoothpubError('bmff.truncated-box', 52705 + 24));
  assert.ok(process.memoryUsage().heapUsed - started < 50e6);
});

test('a tfra missing its last byte throws at its entry table', () => {
  const bytes = writeTfra({ version: 1, trackId: 1, entries: [{ time: 0n, moofOffset: 0, trafNumber: 1, trunNumber: 1, sampleNumber: 1 }] });
  assert.throws(() => readTruncated(bytes, readTfra, 1, 100), smoothpubError('bmff.truncated-box', 124));
});
