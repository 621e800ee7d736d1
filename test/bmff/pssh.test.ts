import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Pssh, readPssh, writePssh } from '../../src/bmff/pssh.js';
import { ascii, readBack, readTruncated, smoothpubError } from './helpers.js';

const WIDEVINE = 'edef8ba979d64acea3c827dcd51d21ed';
const COMMON = '1077efecc0b24d02ace33c1e52e2fb4b';

test('writePssh version 0: system ID, data size, data', () => {
  const box: Pssh = { type: 'pssh', version: 0, systemId: WIDEVINE, kids: [], data: Uint8Array.of(0x12, 0x10) };
  assert.deepEqual(writePssh(box), Uint8Array.of(
    0, 0, 0, 34, // size
    ...ascii('pssh'),
    0, 0, 0, 0, // version 0, flags
    0xed, 0xef, 0x8b, 0xa9, 0x79, 0xd6, 0x4a, 0xce, 0xa3, 0xc8, 0x27, 0xdc, 0xd5, 0x1d, 0x21, 0xed, // SystemID
    0, 0, 0, 2, // DataSize
    0x12, 0x10)); // Data
  assert.deepEqual(readBack(writePssh(box), readPssh).box, box);
});

test('writePssh version 1 (W3C Common PSSH): key IDs and no data', () => {
  const kid = Uint8Array.from({ length: 16 }, (_, i) => i);
  const box: Pssh = { type: 'pssh', version: 1, systemId: COMMON, kids: [kid], data: new Uint8Array(0) };
  assert.deepEqual(writePssh(box), Uint8Array.of(
    0, 0, 0, 52, // size
    ...ascii('pssh'),
    1, 0, 0, 0, // version 1, flags
    0x10, 0x77, 0xef, 0xec, 0xc0, 0xb2, 0x4d, 0x02, 0xac, 0xe3, 0x3c, 0x1e, 0x52, 0xe2, 0xfb, 0x4b, // SystemID
    0, 0, 0, 1, // KID_count
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, // KID
    0, 0, 0, 0)); // DataSize
  assert.deepEqual(readBack(writePssh(box), readPssh).box, box);
  // The dashed form of a system ID writes the same bytes.
  assert.deepEqual(writePssh({ ...box, systemId: '1077efec-c0b2-4d02-ace3-3c1e52e2fb4b' }), writePssh(box));
});

test('pssh: version 0 with key IDs, short KIDs, truncation and a KID count beyond the box are refused', () => {
  assert.throws(() => writePssh({ version: 0, systemId: WIDEVINE, kids: [new Uint8Array(16)], data: new Uint8Array(0) }), smoothpubError('bmff.bad-box'));
  assert.throws(() => writePssh({ version: 1, systemId: WIDEVINE, kids: [new Uint8Array(15)], data: new Uint8Array(0) }), smoothpubError('bmff.bad-box'));
  const v1 = writePssh({ version: 1, systemId: COMMON, kids: [new Uint8Array(16)], data: Uint8Array.of(1, 2) });
  assert.throws(() => readTruncated(v1, readPssh, 1, 0), smoothpubError('bmff.truncated-box'));
  const lying = v1.slice();
  lying[31] = 9; // KID_count 9
  assert.throws(() => readBack(lying, readPssh), smoothpubError('bmff.bad-box'));
});
