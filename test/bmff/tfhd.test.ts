import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tfhd, readTfhd, writeTfhd } from '../../src/bmff/tfhd.js';
import { ascii, readBack, readTruncated, smoothpubError } from './helpers.js';

test('writeTfhd as ffmpeg writes it: default sample flags only', () => {
  const tfhd: Tfhd = { type: 'tfhd', flags: 0x20, trackId: 1, defaultSampleFlags: 0x01010000 };
  const bytes = writeTfhd(tfhd);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 20, // size
    ...ascii('tfhd'),
    0, 0x00, 0x00, 0x20, // version, flags: default-sample-flags-present
    0, 0, 0, 1, // track_ID
    0x01, 0x01, 0x00, 0x00)); // default_sample_flags: non-sync, depends on others
  assert.deepEqual(readBack(bytes, readTfhd).box, tfhd);
});

test('writeTfhd with every optional field', () => {
  const tfhd: Tfhd = {
    type: 'tfhd',
    flags: 0x02003b,
    trackId: 2,
    baseDataOffset: 0x100000000n,
    sampleDescriptionIndex: 1,
    defaultSampleDuration: 416667,
    defaultSampleSize: 1000,
    defaultSampleFlags: 0x02000000,
  };
  const bytes = writeTfhd(tfhd);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 40, // size
    ...ascii('tfhd'),
    0, 0x02, 0x00, 0x3b, // version, flags: default-base-is-moof | all five fields
    0, 0, 0, 2, // track_ID
    0, 0, 0, 1, 0, 0, 0, 0, // base_data_offset 2^32
    0, 0, 0, 1, // sample_description_index
    0, 0x06, 0x5b, 0x9b, // default_sample_duration 416667
    0, 0, 0x03, 0xe8, // default_sample_size 1000
    0x02, 0x00, 0x00, 0x00)); // default_sample_flags: sync
  assert.deepEqual(readBack(bytes, readTfhd).box, tfhd);

  const moofOnly: Tfhd = { type: 'tfhd', flags: 0x020000, trackId: 3 };
  assert.deepEqual(writeTfhd(moofOnly), Uint8Array.of(0, 0, 0, 16, ...ascii('tfhd'), 0, 0x02, 0, 0, 0, 0, 0, 3));
  assert.deepEqual(readBack(writeTfhd(moofOnly), readTfhd).box, moofOnly);
});

test('writeTfhd refuses flags without their field', () => {
  assert.throws(() => writeTfhd({ flags: 0x08, trackId: 1 }), smoothpubError('bmff.bad-box'));
});

test('a truncated tfhd throws at the absolute offset of the first missing field', () => {
  const bytes = writeTfhd({ flags: 0x3b, trackId: 2, baseDataOffset: 0n, sampleDescriptionIndex: 1, defaultSampleDuration: 1, defaultSampleSize: 1, defaultSampleFlags: 0 });
  // header 8 + version/flags 4 + track_ID 4 + base_data_offset 8 + 3 x 4: default_sample_flags starts at 36
  assert.throws(() => readTruncated(bytes, readTfhd, 2, 1000), smoothpubError('bmff.truncated-box', 1036));
});
