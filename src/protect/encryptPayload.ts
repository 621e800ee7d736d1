import { createCipheriv, createDecipheriv } from 'node:crypto';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { loadAddon } from '../util/loadAddon.js';
import type { PayloadEncryption } from './model.js';

/**
 * The native copy of this file's loops (native/cenc.c, node's own OpenSSL): 0 when done,
 * -1 when the layout does not fit the payload (nothing changed; the portable path then
 * says why).
 */
interface NativeCenc {
  cenc(payload: Uint8Array, key: Uint8Array, ivs: Uint8Array, sampleSizes: Uint32Array, start: number, subsamples: Uint32Array | null, subsampleCounts: Uint16Array | null): number;
  cbcs(payload: Uint8Array, key: Uint8Array, ivs: Uint8Array, sampleSizes: Uint32Array, start: number, subsamples: Uint32Array | null, subsampleCounts: Uint16Array | null, crypt: number, skip: number, encrypt: boolean): number;
}

/** True when payloads are encrypted by the native addon (native/cenc.c) rather than the portable path below. */
export function nativeEncryptionAvailable(): boolean {
  return loadAddon<NativeCenc>('cenc') !== null;
}

/**
 * Encrypts a fragment's `mdat` payload in place, sample by sample, as `enc` says.
 *
 * cenc: AES-128-CTR, the counter block the sample's 8-byte IV then an 8-byte block
 * counter from 0; the key stream runs on across the sample's protected ranges (ISO/IEC
 * 23001-7, 'cenc'). The whole fragment's key stream is made at once: every counter block
 * of every sample laid out in one buffer, encrypted with one AES-128-ECB call, then XORed
 * in 32-bit words. A CTR cipher a sample costs more to create than to run on the short
 * samples of audio and of most video frames.
 *
 * cbcs: AES-128-CBC without padding on the pattern's encrypted blocks (crypt, then skip,
 * from the start of each protected range; a trailing partial block stays clear). The
 * chain starts from the constant IV at each subsample, as ISO/IEC 23001-7 ('cbcs') says,
 * and as Shaka Packager writes and ffmpeg's mov demuxer reads it. A subsample's
 * encrypted blocks are gathered into one buffer, encrypted with one call and put back:
 * no cipher a block.
 */
export function encryptPayload(payload: Uint8Array, enc: PayloadEncryption): void {
  crypt(payload, enc, true);
}

/** The inverse of encryptPayload (for tests and `verify`). */
export function decryptPayload(payload: Uint8Array, enc: PayloadEncryption): void {
  crypt(payload, enc, false);
}

function crypt(payload: Uint8Array, enc: PayloadEncryption, encrypt: boolean): void {
  const n = enc.sampleSizes.length;
  if (enc.ivs.length !== 16 * n) throw bad(`${enc.ivs.length} bytes of IVs for ${n} samples (16 each)`);
  const native = loadAddon<NativeCenc>('cenc');
  // -1: a layout that does not fit; the portable path below finds and names what.
  if (native !== null && cryptNative(native, payload, enc, encrypt) === 0) return;
  if (enc.scheme === 'cenc') {
    ctrFragment(payload, enc);
    return;
  }
  let pos = enc.start;
  let pair = 0;
  for (let i = 0; i < n; i++) {
    const size = enc.sampleSizes[i]!;
    if (pos + size > payload.length) throw bad(`sample ${i} (${size} bytes at payload byte ${pos}) runs past the ${payload.length}-byte payload`);
    const iv = enc.ivs.subarray(16 * i, 16 * i + 16);
    const sample = payload.subarray(pos, pos + size);
    const ranges = protectedRanges(enc, i, size, pair);
    pair += enc.subsampleCounts?.[i] ?? 0;
    for (let r = 0; r < ranges.length; r += 2) cbcPattern(sample.subarray(ranges[r]!, ranges[r]! + ranges[r + 1]!), enc, iv, encrypt);
    pos += size;
  }
}

function cryptNative(native: NativeCenc, payload: Uint8Array, enc: PayloadEncryption, encrypt: boolean): number {
  // Whole samples unless both are given (as protectedRanges reads them).
  const whole = enc.subsamples === undefined || enc.subsampleCounts === undefined;
  const subs = whole ? null : enc.subsamples!;
  const counts = whole ? null : enc.subsampleCounts!;
  if (enc.scheme === 'cenc') return native.cenc(payload, enc.key, enc.ivs, enc.sampleSizes, enc.start, subs, counts);
  return native.cbcs(payload, enc.key, enc.ivs, enc.sampleSizes, enc.start, subs, counts, enc.pattern?.crypt ?? 0, enc.pattern?.skip ?? 0, encrypt);
}

