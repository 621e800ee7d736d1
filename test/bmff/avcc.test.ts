import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type AvcC, readAvcC, writeAvcC } from '../../src/bmff/avcc.js';
import { readBack, readTruncated, smoothpubError } from './helpers.js';
import { AVCC, AVCC_BYTES } from './codecConfigs.js';

test('writeAvcC writes the base record and reads back', () => {
  const bytes = writeAvcC(AVCC);
  assert.deepEqual(bytes, Uint8Array.from(AVCC_BYTES));
  assert.deepEqual(readBack(bytes, readAvcC).box, AVCC);
});

test('writeAvcC with 2-byte NAL lengths, two SPS and no PPS', () => {
  const avcC: AvcC = { ...AVCC, nalLengthSize: 2, sps: [Uint8Array.of(0x67), Uint8Array.of(0x67, 1)], pps: [] };
  const bytes = writeAvcC(avcC);
  assert.deepEqual(bytes.subarray(8), Uint8Array.of(
    1, 0x64, 0x00, 0x0a,
    0xfd, // lengthSizeMinusOne 1
    0xe2, // two SPS
    0, 1, 0x67,
    0, 2, 0x67, 1,
    0)); // no PPS
  assert.deepEqual(readBack(bytes, readAvcC).box, avcC);
});

test('writeAvcC refuses what the record cannot hold', () => {
  assert.throws(() => writeAvcC({ ...AVCC, nalLengthSize: 0 }), smoothpubError('bmff.bad-box'));
  assert.throws(() => writeAvcC({ ...AVCC, nalLengthSize: 5 }), smoothpubError('bmff.bad-box'));
  assert.throws(() => writeAvcC({ ...AVCC, sps: Array.from({ length: 32 }, () => Uint8Array.of(0x67)) }), smoothpubError('bmff.bad-box'));
  assert.throws(() => writeAvcC({ ...AVCC, pps: [new Uint8Array(0x10000)] }), smoothpubError('bmff.bad-box'));
});

test('an avcC whose SPS length overruns it throws at the SPS', () => {
  // cut inside the PPS: header 8 + 6 + SPS 7 + count 1 + length 2 = PPS bytes at 24
  assert.throws(() => readTruncated(writeAvcC(AVCC), readAvcC, 1, 421), smoothpubError('bmff.truncated-box', 421 + 24));
});
