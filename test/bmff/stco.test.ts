import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readCo64, writeCo64 } from '../../src/bmff/co64.js';
import { readStco, writeStco } from '../../src/bmff/stco.js';
import { ascii, readBack, smoothpubError } from './helpers.js';

test('stco: 32-bit chunk offsets, byte for byte', () => {
  const bytes = writeStco({ offsets: Float64Array.of(48, 0xfffffff0) });
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 24, ...ascii('stco'),
    0, 0, 0, 0,
    0, 0, 0, 2,
    0, 0, 0, 48,
    0xff, 0xff, 0xff, 0xf0));
  assert.deepEqual(readBack(bytes, readStco).box, { type: 'stco', offsets: Float64Array.of(48, 0xfffffff0) });
});

test('co64: 64-bit chunk offsets beyond 4 GB, byte for byte', () => {
  const offsets = Float64Array.of(5 * 2 ** 30, 2 ** 40 + 1);
  const bytes = writeCo64({ offsets });
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 32, ...ascii('co64'),
    0, 0, 0, 0,
    0, 0, 0, 2,
    0, 0, 0, 1, 0x40, 0, 0, 0, // 5 GiB
    0, 0, 1, 0, 0, 0, 0, 1)); // 2^40 + 1
  assert.deepEqual(readBack(bytes, readCo64).box, { type: 'co64', offsets });
});

test('co64 refuses an offset beyond 2^53 with its position', () => {
  const bytes = writeCo64({ offsets: Float64Array.of(1) });
  bytes[16] = 0xff;
  assert.throws(() => readBack(bytes, readCo64, 1000), smoothpubError('bmff.bad-box', 1016));
});