/** [offset, length] of each protected range of sample `i`, in order. */
function protectedRanges(enc: PayloadEncryption, i: number, size: number, firstPair: number): number[] {
  if (enc.subsamples === undefined || enc.subsampleCounts === undefined) return [0, size];
  const count = enc.subsampleCounts[i]!;
  const out: number[] = [];
  let at = 0;
  for (let p = firstPair; p < firstPair + count; p++) {
    const clear = enc.subsamples[2 * p];
    const prot = enc.subsamples[2 * p + 1];
    if (clear === undefined || prot === undefined) throw bad(`sample ${i} names subsample ${p}, beyond the ${enc.subsamples.length / 2} given`);
    at += clear;
    if (prot > 0) out.push(at, prot);
    at += prot;
  }
  if (at !== size) throw bad(`sample ${i}'s subsamples add up to ${at} bytes, the sample has ${size}`);
  return out;
}

/**
 * cenc over the whole payload: first the protected ranges of every sample (checked as
 * protectedRanges checks them) and how many 16-byte counter blocks each sample needs, then
 * every counter block (the sample's 16-byte counter block plus the block number, as
 * AES-CTR counts: big-endian over all 128 bits) into one buffer, encrypted with one ECB
 * call; the key stream is put at the payload positions of the protected bytes (zeros
 * elsewhere) and XORed over the payload. CTR is its own inverse: decrypting is the same.
 */
function ctrFragment(payload: Uint8Array, enc: PayloadEncryption): void {
  const n = enc.sampleSizes.length;
  // ranges[]: payload offset and length of each protected range; sampleRanges[i]: index of sample i's first range.
  const ranges: number[] = [];
  const sampleRanges = new Uint32Array(n + 1);
  const blocks = new Uint32Array(n);
  let totalBlocks = 0;
  let pos = enc.start;
  let pair = 0;
  const subs = enc.subsamples;
  const counts = enc.subsampleCounts;
  for (let i = 0; i < n; i++) {
    const size = enc.sampleSizes[i]!;
    if (pos + size > payload.length) throw bad(`sample ${i} (${size} bytes at payload byte ${pos}) runs past the ${payload.length}-byte payload`);
    sampleRanges[i] = ranges.length;
    let protectedBytes = 0;
    if (subs === undefined || counts === undefined) {
      if (size > 0) ranges.push(pos, size);
      protectedBytes = size;
    } else {
      const count = counts[i]!;
      let at = 0;
      for (let p = pair; p < pair + count; p++) {
        const clear = subs[2 * p];
        const prot = subs[2 * p + 1];
        if (clear === undefined || prot === undefined) throw bad(`sample ${i} names subsample ${p}, beyond the ${subs.length / 2} given`);
        at += clear;
        if (prot > 0) ranges.push(pos + at, prot);
        at += prot;
        protectedBytes += prot;
      }
      pair += count;
      if (at !== size) throw bad(`sample ${i}'s subsamples add up to ${at} bytes, the sample has ${size}`);
    }
    blocks[i] = (protectedBytes + 15) >>> 4;
    totalBlocks += blocks[i]!;
    pos += size;
  }
  sampleRanges[n] = ranges.length;
  if (totalBlocks === 0) return;

  // Counter blocks, sample after sample, stored as 32-bit words in the machine's order
  // (swapped here when it is little-endian): a DataView store a word costs more.
  const counters = scratch(0, 16 * totalBlocks);
  const words = new Uint32Array(counters.buffer, counters.byteOffset, 4 * totalBlocks);
  const iv = new DataView(enc.ivs.buffer, enc.ivs.byteOffset, enc.ivs.byteLength);
  let b = 0;
  for (let i = 0; i < n; i++) {
    const w0 = iv.getUint32(16 * i);
    const w1 = iv.getUint32(16 * i + 4);
    const w2 = iv.getUint32(16 * i + 8);
    const w3 = iv.getUint32(16 * i + 12);
    const count = blocks[i]!;
    if (w3 + count <= 0x100000000) {
      // No carry out of the last word (always so with 8-byte IVs): three words are the sample's.
      const s0 = order(w0);
      const s1 = order(w1);
      const s2 = order(w2);
      for (let j = 0; j < count; j++, b++) {
        const o = 4 * b;
        words[o] = s0;
        words[o + 1] = s1;
        words[o + 2] = s2;
        words[o + 3] = order(w3 + j);
      }
      continue;
    }
    for (let j = 0; j < count; j++, b++) {
      // (w0 w1 w2 w3) + j, carries rippling up (j < 2^32).
      const s3 = w3 + j;
      const c3 = s3 > 0xffffffff ? 1 : 0;
      const s2 = w2 + c3;
      const c2 = s2 > 0xffffffff ? 1 : 0;
      const s1 = w1 + c2;
      const c1 = s1 > 0xffffffff ? 1 : 0;
      const o = 4 * b;
      words[o] = order(w0 + c1);
      words[o + 1] = order(s1);
      words[o + 2] = order(s2);
      words[o + 3] = order(s3);
    }
  }
  const cipher = createCipheriv('aes-128-ecb', enc.key, null);
  cipher.setAutoPadding(false);
  const stream = cipher.update(counters);

  // The key stream at the payload positions of the protected bytes, in a buffer aligned as the payload is (mod 4).
  const first = ranges[0]!;
  const last = ranges[ranges.length - 2]! + ranges[ranges.length - 1]!;
  const shift = (payload.byteOffset + first) & 3;
  const ks = scratch(1, last - first + shift + 3);
  ks.fill(0);
  b = 0;
  for (let i = 0; i < n; i++) {
    let s = 16 * b;
    for (let r = sampleRanges[i]!; r < sampleRanges[i + 1]!; r += 2) {
      const len = ranges[r + 1]!;
      ks.set(stream.subarray(s, s + len), ranges[r]! - first + shift);
      s += len;
    }
    b += blocks[i]!;
  }
  xorInto(payload.subarray(first, last), ks.subarray(shift, shift + last - first));
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A 32-bit value (mod 2^32) as a Uint32Array must hold it for its bytes to be big-endian. */
function order(v: number): number {
  v >>>= 0;
  if (!LITTLE_ENDIAN) return v;
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/**
 * Buffers kept between fragments (each call is synchronous, so one set a thread is
 * enough): fresh ones of a fragment's size each time cost their zeroing and the
 * garbage collector's work. Only grown, to the largest fragment's size.
 */
const scratchBuffers: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0)];

