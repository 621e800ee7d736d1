import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Mdhd, readMdhd, writeMdhd } from '../../src/bmff/mdhd.js';
import { ascii, readBack, readTruncated, smoothpubError } from './helpers.js';

test('writeMdhd version 0 with a language', () => {
  const mdhd: Mdhd = { type: 'mdhd', version: 0, timescale: 10_000_000, duration: 30_000_000n, language: 'eng' };
  const bytes = writeMdhd(mdhd);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 32, // size
    ...ascii('mdhd'),
    0, 0, 0, 0, // version 0, flags
    0, 0, 0, 0, 0, 0, 0, 0, // creation_time, modification_time
    0, 0x98, 0x96, 0x80, // timescale 10 MHz
    0x01, 0xc9, 0xc3, 0x80, // duration 3 s
    0x15, 0xc7, // language 'eng': (5 << 10) | (14 << 5) | 7
    0, 0)); // pre_defined
  assert.deepEqual(readBack(bytes, readMdhd).box, mdhd);
});

test('writeMdhd version 1 as ffmpeg writes it for ismv', () => {
  const mdhd: Mdhd = { type: 'mdhd', version: 1, timescale: 10_000_000, duration: 0xffffffffffffffffn, language: 'und' };
  const bytes = writeMdhd(mdhd);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 44, // size
    ...ascii('mdhd'),
    1, 0, 0, 0, // version 1, flags
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // creation_time, modification_time
    0, 0x98, 0x96, 0x80, // timescale
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // duration unknown
    0x55, 0xc4, // language 'und'
    0, 0)); // pre_defined
  assert.deepEqual(readBack(bytes, readMdhd).box, mdhd);
  assert.throws(() => writeMdhd({ ...mdhd, version: 0 }), smoothpubError('bmff.bad-box'));
});

test('a truncated mdhd throws at the absolute offset of language', () => {
  const bytes = writeMdhd({ version: 0, timescale: 1000, duration: 0n, language: 'und' });
  assert.throws(() => readTruncated(bytes, readMdhd, 3, 260), smoothpubError('bmff.truncated-box', 260 + 28));
});
