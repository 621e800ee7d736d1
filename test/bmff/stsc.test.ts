import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readStsc, writeStsc } from '../../src/bmff/stsc.js';
import { ascii, readBack, smoothpubError } from './helpers.js';

test('stsc: samples per chunk runs, byte for byte', () => {
  const stsc = { firstChunks: Uint32Array.of(1, 3), samplesPerChunk: Uint32Array.of(2, 1), sampleDescriptionIndexes: Uint32Array.of(1, 1) };
  const bytes = writeStsc(stsc);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 40, ...ascii('stsc'),
    0, 0, 0, 0,
    0, 0, 0, 2,
    0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, // from chunk 1: 2 samples, description 1
    0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 1)); // from chunk 3: 1 sample
  assert.deepEqual(readBack(bytes, readStsc).box, { type: 'stsc', ...stsc });
  bytes[15] = 3;
  assert.throws(() => readBack(bytes, readStsc), smoothpubError('bmff.truncated-box', 16));
});