function scratch(which: 0 | 1, size: number): Uint8Array {
  if (scratchBuffers[which]!.length < size) scratchBuffers[which] = new Uint8Array(Math.max(size, 2 * scratchBuffers[which]!.length));
  return scratchBuffers[which]!.subarray(0, size);
}

/** data ^= ks, both the same length and equally aligned mod 4: 32-bit words between byte-wise ends. */
function xorInto(data: Uint8Array, ks: Uint8Array): void {
  const len = data.length;
  let i = 0;
  while (i < len && ((data.byteOffset + i) & 3) !== 0) {
    data[i] = data[i]! ^ ks[i]!;
    i++;
  }
  const words = (len - i) >>> 2;
  if (words > 0) {
    const d = new Uint32Array(data.buffer, data.byteOffset + i, words);
    const k = new Uint32Array(ks.buffer, ks.byteOffset + i, words);
    for (let w = 0; w < words; w++) d[w] = d[w]! ^ k[w]!;
    i += 4 * words;
  }
  for (; i < len; i++) data[i] = data[i]! ^ ks[i]!;
}

function cbcPattern(range: Uint8Array, enc: PayloadEncryption, iv: Uint8Array, encrypt: boolean): void {
  const blocks = range.length >>> 4;
  if (blocks === 0) return;
  const crypt = enc.pattern?.crypt ?? 0;
  const skip = enc.pattern?.skip ?? 0;
  // No pattern (or crypt 0 skip 0, the non-video form): every full block.
  const whole = crypt === 0 || skip === 0;
  const cipher = encrypt ? createCipheriv('aes-128-cbc', enc.key, iv) : createDecipheriv('aes-128-cbc', enc.key, iv);
  cipher.setAutoPadding(false);
  if (whole) {
    const part = range.subarray(0, blocks * 16);
    part.set(cipher.update(part));
    return;
  }
  const period = crypt + skip;
  const picked: number[] = [];
  // A last group with fewer than `crypt` blocks stays clear (as Shaka Packager's pattern cryptor leaves it).
  for (let b = 0; b + crypt <= blocks; b += period) for (let k = b; k < b + crypt; k++) picked.push(k);
  const gathered = new Uint8Array(picked.length * 16);
  picked.forEach((b, j) => gathered.set(range.subarray(b * 16, b * 16 + 16), j * 16));
  const out = cipher.update(gathered);
  picked.forEach((b, j) => range.set(out.subarray(j * 16, j * 16 + 16), b * 16));
}

function bad(what: string): SmoothpubError {
  return new SmoothpubError(ErrorCode.BAD_BOX, `cannot encrypt the fragment: ${what}`);
}
