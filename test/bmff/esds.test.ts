import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Esds, readEsds, writeEsds } from '../../src/bmff/esds.js';
import { fullBox } from '../../src/bmff/writer.js';
import { readBack, readTruncated, smoothpubError } from './helpers.js';
import { ESDS, ESDS_BYTES } from './codecConfigs.js';

test('writeEsds writes AAC with its AudioSpecificConfig and reads back', () => {
  const bytes = writeEsds(ESDS);
  assert.deepEqual(bytes, Uint8Array.from(ESDS_BYTES));
  assert.deepEqual(readBack(bytes, readEsds).box, ESDS);
});

test('writeEsds uses multi-byte descriptor sizes past 127 and leaves out an empty DecoderSpecificInfo', () => {
  const big: Esds = { ...ESDS, decoderSpecificInfo: new Uint8Array(200).fill(7) };
  const bytes = writeEsds(big);
  // DSI body 200 = 0x81 0x48; DecoderConfig body 13 + 203 = 216 = 0x81 0x58; ES body 3 + 219 + 3 = 225 = 0x81 0x61
  assert.deepEqual(bytes.subarray(12, 15), Uint8Array.of(0x03, 0x81, 0x61));
  assert.deepEqual(bytes.subarray(18, 21), Uint8Array.of(0x04, 0x81, 0x58));
  assert.deepEqual(bytes.subarray(34, 37), Uint8Array.of(0x05, 0x81, 0x48));
  assert.deepEqual(readBack(bytes, readEsds).box, big);

  const none: Esds = { ...ESDS, decoderSpecificInfo: new Uint8Array(0) };
  assert.equal(writeEsds(none).length, 39 - 4); // no 05 02 11 90
  assert.deepEqual(readBack(writeEsds(none), readEsds).box, none);
});

test('readEsds takes ffmpeg\'s padded 4-byte descriptor sizes and an ES_ID', () => {
  const ffmpegStyle = fullBox('esds', 0, 0, Uint8Array.of(
    0x03, 0x80, 0x80, 0x80, 0x25, 0x00, 0x02, 0x00, // ES_Descriptor, ES_ID 2, flags
    0x04, 0x80, 0x80, 0x80, 0x17, 0x40, 0x15, 0x00, 0x00, 0x00, 0x00, 0x01, 0x0d, 0x88, 0x00, 0x01, 0x0d, 0x88,
    0x05, 0x80, 0x80, 0x80, 0x05, 0x12, 0x08, 0x56, 0xe5, 0x00, // AudioSpecificConfig with SBR signalling
    0x06, 0x80, 0x80, 0x80, 0x01, 0x02));
  assert.deepEqual(readBack(ffmpegStyle, readEsds).box, {
    type: 'esds', objectTypeIndication: 0x40, maxBitrate: 69000, avgBitrate: 69000, decoderSpecificInfo: Uint8Array.of(0x12, 0x08, 0x56, 0xe5, 0x00),
  });
});

test('an esds cut inside its DecoderConfigDescriptor throws at the missing field', () => {
  // header 8 + 4 + ES 2 + 3 + DC header 2 + OTI 1 + 4: maxBitrate at 24
  assert.throws(() => readTruncated(writeEsds(ESDS), readEsds, 14, 937), smoothpubError('bmff.truncated-box', 937 + 24));
});
