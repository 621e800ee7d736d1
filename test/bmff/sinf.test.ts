import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFrma, writeFrma } from '../../src/bmff/frma.js';
import { readSchm, type Schm, writeSchm } from '../../src/bmff/schm.js';
import { readSinf, type Sinf, writeSinf } from '../../src/bmff/sinf.js';
import { ascii, readBack } from './helpers.js';

test('writeFrma names the original sample entry format', () => {
  const bytes = writeFrma({ dataFormat: 'avc1' });
  assert.deepEqual(bytes, Uint8Array.of(0, 0, 0, 12, ...ascii('frma'), ...ascii('avc1')));
  assert.deepEqual(readBack(bytes, readFrma).box, { type: 'frma', dataFormat: 'avc1' });
});

test('writeSchm: cenc version 1.0, and with a scheme URI', () => {
  const schm: Schm = { type: 'schm', flags: 0, schemeType: 'cenc', schemeVersion: 0x00010000 };
  const bytes = writeSchm(schm);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 20, // size
    ...ascii('schm'),
    0, 0, 0, 0, // version, flags
    ...ascii('cenc'), // scheme_type
    0, 1, 0, 0)); // scheme_version 1.0
  assert.deepEqual(readBack(bytes, readSchm).box, schm);
  const withUri: Schm = { type: 'schm', flags: 1, schemeType: 'cbcs', schemeVersion: 0x00010000, schemeUri: 'x:y' };
  const b2 = writeSchm(withUri);
  assert.deepEqual(b2, Uint8Array.of(0, 0, 0, 24, ...ascii('schm'), 0, 0, 0, 1, ...ascii('cbcs'), 0, 1, 0, 0, ...ascii('x:y'), 0));
  assert.deepEqual(readBack(b2, readSchm).box, withUri);
});

test('writeSinf nests frma, schm and schi/tenc', () => {
  const kid = new Uint8Array(16).fill(7);
  const sinf: Sinf = {
    type: 'sinf',
    originalFormat: 'mp4a',
    schm: { type: 'schm', flags: 0, schemeType: 'cenc', schemeVersion: 0x00010000 },
    tenc: { type: 'tenc', version: 0, defaultCryptByteBlock: 0, defaultSkipByteBlock: 0, defaultIsProtected: 1, defaultPerSampleIvSize: 8, defaultKid: kid },
  };
  const bytes = writeSinf(sinf);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 80, // size: 8 + frma 12 + schm 20 + schi 40
    ...ascii('sinf'),
    0, 0, 0, 12, ...ascii('frma'), ...ascii('mp4a'),
    0, 0, 0, 20, ...ascii('schm'), 0, 0, 0, 0, ...ascii('cenc'), 0, 1, 0, 0,
    0, 0, 0, 40, ...ascii('schi'),
    0, 0, 0, 32, ...ascii('tenc'), 0, 0, 0, 0, 0, 0, 1, 8, ...kid));
  assert.deepEqual(readBack(bytes, readSinf).box, sinf);
});

test('readSinf reads PIFF 1.1 track encryption uuid in schi (a PIFF ISMV has no tenc)', () => {
  const sinf: Sinf = {
    type: 'sinf',
    originalFormat: 'avc1',
    schm: { type: 'schm', flags: 0, schemeType: 'piff', schemeVersion: 0x00010001 },
    piffTenc: { type: 'piffTenc', defaultAlgorithmId: 1, defaultIvSize: 8, defaultKid: new Uint8Array(16).fill(0x42) },
  };
  const back = readBack(writeSinf(sinf), readSinf).box;
  assert.deepEqual(back, sinf);
  assert.equal(back.tenc, undefined);
});
