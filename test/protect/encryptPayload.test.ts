import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { decryptPayload, encryptPayload, nativeEncryptionAvailable } from '../../src/protect/encryptPayload.js';
import type { PayloadEncryption } from '../../src/protect/model.js';
import { CBCS_VIDEO_PATTERN } from '../../src/protect/trackEncryptionFor.js';
import { requireAddon } from '../harness/ci.js';
import { mulberry32 } from '../harness/mulberry32.js';
import { withNative } from '../harness/native.js';

const KEY = Uint8Array.from({ length: 16 }, (_, i) => i * 7);

/** One AES block, by ECB: the reference the modes are built from here. */
function aes(block: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-128-ecb', KEY, null);
  c.setAutoPadding(false);
  return new Uint8Array(c.update(block));
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.map((v, i) => v ^ b[i]!);
}

function bytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

/** Each case twice: with the native addon (native/cenc.c) and with the portable path (SMOOTHPUB_NO_NATIVE=1). */
function both(name: string, fn: () => void): void {
  for (const path of ['native', 'portable'] as const) {
    test(`${name} (${path})`, async (t) => {
      if (path === 'native' && !requireAddon(t, 'cenc')) return;
      await withNative(path === 'native', () => {
        assert.equal(nativeEncryptionAvailable(), path === 'native');
        fn();
      });
    });
  }
}

both('cenc: the key stream (IV, then a 64-bit block counter) runs on across a sample\'s protected ranges and restarts each sample', () => {
  const payload = bytes(5 + 3 + 64 + 10 + 32 + 50, 1);
  const clear = payload.slice();
  const ivs = new Uint8Array(32);
  ivs.set([1, 2, 3, 4, 5, 6, 7, 8], 0);
  ivs.set([1, 2, 3, 4, 5, 6, 7, 9], 16);
  const enc: PayloadEncryption = {
    scheme: 'cenc', key: KEY, start: 5, sampleSizes: Uint32Array.of(3 + 64 + 10 + 32, 50), ivs,
    subsamples: Uint32Array.of(3, 64, 10, 32), subsampleCounts: Uint16Array.of(2, 0),
  };
  // The second sample has no subsample entries while others do: not allowed, it must list its bytes.
  assert.throws(() => encryptPayload(payload.slice(), enc), /add up to 0 bytes, the sample has 50/);
  enc.subsamples = Uint32Array.of(3, 64, 10, 32, 2, 48);
  enc.subsampleCounts = Uint16Array.of(2, 1);
  encryptPayload(payload, enc);

  const counter = (iv: Uint8Array, n: number): Uint8Array => {
    const b = new Uint8Array(16);
    b.set(iv.subarray(0, 8));
    new DataView(b.buffer).setBigUint64(8, BigInt(n));
    return aes(b);
  };
  const expected = clear.slice();
  // Sample 0: 96 protected bytes = blocks 0-5 of its key stream, split 64 | 32 around 10 clear bytes.
  const prot0 = [...clear.subarray(8, 72), ...clear.subarray(82, 114)];
  const ks0 = Array.from({ length: 6 }, (_, n) => [...counter(ivs.subarray(0, 8), n)]).flat();
  const enc0 = xor(Uint8Array.from(prot0), Uint8Array.from(ks0));
  expected.set(enc0.subarray(0, 64), 8);
  expected.set(enc0.subarray(64), 82);
  // Sample 1: its own IV, counter from 0.
  const ks1 = Array.from({ length: 3 }, (_, n) => [...counter(ivs.subarray(16, 24), n)]).flat();
  expected.set(xor(clear.subarray(116, 164), Uint8Array.from(ks1)), 116);
  assert.deepEqual(payload, expected);
  assert.deepEqual(payload.subarray(0, 8), clear.subarray(0, 8), 'bytes before the samples and the clear bytes are untouched');
  decryptPayload(payload, enc);
  assert.deepEqual(payload, clear);
});

both('cenc: 16-byte counter blocks carry across all 128 bits as AES-CTR does, whole samples of any length, at any alignment', () => {
  // Counter blocks whose low words overflow within the sample (a 16-byte IV, as passthrough
  // sources may carry), whole samples of odd sizes, a payload not starting on a 4-byte boundary.
  const sizes = [1, 15, 17, 100, 333, 40];
  const total = sizes.reduce((a, b) => a + b, 0);
  const backing = bytes(total + 3, 9);
  const payload = backing.subarray(3);
  const clear = payload.slice();
  const ivs = new Uint8Array(16 * sizes.length);
  sizes.forEach((_, i) => {
    ivs.set([9, 8, 7, 6, 5, 4, 3, i], 16 * i);
    // Low 64 bits: 2^64 - 2 (sample 2: 2^32 - 3), so the block counter carries into the IV half.
    ivs.set(i === 2 ? [0, 0, 0, 0, 0xff, 0xff, 0xff, 0xfd] : [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe], 16 * i + 8);
  });
  const enc: PayloadEncryption = { scheme: 'cenc', key: KEY, start: 0, sampleSizes: Uint32Array.from(sizes), ivs };
  encryptPayload(payload, enc);
  let at = 0;
  sizes.forEach((size, i) => {
    const reference = createCipheriv('aes-128-ctr', KEY, ivs.subarray(16 * i, 16 * i + 16));
    assert.deepEqual(payload.subarray(at, at + size), new Uint8Array(reference.update(clear.subarray(at, at + size))), `sample ${i}`);
    at += size;
  });
  decryptPayload(payload, enc);
  assert.deepEqual(payload, clear);
});

