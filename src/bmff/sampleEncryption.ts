import { ErrorCode, SmoothpubError } from '../errors.js';
import type { Cursor } from './cursor.js';
import { ByteWriter } from './writer.js';

/** `senc` / PIFF flag: every sample lists its subsamples (clear and protected byte counts). */
export const SENC_USE_SUBSAMPLES = 0x2;
/** PIFF SampleEncryptionBox flag: the box overrides the track's algorithm, IV size and KID. */
export const PIFF_OVERRIDE_TRACK_ENCRYPTION = 0x1;

/** One sample's entry in `senc` (ISO/IEC 23001-7) or PIFF's SampleEncryptionBox. */
export interface SampleEncryptionEntry {
  /** Per-sample IV (8 or 16 bytes); empty when the track has a constant IV (cbcs). */
  iv: Uint8Array;
  /** Clear and protected byte counts, in sample order; absent: the whole sample is protected. */
  subsamples?: { clear: number; protected: number }[];
}

/** Size in bytes of one entry: its IV and, with subsamples, the count and 6 bytes each. */
export function sampleEncryptionEntrySize(e: SampleEncryptionEntry, useSubsamples: boolean): number {
  return e.iv.length + (useSubsamples ? 2 + 6 * (e.subsamples?.length ?? 0) : 0);
}

/** sample_count and the entries: the part `senc` and PIFF's box share. */
export function writeSampleEncryptionEntries(samples: readonly SampleEncryptionEntry[], flags: number, what: string): Uint8Array {
  const sub = (flags & SENC_USE_SUBSAMPLES) !== 0;
  let size = 4;
  for (const s of samples) size += sampleEncryptionEntrySize(s, sub);
  const w = new ByteWriter(size, what).u32(samples.length, 'sample_count');
  samples.forEach((s, i) => {
    w.bytesOf(s.iv);
    if (!sub) return;
    const subsamples = s.subsamples;
    if (subsamples === undefined) {
      throw new SmoothpubError(ErrorCode.BAD_BOX, `cannot write ${what}: flags call for subsamples, sample ${i} has none`, { boxPath: what });
    }
    w.u16(subsamples.length, 'subsample_count');
    for (const ss of subsamples) w.u16(ss.clear, 'BytesOfClearData').u32(ss.protected, 'BytesOfProtectedData');
  });
  return w.finish();
}

/**
 * Reads sample_count entries with IVs of `ivSize` bytes (from `tenc`: the box does not say
 * it; 0 with a constant IV).
 */
export function readSampleEncryptionEntries(c: Cursor, flags: number, ivSize: number): SampleEncryptionEntry[] {
  return readCountedEntries(c, c.u32(), flags, ivSize);
}

/**
 * The entries after a sample_count already read: for a reader (verify) that must try IV
 * sizes the box does not state on the same entries.
 */
export function readCountedEntries(c: Cursor, count: number, flags: number, ivSize: number): SampleEncryptionEntry[] {
  const sub = (flags & SENC_USE_SUBSAMPLES) !== 0;
  // Each entry takes at least this many bytes: a hostile count cannot allocate more than the box holds.
  c.need(count * (ivSize + (sub ? 2 : 0)));
  const samples: SampleEncryptionEntry[] = [];
  for (let i = 0; i < count; i++) {
    const iv = c.bytesOf(ivSize).slice();
    if (!sub) {
      samples.push({ iv });
      continue;
    }
    const n = c.u16();
    c.need(6 * n);
    const subsamples: { clear: number; protected: number }[] = [];
    for (let j = 0; j < n; j++) subsamples.push({ clear: c.u16(), protected: c.u32() });
    samples.push({ iv, subsamples });
  }
  return samples;
}
