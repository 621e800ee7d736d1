import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Elst, readElst, writeElst } from '../../src/bmff/elst.js';
import { ascii, readBack, smoothpubError } from './helpers.js';

test('elst version 0: an empty edit (delay) then AAC priming skipped, byte for byte', () => {
  const elst: Elst = {
    type: 'elst',
    version: 0,
    entries: [
      { segmentDuration: 500n, mediaTime: -1n, rateInteger: 1, rateFraction: 0 },
      { segmentDuration: 8000n, mediaTime: 1024n, rateInteger: 1, rateFraction: 0 },
    ],
  };
  const bytes = writeElst(elst);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 40, ...ascii('elst'),
    0, 0, 0, 0,
    0, 0, 0, 2,
    0, 0, 0x01, 0xf4, 0xff, 0xff, 0xff, 0xff, 0, 1, 0, 0, // 500, empty edit, rate 1.0
    0, 0, 0x1f, 0x40, 0, 0, 0x04, 0, 0, 1, 0, 0)); // 8000, media_time 1024
  assert.deepEqual(readBack(bytes, readElst).box, elst);
});

test('elst version 1: 64-bit fields', () => {
  const elst: Elst = { type: 'elst', version: 1, entries: [{ segmentDuration: 2n ** 33n, mediaTime: 2002n, rateInteger: 1, rateFraction: 0 }] };
  const bytes = writeElst(elst);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 36, ...ascii('elst'),
    1, 0, 0, 0,
    0, 0, 0, 1,
    0, 0, 0, 2, 0, 0, 0, 0, // segment_duration 2^33
    0, 0, 0, 0, 0, 0, 0x07, 0xd2, // media_time 2002
    0, 1, 0, 0));
  assert.deepEqual(readBack(bytes, readElst).box, elst);
  bytes[15] = 2;
  assert.throws(() => readBack(bytes, readElst), smoothpubError('bmff.truncated-box', 16));
});
