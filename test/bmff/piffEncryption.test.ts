import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type PiffSampleEncryption, readPiffSampleEncryption, writePiffSampleEncryption } from '../../src/bmff/piffSampleEncryption.js';
import { type PiffProtectionHeader, readPiffProtectionHeader, writePiffProtectionHeader } from '../../src/bmff/piffProtectionHeader.js';
import { type PiffTrackEncryption, readPiffTrackEncryption, writePiffTrackEncryption } from '../../src/bmff/piffTrackEncryption.js';
import { ascii, readBack } from './helpers.js';

const SENC_UUID = [0xa2, 0x39, 0x4f, 0x52, 0x5a, 0x9b, 0x4f, 0x14, 0xa2, 0x44, 0x6c, 0x42, 0x7c, 0x64, 0x8d, 0xf4];
const HEADER_UUID = [0xd0, 0x8a, 0x4f, 0x18, 0x10, 0xf3, 0x4a, 0x82, 0xb6, 0xc8, 0x32, 0xd8, 0xab, 0xa1, 0x83, 0xd3];
const TENC_UUID = [0x89, 0x74, 0xdb, 0xce, 0x7b, 0xe7, 0x4c, 0x51, 0x84, 0xf9, 0x71, 0x48, 0xf9, 0x88, 0x25, 0x54];

test('writePiffSampleEncryption: senc entries under the PIFF uuid, subsamples flag', () => {
  const box: PiffSampleEncryption = { type: 'piffSenc', flags: 2, samples: [{ iv: Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9), subsamples: [{ clear: 100, protected: 160 }] }] };
  const bytes = writePiffSampleEncryption(box);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 48, // size
    ...ascii('uuid'), ...SENC_UUID,
    0, 0, 0, 2, // version, flags: subsamples
    0, 0, 0, 1, // sample_count
    9, 9, 9, 9, 9, 9, 9, 9, // IV
    0, 1, // subsample_count
    0, 100, 0, 0, 0, 160)); // clear, protected
  const back = readBack(bytes, (c) => readPiffSampleEncryption(c, 8));
  assert.equal(back.header.uuid, 'a2394f525a9b4f14a2446c427c648df4');
  assert.deepEqual(back.box, box);
});

test('writePiffSampleEncryption with the override of algorithm, IV size and KID (flag 0x1)', () => {
  const kid = new Uint8Array(16).fill(0x11);
  const box: PiffSampleEncryption = { type: 'piffSenc', flags: 1, override: { algorithmId: 1, ivSize: 16, kid }, samples: [{ iv: new Uint8Array(16).fill(3) }] };
  const bytes = writePiffSampleEncryption(box);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 68, // size
    ...ascii('uuid'), ...SENC_UUID,
    0, 0, 0, 1, // version, flags: override
    0, 0, 1, // AlgorithmID: AES-CTR
    16, // IV_size
    ...kid,
    0, 0, 0, 1, // sample_count
    ...new Uint8Array(16).fill(3)));
  // The box's own IV size wins over the one passed in.
  assert.deepEqual(readBack(bytes, (c) => readPiffSampleEncryption(c, 8)).box, box);
});

test('writePiffTrackEncryption: algorithm, IV size, KID under the PIFF uuid', () => {
  const kid = Uint8Array.from({ length: 16 }, (_, i) => i);
  const box: PiffTrackEncryption = { type: 'piffTenc', defaultAlgorithmId: 1, defaultIvSize: 8, defaultKid: kid };
  const bytes = writePiffTrackEncryption(box);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 48, // size
    ...ascii('uuid'), ...TENC_UUID,
    0, 0, 0, 0, // version, flags
    0, 0, 1, // default_AlgorithmID: AES-CTR
    8, // default_IV_size
    ...kid));
  const back = readBack(bytes, readPiffTrackEncryption);
  assert.equal(back.header.uuid, '8974dbce7be74c5184f97148f9882554');
  assert.deepEqual(back.box, box);
});

test('writePiffProtectionHeader: SystemID, DataSize, Data under the PIFF uuid', () => {
  const box: PiffProtectionHeader = { type: 'piffPssh', systemId: '9a04f07998404286ab92e65be0885f95', data: Uint8Array.of(7, 8, 9) };
  const bytes = writePiffProtectionHeader(box);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 51, // size
    ...ascii('uuid'), ...HEADER_UUID,
    0, 0, 0, 0, // version, flags
    0x9a, 0x04, 0xf0, 0x79, 0x98, 0x40, 0x42, 0x86, 0xab, 0x92, 0xe6, 0x5b, 0xe0, 0x88, 0x5f, 0x95, // SystemID: PlayReady
    0, 0, 0, 3, // DataSize
    7, 8, 9)); // Data
  const back = readBack(bytes, readPiffProtectionHeader);
  assert.equal(back.header.uuid, 'd08a4f1810f34a82b6c832d8aba183d3');
  assert.deepEqual(back.box, box);
});
