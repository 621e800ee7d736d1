import { loadAddon } from '../util/loadAddon.js';
import type { EncryptionScheme, TrackEncryption } from './model.js';
import { type AvcSetTables, avcSetTablesFor, sliceHeaderSizeFor } from './sliceHeaderSize.js';
import { addVideoSubsamples, sampleWhereAt, tooManySubsamples, type SamplesWhere } from './subsamples.js';

/**
 * Every sample's subsamples of a fragment: clear, protected pairs in sample order, and how
 * many pairs each sample has. The native layout's are views of buffers the next call
 * reuses: copy what is kept.
 */
export interface VideoSubsamples {
  subsamples: Uint32Array;
  counts: Uint16Array;
}

/** Where the samples are, for error messages. */
export type { SamplesWhere } from './subsamples.js';

/** native/cenc.c's H.264 layout: the pairs written, -1 (the JavaScript path must lay these samples out) or -2 (`pairs` too small). */
interface NativeLayout {
  avcSubsamples(payload: Uint8Array, start: number, sampleSizes: Uint32Array, nalLengthSize: number, cbcs: boolean, sps: Int32Array, pps: Int32Array, pairs: Uint32Array, counts: Uint16Array): number;
}

/** Pairs room the native layout writes into, grown when a fragment needs more, and its pair counts a sample. */
let scratch = new Uint32Array(2 * 4096);
let countScratch = new Uint16Array(256);

/**
 * The subsamples of a fragment's video samples (`sizes`, one after another from `start`
 * in `body`), as addVideoSubsamples lays out each one. H.264 samples are laid out by
 * native/cenc.c when the addon is built (the NAL walk and the slice header reader,
 * bounds-checked, without an object or a view a sample), which declines what it does not
 * cover: an SPS or PPS inside a sample (avc3), and anything malformed, which the
 * JavaScript path then lays out or names in a typed error. HEVC always takes the
 * JavaScript path.
 */
export function videoSubsamples(body: Uint8Array, start: number, sizes: Uint32Array, video: NonNullable<TrackEncryption['video']>, scheme: EncryptionScheme, where: SamplesWhere): VideoSubsamples {
  return nativeVideoSubsamples(body, start, sizes, video, scheme) ?? jsVideoSubsamples(body, start, sizes, video, scheme, where);
}

/** The native layout alone: undefined without the addon, for HEVC, or where it declines (tests compare it with jsVideoSubsamples). */
export function nativeVideoSubsamples(body: Uint8Array, start: number, sizes: Uint32Array, video: NonNullable<TrackEncryption['video']>, scheme: EncryptionScheme): VideoSubsamples | undefined {
  if (video.codec !== 'avc') return undefined;
  const native = loadAddon<NativeLayout>('cenc');
  if (native?.avcSubsamples === undefined) return undefined;
  return nativeAvc(native, body, start, sizes, video.nalLengthSize, scheme, avcSetTablesFor(video));
}

/** The native H.264 layout with the given parameter set tables (tests give made-up ones); undefined without the addon or where it declines. */
export function nativeAvcSubsamplesWith(body: Uint8Array, start: number, sizes: Uint32Array, nalLengthSize: number, scheme: EncryptionScheme, tables: AvcSetTables): VideoSubsamples | undefined {
  const native = loadAddon<NativeLayout>('cenc');
  return native?.avcSubsamples === undefined ? undefined : nativeAvc(native, body, start, sizes, nalLengthSize, scheme, tables);
}

function nativeAvc(native: NativeLayout, body: Uint8Array, start: number, sizes: Uint32Array, nalLengthSize: number, scheme: EncryptionScheme, tables: AvcSetTables): VideoSubsamples | undefined {
  if (countScratch.length < sizes.length) countScratch = new Uint16Array(Math.max(sizes.length, 2 * countScratch.length));
  const counts = countScratch.subarray(0, sizes.length);
  // Each pair covers at least one byte of a sample, or 65535 of a clear run: room for body.length pairs always suffices.
  for (;;) {
    const pairs = native.avcSubsamples(body, start, sizes, nalLengthSize, scheme === 'cbcs', tables.sps, tables.pps, scratch, counts);
    if (pairs >= 0) return { subsamples: scratch.subarray(0, 2 * pairs), counts };
    if (pairs !== -2 || scratch.length >= 2 * (body.length + sizes.length)) return undefined;
    scratch = new Uint32Array(2 * scratch.length);
  }
}

/** The JavaScript layout (addVideoSubsamples a sample). */
export function jsVideoSubsamples(body: Uint8Array, start: number, sizes: Uint32Array, video: NonNullable<TrackEncryption['video']>, scheme: EncryptionScheme, where: SamplesWhere): VideoSubsamples {
  const sliceHeaderSize = sliceHeaderSizeFor(video);
  const n = sizes.length;
  const counts = new Uint16Array(n);
  const pairs: number[] = [];
  let at = start;
  let i = 0;
  const sampleWhere = sampleWhereAt(where, () => at, () => i);
  for (; i < n; i++) {
    const size = sizes[i]!;
    const count = addVideoSubsamples(body.subarray(at, at + size), video, scheme, sliceHeaderSize, sampleWhere, pairs);
    if (count > 0xffff) throw tooManySubsamples(where, at, count);
    counts[i] = count;
    at += size;
  }
  return { subsamples: Uint32Array.from(pairs), counts };
}
