import { SENC_USE_SUBSAMPLES } from '../bmff/sampleEncryption.js';
import { UUID_PIFF_SENC } from '../bmff/piff.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { type FragmentWhere, readFragmentSamples, unsupported } from './fragmentSamples.js';
import type { PayloadEncryption, ProtectedFragment, TrackEncryption } from './model.js';
import { encryptPayload } from './encryptPayload.js';
import { type VideoSubsamples, videoSubsamples } from './videoSubsamples.js';
import { avcSetTablesFor } from './sliceHeaderSize.js';
import { loadAddon } from '../util/loadAddon.js';

export type { FragmentWhere } from './fragmentSamples.js';

/** protectFragment's options for a body that holds only what comes before the `mdat` payload (serve's protected sizes). */
export interface ProtectOptions {
  /** The whole fragment's length when `body` ends early: its payload is not looked at, so `subsamples` must be given for video. */
  bodyLength?: number;
  /** The video samples' layout, as videoSubsamples would give it for this fragment (sparseVideoSubsamples). */
  subsamples?: VideoSubsamples;
}

/**
 * A clear fragment (`moof` with one `traf` and data offsets relative to the `moof`, then
 * its `mdat`) made protected: a new head (the `moof` with `saiz` and `saio` (unless the
 * entries are empty), `senc` and, for cenc, PIFF's SampleEncryptionBox added to the
 * `traf`, `trun` data offsets moved by the bytes added; then whatever followed the `moof`
 * up to and including the `mdat` header) and how to encrypt the payload in place. The `mdat` keeps its size: the protected
 * fragment is `head.length` + the payload's length. `fragmentIndex` is the fragment's
 * number in its track (its chunk in the Manifest, from 0): cenc IVs follow from it alone,
 * so one fragment can be protected without reading those before it (serve).
 */
