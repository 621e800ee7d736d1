import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readMfro, writeMfro } from '../../src/bmff/mfro.js';
import { ascii, readBack, readTruncated, smoothpubError } from './helpers.js';

test('writeMfro writes the mfra size and reads back', () => {
  const bytes = writeMfro({ mfraSize: 186 });
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 16, // size
    ...ascii('mfro'),
    0, 0, 0, 0, // version, flags
    0, 0, 0, 186)); // size of the enclosing mfra
  assert.deepEqual(readBack(bytes, readMfro).box, { type: 'mfro', mfraSize: 186 });
  assert.throws(() => readTruncated(bytes, readMfro, 2, 52875), smoothpubError('bmff.truncated-box', 52875 + 12));
});
