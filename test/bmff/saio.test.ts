import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Saio, readSaio, writeSaio } from '../../src/bmff/saio.js';
import { ascii, readBack } from './helpers.js';

test('writeSaio with one 32-bit offset (the first senc entry, from the moof)', () => {
  const saio: Saio = { type: 'saio', version: 0, flags: 0, offsets: [1234] };
  const bytes = writeSaio(saio);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 20, // size
    ...ascii('saio'),
    0, 0, 0, 0, // version 0, flags
    0, 0, 0, 1, // entry_count
    0, 0, 0x04, 0xd2)); // offset 1234
  assert.deepEqual(readBack(bytes, readSaio).box, saio);
});

test('writeSaio version 1 with the aux info type', () => {
  const saio: Saio = { type: 'saio', version: 1, flags: 1, auxInfoType: 'cbcs', auxInfoTypeParameter: 0, offsets: [2 ** 32] };
  const bytes = writeSaio(saio);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 32, // size
    ...ascii('saio'),
    1, 0, 0, 1, // version 1, flags: aux_info_type present
    ...ascii('cbcs'), 0, 0, 0, 0, // aux_info_type, aux_info_type_parameter
    0, 0, 0, 1, // entry_count
    0, 0, 0, 1, 0, 0, 0, 0)); // offset 2^32
  assert.deepEqual(readBack(bytes, readSaio).box, saio);
});