export function protectFragment(body: Uint8Array, enc: TrackEncryption, fragmentIndex: number, where: FragmentWhere, options: ProtectOptions = {}): ProtectedFragment {
  const ctx = where.file === undefined ? {} : { file: where.file };
  const { moof, moofChildren, traf, trafChildren, mdatPayload, mdatEnd, sizes, start } = readFragmentSamples(body, where, options.bodyLength);
  if (enc.video !== undefined && options.subsamples === undefined && body.length < mdatEnd) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, 'internal: a video fragment without its payload needs its subsamples laid out (sparseVideoSubsamples)', { ...ctx, offset: where.offset });
  }
  const moofEnd = moof.size;
  const startInPayload = start - mdatPayload;

  // Encryption of each sample.
  const n = sizes.length;
  if (sampleSizeScratch.length < n) sampleSizeScratch = new Uint32Array(Math.max(n, 2 * sampleSizeScratch.length));
  const sampleSizes = sampleSizeScratch.subarray(0, n);
  for (let i = 0; i < n; i++) sampleSizes[i] = sizes[i]!;
  let laid: VideoSubsamples | undefined;
  if (options.subsamples !== undefined) laid = options.subsamples;
  else if (enc.video !== undefined) laid = videoSubsamples(body, mdatPayload + startInPayload, sampleSizes, enc.video, enc.scheme, { ...ctx, offset: where.offset, fragment: fragmentIndex });
  // The PayloadEncryption's arrays in one buffer (sizes, subsample pairs, IVs, pair
  // counts): one allocation a fragment, and one for the writer thread to copy, not four.
  const pairValues = laid === undefined ? 0 : laid.subsamples.length;
  const arena = new ArrayBuffer(4 * n + 4 * pairValues + 16 * n + (laid === undefined ? 0 : 2 * n));
  const ownSizes = new Uint32Array(arena, 0, n);
  ownSizes.set(sampleSizes);
  const ivs = new Uint8Array(arena, 4 * n + 4 * pairValues, 16 * n);
  const ivSize = enc.scheme === 'cenc' ? 8 : 0;
  if (enc.scheme === 'cenc') {
    // Sample i of fragment k: ivBase + k * 2^32 + i (mod 2^64; TrackEncryption.ivBase), as
    // two 32-bit halves: one BigInt sum a fragment, not one a sample.
    if (n > 0xffffffff) throw unsupported(`a fragment of ${n} samples (cenc IVs allow 2^32 a fragment)`, where.offset, ctx);
    const base = BigInt.asUintN(64, enc.ivBase + (BigInt(fragmentIndex) << 32n));
    const hi = Number(base >> 32n);
    const lo = Number(base & 0xffffffffn);
    for (let i = 0; i < n; i++) {
      const l = lo + i;
      putU32(ivs, 16 * i, hi + Math.floor(l / 0x100000000));
      putU32(ivs, 16 * i + 4, l);
    }
  } else {
    const civ = constantIv(enc);
    for (let i = 0; i < n; i++) ivs.set(civ, 16 * i);
  }
  const encryption: PayloadEncryption = { scheme: enc.scheme, key: enc.key.key, start: startInPayload, sampleSizes: ownSizes, ivs };
  if (enc.pattern !== undefined) encryption.pattern = { ...enc.pattern };
  let subsampleCounts: Uint16Array | undefined;
  let pairs: Uint32Array | undefined;
  if (laid !== undefined) {
    pairs = new Uint32Array(arena, 4 * n, pairValues);
    pairs.set(laid.subsamples);
    subsampleCounts = new Uint16Array(arena, 4 * n + 4 * pairValues + 16 * n, n);
    subsampleCounts.set(laid.counts);
    encryption.subsamples = pairs;
    encryption.subsampleCounts = subsampleCounts;
  }

  // Sample auxiliary information: each sample's senc entry (its IV, then its subsample
  // pairs). Entries of 0 bytes (cbcs audio: constant IV, whole samples) leave saiz/saio
  // nothing to describe: Shaka Packager writes only the senc then, and so does this.
  const flags = pairs === undefined ? 0 : SENC_USE_SUBSAMPLES;
  const pairCount = pairs === undefined ? 0 : pairs.length / 2;
  const entriesSize = 4 + n * ivSize + (subsampleCounts === undefined ? 0 : 2 * n + 6 * pairCount);
  let sameSize = true;
  const infoSize = (i: number): number => ivSize + (subsampleCounts === undefined ? 0 : 2 + 6 * subsampleCounts[i]!);
  for (let i = 1; i < n && sameSize; i++) sameSize = infoSize(i) === infoSize(0);
  const aux = n > 0 && (!sameSize || infoSize(0) !== 0);
  // The boxes added to the traf, in this order: saiz, saio (when `aux`), senc, and for cenc
  // PIFF's SampleEncryptionBox (PIFF 1.1 knows AES-CTR only: old Smooth clients' PlayReady).
  const saizSize = 12 + 5 + (sameSize ? 0 : n);
  const saioSize = 12 + 8;
  const sencSize = 12 + entriesSize;
  const piffSize = enc.scheme === 'cenc' ? 8 + 16 + 4 + entriesSize : 0;
  const addedSize = (aux ? saizSize + saioSize : 0) + sencSize + piffSize;

  // The head in one buffer: moof header, its children with the traf grown by the added
  // boxes (after its own children), then what lay between the moof and the mdat payload.
  let trafContent = 0;
  for (const b of trafChildren) trafContent += b.size;
  const newTrafSize = 8 + trafContent + addedSize;
  let moofContent = 0;
  for (const b of moofChildren) moofContent += b === traf ? newTrafSize : b.size;
  const newMoofSize = 8 + moofContent;
  const delta = newMoofSize - moof.size;
  const head = new Uint8Array(newMoofSize + mdatPayload - moofEnd);
  let w = writeBoxHeader(head, 0, newMoofSize, 'moof');
  for (const child of moofChildren) {
    if (child !== traf) {
      head.set(body.subarray(child.offset - where.offset, child.offset - where.offset + child.size), w);
      w += child.size;
      continue;
    }
    w = writeBoxHeader(head, w, newTrafSize, 'traf');
    for (const b of trafChildren) {
      head.set(body.subarray(b.offset - where.offset, b.offset - where.offset + b.size), w);
      // trun data offsets count from the moof: moved by the bytes the moof grew.
      if (b.type === 'trun') {
        const at = w + b.headerSize + 8; // after version, flags and sample_count
        putU32(head, at, (readI32(head, at) + delta) >>> 0);
      }
      w += b.size;
    }
    const saizAt = w;
    const sencAt = aux ? saizAt + saizSize + saioSize : saizAt;
    if (aux) {
      // saiz: version 0, flags 0, default_sample_info_size, sample_count, the sizes when they differ.
      let at = writeBoxHeader(head, saizAt, saizSize, 'saiz') + 4;
      head[at++] = sameSize ? infoSize(0) : 0;
      putU32(head, at, n);
      at += 4;
      if (!sameSize) for (let i = 0; i < n; i++) head[at++] = infoSize(i);
      // saio: version 0, flags 0, one offset: the first senc entry's, from the moof's start.
      at = writeBoxHeader(head, saizAt + saizSize, saioSize, 'saio') + 4;
      putU32(head, at, 1);
      putU32(head, at + 4, sencAt + 16);
    }
    const entriesAt = writeBoxHeader(head, sencAt, sencSize, 'senc') + 4;
    putU32(head, entriesAt - 4, flags);
    writeEntries(head, entriesAt, n, ivs, ivSize, subsampleCounts, pairs);
    if (piffSize > 0) {
      const piffAt = sencAt + sencSize;
      let at = writeBoxHeader(head, piffAt, piffSize, 'uuid');
      head.set(PIFF_SENC_UUID, at);
      at += 16;
      putU32(head, at, flags);
      head.copyWithin(at + 4, entriesAt, entriesAt + entriesSize);
    }
    w += addedSize;
  }
  head.set(body.subarray(moofEnd, mdatPayload), w);
  return { head, payloadStart: mdatPayload, encryption, sampleCount: n };
}

