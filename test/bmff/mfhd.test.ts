import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readMfhd, writeMfhd } from '../../src/bmff/mfhd.js';
import { ascii, readBack, readTruncated, smoothpubError } from './helpers.js';

test('writeMfhd writes the sequence number and reads back', () => {
  const bytes = writeMfhd({ sequenceNumber: 1 });
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 16, // size
    ...ascii('mfhd'),
    0, 0, 0, 0, // version, flags
    0, 0, 0, 1)); // sequence_number
  assert.deepEqual(readBack(bytes, readMfhd).box, { type: 'mfhd', sequenceNumber: 1 });
  const max = { type: 'mfhd', sequenceNumber: 0xffffffff } as const;
  assert.deepEqual(readBack(writeMfhd(max), readMfhd).box, max);
});

test('a truncated mfhd throws at the absolute offset of sequence_number', () => {
  assert.throws(() => readTruncated(writeMfhd({ sequenceNumber: 7 }), readMfhd, 1, 2000), smoothpubError('bmff.truncated-box', 2012));
});
