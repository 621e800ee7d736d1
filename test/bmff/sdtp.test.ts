import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSdtp, writeSdtp } from '../../src/bmff/sdtp.js';
import { ascii, readBack } from './helpers.js';

test('writeSdtp: one byte a sample, round-tripped', () => {
  const bytes = writeSdtp({ entries: Uint8Array.of(0x14, 0x1c, 0x1c) });
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 15, // size
    ...ascii('sdtp'),
    0, 0, 0, 0, // version, flags
    0x14, // is_leading 0, sample_depends_on 1, sample_is_depended_on 1, has_redundancy 0
    0x1c, 0x1c)); // sample_depends_on 1, sample_is_depended_on 3: kept as written, never interpreted
  assert.deepEqual(readBack(bytes, readSdtp).box, { type: 'sdtp', entries: Uint8Array.of(0x14, 0x1c, 0x1c) });
});