/** The sample sizes a fragment is laid out with, before they are copied into its own buffer. */
let sampleSizeScratch = new Uint32Array(256);

/** PIFF 1.1's SampleEncryptionBox user type, as bytes. */
const PIFF_SENC_UUID = Uint8Array.from(UUID_PIFF_SENC.match(/../g)!, (h) => parseInt(h, 16));

/** senc entries at `at`: sample_count, then each sample's IV (`ivSize` bytes) and, with subsamples, their count and (clear u16, protected u32) pairs. */
function writeEntries(out: Uint8Array, at: number, n: number, ivs: Uint8Array, ivSize: number, counts: Uint16Array | undefined, pairs: Uint32Array | undefined): void {
  putU32(out, at, n);
  let e = at + 4;
  let pair = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < ivSize; k++) out[e + k] = ivs[16 * i + k]!;
    e += ivSize;
    if (counts === undefined || pairs === undefined) continue;
    const count = counts[i]!;
    out[e] = count >>> 8;
    out[e + 1] = count & 0xff;
    e += 2;
    for (let k = 0; k < count; k++, pair++) {
      const clear = pairs[2 * pair]!;
      out[e] = clear >>> 8;
      out[e + 1] = clear & 0xff;
      putU32(out, e + 2, pairs[2 * pair + 1]!);
      e += 6;
    }
  }
}

/** native/cenc.c's protectFragment: 0, -1 (the JavaScript path must make this fragment) or -2 (`head` is too small). */
interface NativeProtect {
  protectFragment(body: Uint8Array, cbcs: boolean, ivBase: bigint, constantIv: Uint8Array | null, crypt: number, skip: number, nalLengthSize: number, sps: Int32Array | null, pps: Int32Array | null, key: Uint8Array, head: Uint8Array, out: Uint32Array): number;
}

/** The head native/cenc.c writes into, grown when a fragment needs more, and where it says the head ends and the payload starts. */
let headScratch = new Uint8Array(64 * 1024);
const headOut = new Uint32Array(2);

