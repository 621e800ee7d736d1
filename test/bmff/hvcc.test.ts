import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readHvcC, writeHvcC } from '../../src/bmff/hvcc.js';
import { ascii, readBack } from './helpers.js';

test('readHvcC finds the NAL length size and the parameter sets; writeHvcC gives the record back unchanged', () => {
  const bytes = Uint8Array.of(
    0, 0, 0, 50, // size
    ...ascii('hvcC'),
    1, // configurationVersion
    0x01, 0x60, 0, 0, 0, // profile space/tier/idc, compatibility flags
    0x90, 0, 0, 0, 0, 0, // constraint indicator flags
    0x3c, // general_level_idc
    0xf0, 0, // min_spatial_segmentation_idc
    0xfc, // parallelismType
    0xfd, // chromaFormat 4:2:0
    0xf8, 0xf8, // bit depths 8
    0, 0, // avgFrameRate
    0x0f, // constantFrameRate, numTemporalLayers, temporalIdNested, lengthSizeMinusOne 3
    2, // numOfArrays
    0xa0, 0, 1, 0, 3, 0x40, 0x01, 0x0c, // VPS array: one 3-byte NAL unit
    0xa2, 0, 2, 0, 2, 0x44, 0x01, 0, 2, 0x44, 0x02); // PPS array: two 2-byte NAL units
  const { box } = readBack(bytes, readHvcC);
  assert.deepEqual(
    { profileSpace: box.profileSpace, tierFlag: box.tierFlag, profileIdc: box.profileIdc, compatibilityFlags: box.compatibilityFlags, levelIdc: box.levelIdc },
    { profileSpace: 0, tierFlag: 0, profileIdc: 1, compatibilityFlags: 0x60000000, levelIdc: 60 },
  );
  assert.deepEqual(box.constraintFlags, Uint8Array.of(0x90, 0, 0, 0, 0, 0));
  assert.equal(box.nalLengthSize, 4);
  assert.deepEqual(box.parameterSets, [Uint8Array.of(0x40, 0x01, 0x0c), Uint8Array.of(0x44, 0x01), Uint8Array.of(0x44, 0x02)]);
  assert.deepEqual(writeHvcC(box), bytes);
});

test('readHvcC splits the first byte into profile space, tier and profile idc', () => {
  const record = Uint8Array.of(1, 0xa2, 0x20, 0, 0, 0, 0xb0, 0, 0, 0, 0, 1, 153, 0xf0, 0, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f, 0);
  const { box } = readBack(Uint8Array.of(0, 0, 0, 8 + record.length, ...ascii('hvcC'), ...record), readHvcC);
  // 0xa2 = 10 1 00010: profile space 2, High tier, Main 10.
  assert.deepEqual([box.profileSpace, box.tierFlag, box.profileIdc, box.levelIdc], [2, 1, 2, 153]);
  assert.deepEqual(box.constraintFlags, Uint8Array.of(0xb0, 0, 0, 0, 0, 1));
  assert.deepEqual(box.parameterSets, []);
});