both('cbcs 1:9: block 0, 10, 20 of each protected range are CBC-chained from the constant IV, the rest and a partial block clear', () => {
  const range = 25 * 16 + 5;
  const payload = bytes(7 + range + 4 + 40, 3);
  const clear = payload.slice();
  const iv = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 ^ i);
  assert.deepEqual([CBCS_VIDEO_PATTERN.crypt, CBCS_VIDEO_PATTERN.skip], [1, 9]);
  const enc: PayloadEncryption = {
    scheme: 'cbcs', key: KEY, start: 0, sampleSizes: Uint32Array.of(7 + range + 4 + 40), ivs: iv, pattern: { ...CBCS_VIDEO_PATTERN },
    subsamples: Uint32Array.of(7, range, 4, 40), subsampleCounts: Uint16Array.of(2),
  };
  encryptPayload(payload, enc);
  const expected = clear.slice();
  let chain: Uint8Array = iv;
  for (const b of [0, 10, 20]) {
    const at = 7 + 16 * b;
    chain = aes(xor(clear.subarray(at, at + 16), chain));
    expected.set(chain, at);
  }
  // The second subsample starts again from the constant IV; 40 bytes = 2 blocks + 8: block 0 only.
  const second = 7 + range + 4;
  expected.set(aes(xor(clear.subarray(second, second + 16), iv)), second);
  assert.deepEqual(payload, expected);
  decryptPayload(payload, enc);
  assert.deepEqual(payload, clear);
});

both('cbcs without a pattern (audio): every full block of the sample, chained, the partial last block clear', () => {
  const payload = bytes(16 * 3 + 9, 5);
  const clear = payload.slice();
  const iv = new Uint8Array(16).fill(0x42);
  encryptPayload(payload, { scheme: 'cbcs', key: KEY, start: 0, sampleSizes: Uint32Array.of(payload.length), ivs: iv });
  let chain: Uint8Array = iv;
  const expected = clear.slice();
  for (let b = 0; b < 3; b++) {
    chain = aes(xor(clear.subarray(16 * b, 16 * b + 16), chain));
    expected.set(chain, 16 * b);
  }
  assert.deepEqual(payload, expected);
});

both('a sample running past the payload is a typed error, not a partial encryption', () => {
  assert.throws(() => encryptPayload(new Uint8Array(10), { scheme: 'cenc', key: KEY, start: 0, sampleSizes: Uint32Array.of(11), ivs: new Uint8Array(16) }), (e: unknown) => (e as { code?: string }).code === 'bmff.bad-box');
});

/** A random fragment layout: samples of random sizes, video ones split into clear and protected runs (cenc: whole blocks). */
function randomLayout(random: () => number, scheme: 'cenc' | 'cbcs', video: boolean): { payload: Uint8Array; enc: PayloadEncryption } {
  const n = 1 + Math.floor(random() * 12);
  const start = Math.floor(random() * 9);
  const sizes: number[] = [];
  const subs: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!video) {
      sizes.push(Math.floor(random() * 700));
      continue;
    }
    const pairs = 1 + Math.floor(random() * 4);
    let size = 0;
    for (let p = 0; p < pairs; p++) {
      const clear = Math.floor(random() * 40);
      const prot = scheme === 'cenc' ? 16 * Math.floor(random() * 30) : Math.floor(random() * 600);
      subs.push(clear, prot);
      size += clear + prot;
    }
    sizes.push(size);
    counts.push(pairs);
  }
  const total = start + sizes.reduce((a, b) => a + b, 0) + Math.floor(random() * 5);
  // Offset in its buffer so the payload does not start on a word boundary.
  const payload = new Uint8Array(total + 3).subarray(3);
  for (let i = 0; i < payload.length; i++) payload[i] = Math.floor(random() * 256);
  const ivs = new Uint8Array(16 * (scheme === 'cenc' ? n : 1));
  for (let i = 0; i < ivs.length; i++) ivs[i] = scheme === 'cenc' && i % 16 >= 8 ? 0 : Math.floor(random() * 256);
  const enc: PayloadEncryption = { scheme, key: KEY, start, sampleSizes: Uint32Array.from(sizes), ivs: scheme === 'cenc' ? ivs : new Uint8Array(16 * n).map((_, i) => ivs[i % 16]!) };
  if (video) {
    enc.subsamples = Uint32Array.from(subs);
    enc.subsampleCounts = Uint16Array.from(counts);
    if (scheme === 'cbcs') enc.pattern = { ...CBCS_VIDEO_PATTERN };
  }
  return { payload, enc };
}

test('the native addon encrypts and decrypts every layout to the same bytes as the portable path (cenc, cbcs; video, audio)', async (t) => {
  if (!requireAddon(t, 'cenc')) return;
  const random = mulberry32(1414);
  for (let round = 0; round < 200; round++) {
    const scheme = round % 2 === 0 ? 'cenc' : 'cbcs';
    const { payload, enc } = randomLayout(random, scheme, round % 4 < 2);
    const clear = payload.slice();
    const portable = payload.slice();
    await withNative(false, () => encryptPayload(portable, enc));
    await withNative(true, () => encryptPayload(payload, enc));
    assert.deepEqual(payload, portable, `round ${round} (${scheme}, seed 1414)`);
    if (enc.sampleSizes.some((s) => s >= 16)) assert.notDeepEqual(payload, clear, `round ${round} changed something`);
    await withNative(true, () => decryptPayload(payload, enc));
    assert.deepEqual(payload, clear, `round ${round} decrypts`);
  }
});