/** A fragment protected in place: its new head, and where its payload (now encrypted) starts in the body. */
export interface ProtectedInPlace {
  head: Uint8Array;
  payloadStart: number;
}

/**
 * A whole clear fragment made protected in place (the writer threads' one read): the
 * payload in `body` encrypted and the protected head returned. native/cenc.c does both in
 * one call where the addon is built (audio and H.264; its head is a view of a buffer the
 * next call reuses: write or copy it first); where it declines (HEVC, anything unusual or
 * malformed) protectFragment and encryptPayload make the same bytes or name the error.
 */
export function protectInPlace(body: Uint8Array, enc: TrackEncryption, fragmentIndex: number, where: FragmentWhere): ProtectedInPlace {
  const native = nativeProtectInPlace(body, enc, fragmentIndex);
  if (native !== undefined) return native;
  const p = protectFragment(body, enc, fragmentIndex, where);
  encryptPayload(body.subarray(p.payloadStart), p.encryption);
  return { head: p.head, payloadStart: p.payloadStart };
}

/** native/cenc.c's protectFragment alone: undefined without the addon, for HEVC, or where it declines (nothing changed then). */
export function nativeProtectInPlace(body: Uint8Array, enc: TrackEncryption, fragmentIndex: number): ProtectedInPlace | undefined {
  if (enc.video !== undefined && enc.video.codec !== 'avc') return undefined;
  const native = loadAddon<NativeProtect>('cenc');
  if (native?.protectFragment === undefined) return undefined;
  const tables = enc.video && avcSetTablesFor(enc.video);
  const cbcs = enc.scheme === 'cbcs';
  // cenc: the fragment's first IV, as protectFragment counts them (ivBase + k * 2^32, mod 2^64).
  const first = cbcs ? 0n : BigInt.asUintN(64, enc.ivBase + (BigInt(fragmentIndex) << 32n));
  for (;;) {
    const status = native.protectFragment(body, cbcs, first, cbcs ? constantIv(enc) : null, enc.pattern?.crypt ?? 0, enc.pattern?.skip ?? 0, enc.video?.nalLengthSize ?? 0, tables?.sps ?? null, tables?.pps ?? null, enc.key.key, headScratch, headOut);
    if (status === 0) return { head: headScratch.subarray(0, headOut[0]!), payloadStart: headOut[1]! };
    if (status !== -2 || headScratch.length > 2 * body.length + 65536) return undefined;
    headScratch = new Uint8Array(2 * headScratch.length);
  }
}

/** The whole protected fragment, protectInPlace on a copy: the body (a source's read, maybe shared) is not changed. */
export function encryptedFragment(body: Uint8Array, enc: TrackEncryption, fragmentIndex: number, where: FragmentWhere): Uint8Array {
  const copy = body.slice();
  const p = protectInPlace(copy, enc, fragmentIndex, where);
  const out = new Uint8Array(p.head.length + copy.length - p.payloadStart);
  out.set(p.head, 0);
  out.set(copy.subarray(p.payloadStart), p.head.length);
  return out;
}

function constantIv(enc: TrackEncryption): Uint8Array {
  if (enc.constantIv === undefined || enc.constantIv.length !== 16) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, 'cbcs needs a 16-byte constant IV for the track (trackEncryptionFor gives one)');
  }
  return enc.constantIv;
}

function putU32(bytes: Uint8Array, at: number, v: number): void {
  bytes[at] = v >>> 24;
  bytes[at + 1] = (v >>> 16) & 0xff;
  bytes[at + 2] = (v >>> 8) & 0xff;
  bytes[at + 3] = v & 0xff;
}

function readI32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
}

/** An 8-byte box header (32-bit size, type) at `at`; returns where its payload starts. */
function writeBoxHeader(bytes: Uint8Array, at: number, size: number, type: string): number {
  putU32(bytes, at, size);
  for (let i = 0; i < 4; i++) bytes[at + 4 + i] = type.charCodeAt(i);
  return at + 8;
}
