import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Senc, readSenc, writeSenc } from '../../src/bmff/senc.js';
import { ascii, readBack, readTruncated, smoothpubError } from './helpers.js';

test('writeSenc with 8-byte IVs and subsamples (cenc video)', () => {
  const senc: Senc = {
    type: 'senc',
    flags: 0x2,
    samples: [
      { iv: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), subsamples: [{ clear: 37, protected: 1024 }, { clear: 70000 - 65535, protected: 16 }] },
      { iv: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 9), subsamples: [{ clear: 5, protected: 0 }] },
    ],
  };
  const bytes = writeSenc(senc);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 54, // size
    ...ascii('senc'),
    0, 0, 0, 0x02, // version, flags: subsamples
    0, 0, 0, 2, // sample_count
    1, 2, 3, 4, 5, 6, 7, 8, // IV of sample 0
    0, 2, // subsample_count
    0, 37, 0, 0, 0x04, 0x00, // BytesOfClearData 37, BytesOfProtectedData 1024
    0x11, 0x71, 0, 0, 0, 16, // 4465, 16
    1, 2, 3, 4, 5, 6, 7, 9, // IV of sample 1
    0, 1, // subsample_count
    0, 5, 0, 0, 0, 0)); // 5 clear, nothing protected
  assert.deepEqual(readBack(bytes, (c) => readSenc(c, 8)).box, senc);
});

test('writeSenc without IVs or subsamples (cbcs audio) holds only the count', () => {
  const senc: Senc = { type: 'senc', flags: 0, samples: [{ iv: new Uint8Array(0) }, { iv: new Uint8Array(0) }] };
  const bytes = writeSenc(senc);
  assert.deepEqual(bytes, Uint8Array.of(0, 0, 0, 16, ...ascii('senc'), 0, 0, 0, 0, 0, 0, 0, 2));
  assert.deepEqual(readBack(bytes, (c) => readSenc(c, 0)).box, senc);
});

test('writeSenc refuses a subsample flag without subsamples and counts that do not fit', () => {
  assert.throws(() => writeSenc({ flags: 2, samples: [{ iv: new Uint8Array(8) }] }), smoothpubError('bmff.bad-box'));
  assert.throws(() => writeSenc({ flags: 2, samples: [{ iv: new Uint8Array(8), subsamples: [{ clear: 65536, protected: 0 }] }] }), smoothpubError('bmff.bad-box'));
});

test('a truncated senc throws at the absolute offset where its entries run out', () => {
  const bytes = writeSenc({ flags: 2, samples: [{ iv: new Uint8Array(8), subsamples: [{ clear: 1, protected: 16 }] }] });
  // header 8 + version/flags 4 + count 4 + IV 8 + subsample_count 2: the 6-byte pair starts at 26
  assert.throws(() => readTruncated(bytes, (c) => readSenc(c, 8), 1, 500), smoothpubError('bmff.truncated-box', 526));
});
