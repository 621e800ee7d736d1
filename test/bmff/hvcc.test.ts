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
  assert.equal(box.nalLengthSize, 4);
  assert.deepEqual(box.parameterSets, [Uint8Array.of(0x40, 0x01, 0x0c), Uint8Array.of(0x44, 0x01), Uint8Array.of(0x44, 0x02)]);
  assert.deepEqual(writeHvcC(box), bytes);
});
