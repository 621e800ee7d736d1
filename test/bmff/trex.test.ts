import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Trex, readTrex, writeTrex } from '../../src/bmff/trex.js';
import { ascii, readBack, readTruncated, smoothpubError } from './helpers.js';

test('writeTrex writes the five defaults in order and reads back', () => {
  const trex: Trex = { type: 'trex', trackId: 2, defaultSampleDescriptionIndex: 1, defaultSampleDuration: 1024, defaultSampleSize: 0, defaultSampleFlags: 0x02000000 };
  const bytes = writeTrex(trex);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 32, // size
    ...ascii('trex'),
    0, 0, 0, 0, // version, flags
    0, 0, 0, 2, // track_ID
    0, 0, 0, 1, // default_sample_description_index
    0, 0, 0x04, 0x00, // default_sample_duration 1024
    0, 0, 0, 0, // default_sample_size
    0x02, 0, 0, 0)); // default_sample_flags
  assert.deepEqual(readBack(bytes, readTrex).box, trex);
  assert.throws(() => readTruncated(bytes, readTrex, 1, 1119), smoothpubError('bmff.truncated-box', 1119 + 28));
});
