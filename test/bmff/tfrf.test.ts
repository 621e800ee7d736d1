import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tfrf, readTfrf, writeTfrf } from '../../src/bmff/tfrf.js';
import { UUID_TFRF } from '../../src/bmff/piff.js';
import { ascii, readBack, readTruncated, smoothpubError } from './helpers.js';

const TFRF_UUID_BYTES = [0xd4, 0x80, 0x7e, 0xf2, 0xca, 0x39, 0x46, 0x95, 0x8e, 0x54, 0x26, 0xcb, 0x9e, 0x46, 0xa7, 0x9f];

test('writeTfrf version 1 with two look-ahead fragments', () => {
  const tfrf: Tfrf = {
    type: 'tfrf',
    version: 1,
    entries: [
      { time: 20_000_000n, duration: 20_000_000n },
      { time: 40_000_000n, duration: 10_000_000n },
    ],
  };
  const bytes = writeTfrf(tfrf);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 61, // size: 8 + 16 + 4 + 1 + 2 x 16
    ...ascii('uuid'),
    ...TFRF_UUID_BYTES, // PIFF tfrf user type
    1, 0, 0, 0, // version 1, flags
    2, // fragment_count
    0, 0, 0, 0, 0x01, 0x31, 0x2d, 0x00, // time 2 s
    0, 0, 0, 0, 0x01, 0x31, 0x2d, 0x00, // duration 2 s
    0, 0, 0, 0, 0x02, 0x62, 0x5a, 0x00, // time 4 s
    0, 0, 0, 0, 0x00, 0x98, 0x96, 0x80)); // duration 1 s
  const back = readBack(bytes, readTfrf);
  assert.equal(back.header.uuid, UUID_TFRF);
  assert.deepEqual(back.box, tfrf);
});

test('writeTfrf version 0 and an empty tfrf', () => {
  const v0: Tfrf = { type: 'tfrf', version: 0, entries: [{ time: 20_000_000n, duration: 20_000_000n }] };
  assert.deepEqual(writeTfrf(v0).subarray(24), Uint8Array.of(
    0, 0, 0, 0, // version 0, flags
    1, // fragment_count
    0x01, 0x31, 0x2d, 0x00, // time
    0x01, 0x31, 0x2d, 0x00)); // duration
  assert.deepEqual(readBack(writeTfrf(v0), readTfrf).box, v0);
  const empty: Tfrf = { type: 'tfrf', version: 1, entries: [] };
  assert.equal(writeTfrf(empty).length, 29);
  assert.deepEqual(readBack(writeTfrf(empty), readTfrf).box, empty);
});

test('writeTfrf refuses more entries than its 8-bit count holds, and 64-bit values in version 0', () => {
  const entries = Array.from({ length: 256 }, () => ({ time: 0n, duration: 0n }));
  assert.throws(() => writeTfrf({ version: 1, entries }), smoothpubError('bmff.bad-box'));
  assert.throws(() => writeTfrf({ version: 0, entries: [{ time: 2n ** 32n, duration: 0n }] }), smoothpubError('bmff.bad-box'));
});

test('a tfrf whose count promises more entries than it has throws at the missing one', () => {
  const bytes = writeTfrf({ version: 1, entries: [{ time: 1n, duration: 1n }, { time: 2n, duration: 1n }] });
  // second entry starts at 8 + 16 + 4 + 1 + 16 = 45
  assert.throws(() => readTruncated(bytes, readTfrf, 16, 100), smoothpubError('bmff.truncated-box', 145));
});
