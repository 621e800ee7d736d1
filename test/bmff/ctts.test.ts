import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readCtts, writeCtts } from '../../src/bmff/ctts.js';
import { ascii, readBack, smoothpubError } from './helpers.js';

test('ctts version 0: unsigned offsets, byte for byte', () => {
  const ctts = { version: 0, counts: Uint32Array.of(1, 2), offsets: Float64Array.of(2002, 0xfffffc18) };
  const bytes = writeCtts(ctts);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 32, ...ascii('ctts'),
    0, 0, 0, 0, // version 0
    0, 0, 0, 2,
    0, 0, 0, 1, 0, 0, 0x07, 0xd2, // 1 sample, offset 2002
    0, 0, 0, 2, 0xff, 0xff, 0xfc, 0x18)); // 2 samples, offset 4294966296 (unsigned in v0)
  assert.deepEqual(readBack(bytes, readCtts).box, { type: 'ctts', ...ctts });
});

test('ctts version 1: signed offsets', () => {
  const ctts = { version: 1, counts: Uint32Array.of(1), offsets: Float64Array.of(-1001) };
  const bytes = writeCtts(ctts);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 24, ...ascii('ctts'),
    1, 0, 0, 0, // version 1
    0, 0, 0, 1,
    0, 0, 0, 1, 0xff, 0xff, 0xfc, 0x17)); // offset -1001
  assert.deepEqual(readBack(bytes, readCtts).box, { type: 'ctts', ...ctts });
  assert.throws(() => writeCtts({ version: 0, counts: Uint32Array.of(1), offsets: Float64Array.of(-1) }), smoothpubError('bmff.bad-box'));
});
