import { createCipheriv, createDecipheriv } from 'node:crypto';
import { ErrorCode, SmoothpubError } from '../errors.js';
import type { PayloadEncryption } from './model.js';

/**
 * Encrypts a fragment's `mdat` payload in place, sample by sample, as `enc` says.
 *
 * cenc: AES-128-CTR, the counter block the sample's 8-byte IV then an 8-byte block
 * counter from 0; the key stream runs on across the sample's protected ranges (ISO/IEC
 * 23001-7, 'cenc'), which one cipher per sample does by itself.
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
  let pos = enc.start;
  let pair = 0;
  for (let i = 0; i < n; i++) {
    const size = enc.sampleSizes[i]!;
    if (pos + size > payload.length) throw bad(`sample ${i} (${size} bytes at payload byte ${pos}) runs past the ${payload.length}-byte payload`);
    const iv = enc.ivs.subarray(16 * i, 16 * i + 16);
    const sample = payload.subarray(pos, pos + size);
    const ranges = protectedRanges(enc, i, size, pair);
    pair += enc.subsampleCounts?.[i] ?? 0;
    if (enc.scheme === 'cenc') ctr(sample, ranges, enc.key, iv);
    else for (let r = 0; r < ranges.length; r += 2) cbcPattern(sample.subarray(ranges[r]!, ranges[r]! + ranges[r + 1]!), enc, iv, encrypt);
    pos += size;
  }
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

function ctr(sample: Uint8Array, ranges: number[], key: Uint8Array, iv: Uint8Array): void {
  if (ranges.length === 0) return;
  // CTR is its own inverse: encrypting and decrypting are the same.
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  for (let r = 0; r < ranges.length; r += 2) {
    const part = sample.subarray(ranges[r]!, ranges[r]! + ranges[r + 1]!);
    part.set(cipher.update(part));
  }
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
