import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readPasp, writePasp } from '../../src/bmff/pasp.js';
import { ascii, readBack, readTruncated, smoothpubError } from './helpers.js';

test('writePasp writes hSpacing and vSpacing and reads back', () => {
  const bytes = writePasp({ hSpacing: 64, vSpacing: 45 });
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 16, // size
    ...ascii('pasp'),
    0, 0, 0, 64, // hSpacing
    0, 0, 0, 45)); // vSpacing
  assert.deepEqual(readBack(bytes, readPasp).box, { type: 'pasp', hSpacing: 64, vSpacing: 45 });
});

test('a truncated pasp throws at the absolute offset of vSpacing', () => {
  assert.throws(() => readTruncated(writePasp({ hSpacing: 1, vSpacing: 1 }), readPasp, 1, 500), smoothpubError('bmff.truncated-box', 512));
});
