import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addVideoSubsamples } from '../../src/protect/subsamples.js';
import { SmoothpubError } from '../../src/errors.js';

/** Length-prefixed (4 bytes) NAL units. */
function sample(...nals: Uint8Array[]): Uint8Array {
  const out: number[] = [];
  for (const n of nals) out.push(n.length >>> 24, (n.length >>> 16) & 0xff, (n.length >>> 8) & 0xff, n.length & 0xff, ...n);
  return Uint8Array.from(out);
}

function nal(header: number, size: number): Uint8Array {
  const n = new Uint8Array(size).fill(0x55);
  n[0] = header;
  return n;
}

const video = { codec: 'avc' as const, nalLengthSize: 4, parameterSets: [] };
/** A stand-in slice header parser: slices (type 1, 5) have a 3-byte header. */
const threeBytes = (n: Uint8Array): number | undefined => ([1, 5].includes(n[0]! & 0x1f) ? 3 : undefined);
const where = { offset: 4096, sample: 17n };

test('non-slice NAL units join the next clear run; cenc protects whole blocks, the rest of the slice stays clear', () => {
  const s = sample(nal(0x09, 2), nal(0x06, 20), nal(0x65, 1 + 3 + 100), nal(0x41, 1 + 3 + 32));
  const out: number[] = [];
  assert.equal(addVideoSubsamples(s, video, 'cenc', threeBytes, where, out), 2);
  // AUD 4+2, SEI 4+20, IDR 4+1+3 + (100 % 16 = 4): 38 clear, 96 protected; P slice 4+1+3, 32.
  assert.deepEqual(out, [4 + 2 + 4 + 20 + 4 + 1 + 3 + 4, 96, 8, 32]);
  const cbcs: number[] = [];
  addVideoSubsamples(s, video, 'cbcs', threeBytes, where, cbcs);
  assert.deepEqual(cbcs, [4 + 2 + 4 + 20 + 4 + 1 + 3, 100, 8, 32], 'cbcs: protected from the end of the slice header');
});

test('trailing clear NAL units get an entry of their own; clear runs above 65535 bytes are split', () => {
  const s = sample(nal(0x06, 70000), nal(0x41, 1 + 3 + 16), nal(0x0c, 10));
  const out: number[] = [];
  assert.equal(addVideoSubsamples(s, video, 'cenc', threeBytes, where, out), 3);
  assert.deepEqual(out, [65535, 0, 4 + 70000 - 65535 + 4 + 4, 16, 14, 0]);
  assert.equal(out.reduce((a, b) => a + b, 0), s.length);
});

test('a NAL unit length past the sample is a typed error naming the sample', () => {
  const s = sample(nal(0x41, 40));
  s[3] = 200;
  assert.throws(() => addVideoSubsamples(s, video, 'cenc', threeBytes, where, []), (e: unknown) => {
    assert.ok(e instanceof SmoothpubError);
    assert.equal(e.code, 'encrypt.bad-sample');
    assert.equal(e.context.offset, 4096);
    assert.match(e.message, /sample 17: the NAL unit at byte 0 declares 200 bytes/);
    return true;
  });
});
