import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readStsz, writeStsz } from '../../src/bmff/stsz.js';
import { ascii, readBack, smoothpubError } from './helpers.js';

test('stsz with a size table, byte for byte', () => {
  const stsz = { sampleSize: 0, sampleCount: 2, sizes: Uint32Array.of(1500, 7) };
  const bytes = writeStsz(stsz);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 28, ...ascii('stsz'),
    0, 0, 0, 0,
    0, 0, 0, 0, // sample_size 0: a table follows
    0, 0, 0, 2, // sample_count
    0, 0, 0x05, 0xdc,
    0, 0, 0, 7));
  assert.deepEqual(readBack(bytes, readStsz).box, { type: 'stsz', ...stsz });
});

test('stsz with one fixed size has no table, whatever the count', () => {
  const stsz = { sampleSize: 4, sampleCount: 0xffffffff, sizes: new Uint32Array(0) };
  const bytes = writeStsz(stsz);
  assert.deepEqual(bytes, Uint8Array.of(0, 0, 0, 20, ...ascii('stsz'), 0, 0, 0, 0, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff));
  assert.deepEqual(readBack(bytes, readStsz).box, { type: 'stsz', ...stsz });
});

test('an stsz table longer than its box throws at the count', () => {
  const bytes = writeStsz({ sampleSize: 0, sampleCount: 2, sizes: Uint32Array.of(1, 2) });
  bytes[19] = 3;
  assert.throws(() => readBack(bytes, readStsz), smoothpubError('bmff.truncated-box', 20));
});
