import type { EncryptionScheme, TrackEncryption } from './model.js';
import { NalSyntaxError } from './rbspReader.js';
import { sliceHeaderSizeFor } from './sliceHeaderSize.js';
import { badSample, protectedInNal, pushPair, sampleWhereAt, tooManySubsamples, unparsableNal, type SamplesWhere } from './subsamples.js';
import type { VideoSubsamples } from './videoSubsamples.js';

/**
 * Bytes of a fragment's body read so far, as pieces at their offsets in the body: what
 * sparseVideoSubsamples has asked for.
 */
export class SparseBytes {
  private readonly starts: number[] = [];
  private readonly pieces: Uint8Array[] = [];
  /** The longest piece's length: pieces starting this far before an offset cannot hold it. */
  private longest = 0;

  add(at: number, bytes: Uint8Array): void {
    let i = this.starts.length;
    while (i > 0 && this.starts[i - 1]! > at) i--;
    this.starts.splice(i, 0, at);
    this.pieces.splice(i, 0, bytes);
    this.longest = Math.max(this.longest, bytes.length);
  }

  /** The bytes held from `at` on (the piece holding `at` that reaches furthest), empty when none. */
  from(at: number): Uint8Array {
    // The last piece starting at or before `at`, then back while a piece could still reach it.
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid]! <= at) lo = mid + 1;
      else hi = mid;
    }
    let best: Uint8Array | undefined;
    let bestEnd = at;
    for (let i = lo - 1; i >= 0 && this.starts[i]! + this.longest > at; i--) {
      const s = this.starts[i]!;
      const end = s + this.pieces[i]!.length;
      if (end > bestEnd) {
        bestEnd = end;
        best = this.pieces[i]!.subarray(at - s);
      }
    }
    return best ?? EMPTY;
  }
}

const EMPTY = new Uint8Array(0);

/** Bytes read at each NAL unit: its length prefix, then this much of it (its header and, for a slice, usually its whole slice header). */
export const NAL_WINDOW = 128;

/** A range of the body to read before the layout can go on. */
export interface NeededRange {
  at: number;
  length: number;
}

/** The layout, or the ranges of the body to read first (then call again with them added). */
export type SparseLayout = { subsamples: VideoSubsamples; need?: undefined } | { need: NeededRange[] };

/**
 * The subsamples of a fragment's video samples (`sizes`, one after another from `start`
 * in the body) from the few bytes the layout depends on: each NAL unit's length prefix,
 * its header and its slice header (the same rules as addVideoSubsamples, so the same
 * pairs as videoSubsamples gives from the whole body). Called with the bytes read so far;
 * answers the ranges still missing: first each sample's first NAL unit, then the units
 * after them (their offsets follow from the lengths read), then more of a NAL unit whose
 * slice header runs past what was read (the slice header reader stops with a
 * NalSyntaxError at the end of what it is given, so a header it reads whole was read from
 * bytes that were read). A layout needs about as many rounds as a sample has NAL units.
 * serve uses it for the protected fragment sizes the HLS playlists' bandwidths follow
 * from, without reading the payloads.
 */
export function sparseVideoSubsamples(
  bytes: SparseBytes,
  start: number,
  sizes: ArrayLike<number>,
  video: NonNullable<TrackEncryption['video']>,
  scheme: EncryptionScheme,
  where: SamplesWhere,
  window = NAL_WINDOW,
): SparseLayout {
  const lengthSize = video.nalLengthSize;
  const headerSize = video.codec === 'avc' ? 1 : 2;
  const n = sizes.length;
  // Where the NAL units are first, from their lengths alone: the slice headers are read
  // once every unit's first bytes are there (parsing them is most of the work).
  const need: NeededRange[] = [];
  let at = start;
  for (let i = 0; i < n; i++) {
    const end = at + sizes[i]!;
    for (let pos = at; pos < end; ) {
      const held = bytes.from(pos);
      const first = Math.min(end - pos, lengthSize + Math.min(window, headerSize));
      if (held.length < first) {
        need.push({ at: pos, length: Math.min(end - pos, lengthSize + window) });
        break;
      }
      if (pos + lengthSize > end) break; // the layout below names it
      let len = 0;
      for (let k = 0; k < lengthSize; k++) len = len * 256 + held[k]!;
      if (len < headerSize) break;
      pos += lengthSize + len;
    }
    at = end;
  }
  if (need.length > 0) return { need };

  // A fresh reader a call: in-band parameter sets are met again in order.
  const sliceHeaderSize = sliceHeaderSizeFor(video);
  const counts = new Uint16Array(n);
  const pairs: number[] = [];
  at = start;
  let i = 0;
  const sampleWhere = sampleWhereAt(where, () => at, () => i);
  for (; i < n; i++) {
    const end = at + sizes[i]!;
    let count = 0;
    let clear = 0;
    let pos = at;
    while (pos < end) {
      const held = bytes.from(pos);
      if (pos + lengthSize > end) throw badSample(sampleWhere, `${end - pos} bytes are left at its end, too few for a ${lengthSize}-byte NAL unit length`);
      let len = 0;
      for (let k = 0; k < lengthSize; k++) len = len * 256 + held[k]!;
      const nalStart = pos + lengthSize;
      if (len < headerSize || nalStart + len > end) {
        throw badSample(sampleWhere, `the NAL unit at byte ${pos - at} declares ${len} bytes but ${end - nalStart} remain (is the NAL length size ${lengthSize} right?)`);
      }
      pos = nalStart + len;
      const from = bytes.from(nalStart);
      const nal = from.subarray(0, Math.min(len, from.length));
      if (nal.length < Math.min(len, window)) {
        need.push({ at: nalStart, length: Math.min(len, window) });
        continue;
      }
      let sliceHeader: number | undefined;
      try {
        sliceHeader = sliceHeaderSize(nal);
      } catch (e) {
        if (e instanceof NalSyntaxError && nal.length < len) {
          // The header runs past what was read: more of this NAL unit.
          need.push({ at: nalStart, length: Math.min(len, Math.max(4 * nal.length, window)) });
          continue;
        }
        // A NAL unit still to be read may hold a parameter set this one needs: try again then.
        if (need.length > 0) continue;
        if (!(e instanceof NalSyntaxError)) throw e;
        throw unparsableNal(sampleWhere, nalStart - lengthSize - at, nal, video.codec, e);
      }
      const protectedBytes = protectedInNal(len, sliceHeader === undefined ? undefined : headerSize + sliceHeader, scheme);
      clear += lengthSize + len - protectedBytes;
      if (protectedBytes > 0) {
        count += pushPair(pairs, clear, protectedBytes);
        clear = 0;
      }
    }
    if (clear > 0 || count === 0) count += pushPair(pairs, clear, 0);
    if (count > 0xffff && need.length === 0) throw tooManySubsamples(where, at, count);
    counts[i] = count;
    at = end;
  }
  return need.length > 0 ? { need } : { subsamples: { subsamples: Uint32Array.from(pairs), counts } };
}
