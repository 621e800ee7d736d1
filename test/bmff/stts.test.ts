import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readStts, writeStts } from '../../src/bmff/stts.js';
import { ascii, readBack, readTruncated, smoothpubError } from './helpers.js';

test('writeStts and readStts: runs of sample durations, byte for byte', () => {
  const stts = { counts: Uint32Array.of(3, 1), deltas: Uint32Array.of(1001, 2002) };
  const bytes = writeStts(stts);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 32, ...ascii('stts'),
    0, 0, 0, 0, // version, flags
    0, 0, 0, 2, // entry_count
    0, 0, 0, 3, 0, 0, 0x03, 0xe9, // 3 samples of 1001
    0, 0, 0, 1, 0, 0, 0x07, 0xd2)); // 1 sample of 2002
  assert.deepEqual(readBack(bytes, readStts).box, { type: 'stts', ...stts });
});

test('an stts whose entry count overruns the box throws before allocating', () => {
  const bytes = writeStts({ counts: Uint32Array.of(1), deltas: Uint32Array.of(1) });
  bytes[15] = 0xff; // entry_count 255
  assert.throws(() => readBack(bytes, readStts, 100), smoothpubError('bmff.truncated-box', 116));
  assert.throws(() => readTruncated(writeStts({ counts: Uint32Array.of(1), deltas: Uint32Array.of(1) }), readStts, 4, 0), smoothpubError('bmff.truncated-box'));
});
