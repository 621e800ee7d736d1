import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Saiz, readSaiz, writeSaiz } from '../../src/bmff/saiz.js';
import { ascii, readBack } from './helpers.js';

test('writeSaiz with one size for every sample (cenc audio: 8-byte IVs)', () => {
  const saiz: Saiz = { type: 'saiz', flags: 0, defaultSampleInfoSize: 8, sampleCount: 94, sampleSizes: [] };
  const bytes = writeSaiz(saiz);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 17, // size
    ...ascii('saiz'),
    0, 0, 0, 0, // version, flags
    8, // default_sample_info_size
    0, 0, 0, 94)); // sample_count
  assert.deepEqual(readBack(bytes, readSaiz).box, saiz);
});

test('writeSaiz with a size a sample and the aux info type (video subsamples)', () => {
  const saiz: Saiz = { type: 'saiz', flags: 1, auxInfoType: 'cenc', auxInfoTypeParameter: 0, defaultSampleInfoSize: 0, sampleCount: 3, sampleSizes: [16, 22, 16] };
  const bytes = writeSaiz(saiz);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 28, // size
    ...ascii('saiz'),
    0, 0, 0, 1, // version, flags: aux_info_type present
    ...ascii('cenc'), 0, 0, 0, 0, // aux_info_type, aux_info_type_parameter
    0, // default_sample_info_size: sizes follow
    0, 0, 0, 3, // sample_count
    16, 22, 16)); // sample_info_size[]
  assert.deepEqual(readBack(bytes, readSaiz).box, saiz);
});
