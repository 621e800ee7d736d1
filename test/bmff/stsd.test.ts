import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Stsd, readStsd, writeStsd } from '../../src/bmff/stsd.js';
import { box, fullBox } from '../../src/bmff/writer.js';
import { ascii, readBack, smoothpubError } from './helpers.js';
import { AVCC, AVCC_BYTES, ESDS, ESDS_BYTES } from './codecConfigs.js';

test('writeStsd with an avc1 entry and its avcC', () => {
  const stsd: Stsd = { type: 'stsd', entries: [{ format: 'avc1', width: 64, height: 64, avcC: AVCC }] };
  const bytes = writeStsd(stsd);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 130, // size
    ...ascii('stsd'),
    0, 0, 0, 0, // version, flags
    0, 0, 0, 1, // entry_count
    0, 0, 0, 114, // avc1 size
    ...ascii('avc1'),
    0, 0, 0, 0, 0, 0, 0, 1, // reserved, data_reference_index
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // pre_defined, reserved, pre_defined[3]
    0, 64, 0, 64, // width, height
    0, 0x48, 0, 0, 0, 0x48, 0, 0, // horizresolution, vertresolution: 72 dpi
    0, 0, 0, 0, // reserved
    0, 1, // frame_count
    ...new Array<number>(32).fill(0), // compressorname
    0, 0x18, // depth
    0xff, 0xff, // pre_defined -1
    ...AVCC_BYTES));
  assert.deepEqual(readBack(bytes, readStsd).box, stsd);
});

test('writeStsd with an mp4a entry and its esds', () => {
  const stsd: Stsd = { type: 'stsd', entries: [{ format: 'mp4a', channelCount: 2, sampleSize: 16, sampleRate: 48000, esds: ESDS }] };
  const bytes = writeStsd(stsd);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 91, // size
    ...ascii('stsd'),
    0, 0, 0, 0, // version, flags
    0, 0, 0, 1, // entry_count
    0, 0, 0, 75, // mp4a size
    ...ascii('mp4a'),
    0, 0, 0, 0, 0, 0, 0, 1, // reserved, data_reference_index
    0, 0, 0, 0, 0, 0, 0, 0, // version 0, revision, vendor
    0, 2, // channelcount
    0, 16, // samplesize
    0, 0, 0, 0, // pre_defined, reserved
    0xbb, 0x80, 0, 0, // samplerate 48000.0
    ...ESDS_BYTES));
  assert.deepEqual(readBack(bytes, readStsd).box, stsd);
});

test('writeStsd with several entries, an encrypted one and an unknown format', () => {
  const stsd: Stsd = {
    type: 'stsd',
    entries: [
      { format: 'encv', width: 1280, height: 720, avcC: AVCC, originalFormat: 'avc1' },
      { format: 'mp4a', channelCount: 1, sampleSize: 16, sampleRate: 44100, esds: ESDS },
      { format: 'tx3g' },
    ],
  };
  const bytes = writeStsd(stsd);
  const sinf = box('sinf', box('frma', Uint8Array.from(ascii('avc1'))));
  assert.deepEqual(sinf, Uint8Array.of(0, 0, 0, 20, ...ascii('sinf'), 0, 0, 0, 12, ...ascii('frma'), ...ascii('avc1')));
  assert.equal(bytes.length, 16 + (8 + 78 + 28 + 20) + 75 + 16);
  assert.deepEqual(readBack(bytes, readStsd).box, stsd);
});

test('writeStsd refuses entries missing what their format needs', () => {
  assert.throws(() => writeStsd({ entries: [{ format: 'avc1', height: 64 }] }), smoothpubError('bmff.bad-box'));
  assert.throws(() => writeStsd({ entries: [{ format: 'mp4a', channelCount: 2, sampleSize: 16 }] }), smoothpubError('bmff.bad-box'));
  assert.throws(() => writeStsd({ entries: [{ format: 'mp4a', channelCount: 2, sampleSize: 16, sampleRate: 96000 }] }), smoothpubError('bmff.bad-box'));
});

test('readStsd stops at the entries present and reports a short entry at its absolute offset', () => {
  const oneOfTwo = fullBox('stsd', 0, 0, Uint8Array.of(0, 0, 0, 2), box('tx3g', new Uint8Array(8)));
  assert.deepEqual(readBack(oneOfTwo, readStsd).box, { type: 'stsd', entries: [{ format: 'tx3g' }] });
  // an avc1 entry of 20 payload bytes: the visual fields after the first 8 are missing
  const short = fullBox('stsd', 0, 0, Uint8Array.of(0, 0, 0, 1), box('avc1', new Uint8Array(20)));
  assert.throws(() => readBack(short, readStsd, 421), smoothpubError('bmff.truncated-box', 421 + 8 + 4 + 4 + 8 + 8));
});
