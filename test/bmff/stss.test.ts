import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readStss, writeStss } from '../../src/bmff/stss.js';
import { ascii, readBack, smoothpubError } from './helpers.js';

test('stss: 1-based keyframe numbers, byte for byte', () => {
  const bytes = writeStss({ sampleNumbers: Uint32Array.of(1, 61) });
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 24, ...ascii('stss'),
    0, 0, 0, 0,
    0, 0, 0, 2, // entry_count
    0, 0, 0, 1,
    0, 0, 0, 61));
  assert.deepEqual(readBack(bytes, readStss).box, { type: 'stss', sampleNumbers: Uint32Array.of(1, 61) });
  bytes[15] = 9;
  assert.throws(() => readBack(bytes, readStss, 50), smoothpubError('bmff.truncated-box', 66));
});
