import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readMvhd } from '../../src/bmff/mvhd.js';
import { fullBox } from '../../src/bmff/writer.js';
import { readBack } from './helpers.js';

test('readMvhd: the movie timescale and duration of version 0 and 1', () => {
  const v0 = fullBox('mvhd', 0, 0, Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0x03, 0xe8, 0, 0, 0x1f, 0x40), new Uint8Array(80));
  assert.deepEqual(readBack(v0, readMvhd).box, { type: 'mvhd', version: 0, timescale: 1000, duration: 8000n });
  const v1 = fullBox('mvhd', 1, 0, new Uint8Array(16), Uint8Array.of(0, 0, 0x03, 0xe8, 0, 0, 0, 1, 0, 0, 0, 0), new Uint8Array(80));
  assert.deepEqual(readBack(v1, readMvhd).box, { type: 'mvhd', version: 1, timescale: 1000, duration: 2n ** 32n });
});
