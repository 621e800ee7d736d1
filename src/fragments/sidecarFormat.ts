import type { AvcC } from '../bmff/avcc.js';
import { Cursor } from '../bmff/cursor.js';
import { readHvcC } from '../bmff/hvcc.js';
import { readDac3, writeDac3 } from '../bmff/dac3.js';
import { readDec3, writeDec3 } from '../bmff/dec3.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { decodeBase64, encodeBase64 } from '../util/base64.js';
import type { Esds } from '../bmff/esds.js';
import type { SampleEntry } from '../bmff/stsd.js';
import type { FragmentRef, NonSyncStart, SampleTable, SourceIndex, TrackIndex } from './types.js';
import type { SourceTrackProtection } from '../protect/sourceProtection.js';

/**
 * Sidecar format, version 3: one JSON object. (Version 1 took ISMV fragment times and
 * durations from `tfxd`; version 2 from the samples, with the `tfxd` kept where it disagrees;
 * version 3 adds the sample entry's `pasp`, which a version 2 sidecar would silently lack;
 * version 4 the `protection` of an already-encrypted track, which a version 3 one would lack;
 * version 5 a text track's `textRole` (its `kind` box or handler name: the Smooth Subtype);
 * version 6 the bytes each `moof` gains with a `tfdt`, without which the origin's HLS
 * bandwidths would count fragments short.)
 *
 *     { "format": "smoothpub-index", "version": 3, "size": <source bytes>, "mtimeMs": <source mtime>,
 *       "brand": "isml", "method": "mfra", "tracks": [ { ...track fields,
 *         "sampleEntry": {...}             Uint8Arrays as base64 strings
 *         "offset": [first, delta, ...]    moof offsets, each relative to the previous one
 *         "size": [...]                    moof+mdat bytes
 *         "t0": "-213333"                  first start time (decimal string: may exceed 2^53)
 *         "d": [...]                       durations
 *         "gap": [[i, "t"], ...]           only where fragment i does not start at the previous end
 *         "tfxd": [[i, "t", d], ...]       only where fragment i's tfxd disagrees with its samples
 *         "grow": [[i, n], ...]            from fragment i on, each moof gains n bytes with a tfdt
 *                                          (FragmentRef.tfdtGrowth), up to the next entry; none: 0
 *         "built": [[i, "<base64>", [offset, size, ...]], ...]   only for fragments joined from several
 *                                          of the source (a fragment starting at a non-sync sample joined
 *                                          to the one before): the generated moof + mdat header, then the
 *                                          source byte runs of its samples
 *         "nonSync": [{ "offset", "time", "mergedInto"?, "notMerged"? }, ...]   source fragments that
 *                                          start at a non-sync sample (times as decimal strings)
 *         "protection": {...}              encrypted tracks only: scheme, originalFormat, kid, ivSize,
                                          constantIvSize?, pattern?, systems [{ systemId, kids, box,
                                          data (base64) }]
         "samples": {...}                 plain MP4 only (method "progressive"; fragment arrays empty):
 *                                          count, mediaTime, delay, and the sample table's typed arrays
 *                                          (offsets, sizes, times, compositionOffsets?, sync?) as base64
 *                                          of their little-endian bytes; times are 32- or 64-bit,
 *                                          told apart by their length (count + 1 entries)
 *       } ] }
 *
 * About 15 bytes a fragment. Any field that is missing or of the wrong type makes
 * the whole sidecar invalid: decodeSidecar then returns undefined.
 */
export const SIDECAR_FORMAT = 'smoothpub-index';

/** The sidecar's name beside its source: `video.ismv` -> `video.ismv.smoothidx`. */
export const SIDECAR_SUFFIX = '.smoothidx';

/** Larger than any honest sidecar (about 20 bytes a fragment): refuse rather than parse it. */
export const MAX_SIDECAR_BYTES = 256 << 20;

export const SIDECAR_VERSION = 6;

/** A track as stored: its descriptive fields as they are, its fragments column-wise. */
type EncodedTrack = Omit<TrackIndex, 'file' | 'sampleEntry' | 'fragments' | 'samples' | 'nonSyncStarts' | 'protection'> & {
  protection?: unknown;
  samples?: unknown;
  built?: [number, string, number[]][];
  nonSync?: Record<string, number | string>[];
  sampleEntry: unknown;
  offset: number[];
  size: number[];
  t0: string;
  d: number[];
  gap: [number, string][];
  tfxd: [number, string, number][];
  grow: [number, number][];
};

export function encodeSidecar(index: SourceIndex): string {
  return [...encodeSidecarParts(index)].join('');
}

/**
 * Bytes of a sample table encoded at a time: a multiple of 3, so the base64 pieces join
 * up, and small enough (64 KiB of text) for V8's young generation, which frees them at
 * once, where megabyte strings would wait for a full collection.
 */
const BASE64_PIECE = 3 << 14;

/**
 * The sidecar's text in pieces, to be written one after another: a plain MP4's sample
 * tables (tens of megabytes of base64 for a long file) stream out a few megabytes at a
 * time instead of as one string, then another copy inside the JSON, then its bytes.
 */
export function* encodeSidecarParts(index: SourceIndex): Generator<string> {
  // Each table stands in the JSON as a marker string no other field can hold (a fresh
  // nonce), and is written in its place.
  const nonce = Math.random().toString(36).slice(2);
  const tables: ArrayBufferView[] = [];
  const mark = (table: ArrayBufferView): string => `smoothpub-table-${nonce}-${tables.push(table) - 1}`;
  const text = JSON.stringify({
    format: SIDECAR_FORMAT,
    version: SIDECAR_VERSION,
    size: index.size,
    mtimeMs: index.mtimeMs,
    brand: index.brand,
    method: index.method,
    tracks: index.tracks.map((t) => encodeTrack(t, mark)),
  });
  const marker = new RegExp(`"smoothpub-table-${nonce}-([0-9]+)"`, 'g');
  let at = 0;
  for (const m of text.matchAll(marker)) {
    yield text.slice(at, m.index) + '"';
    const table = tables[Number(m[1])]!;
    const bytes = new Uint8Array(table.buffer, table.byteOffset, table.byteLength);
    for (let from = 0; from < bytes.length; from += BASE64_PIECE) yield encodeBase64(bytes.subarray(from, Math.min(from + BASE64_PIECE, bytes.length)));
    yield '"';
    at = m.index + m[0].length;
  }
  yield text.slice(at);
}

function encodeTrack(t: TrackIndex, mark: (table: ArrayBufferView) => string): EncodedTrack {
  const offset: number[] = [];
  const d: number[] = [];
  const gap: [number, string][] = [];
  const tfxd: [number, string, number][] = [];
  const grow: [number, number][] = [];
  let prevOffset = 0;
  let end: bigint | undefined;
  t.fragments.forEach((f, i) => {
    offset.push(f.offset - prevOffset);
    prevOffset = f.offset;
    if (f.duration > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`fragment duration ${f.duration} exceeds 2^53`);
    d.push(Number(f.duration));
    if (end !== undefined && f.time !== end) gap.push([i, f.time.toString()]);
    end = f.time + f.duration;
    if (f.tfxd) tfxd.push([i, f.tfxd.time.toString(), safeNumber(f.tfxd.duration)]);
    if ((f.tfdtGrowth ?? 0) !== (t.fragments[i - 1]?.tfdtGrowth ?? 0)) grow.push([i, f.tfdtGrowth ?? 0]);
  });
  const out: EncodedTrack = {
    trackId: t.trackId,
    kind: t.kind,
    codec: t.codec,
    timescale: t.timescale,
    language: t.language,
    measuredBitrate: t.measuredBitrate,
    sampleEntry: encodeSampleEntry(t.sampleEntry),
    offset,
    size: t.fragments.map((f) => f.size),
    t0: (t.fragments[0]?.time ?? 0n).toString(),
    d,
    gap,
    tfxd,
    grow,
  };
  for (const k of ['width', 'height', 'channels', 'sampleRate', 'bitsPerSample'] as const) {
    const v = t[k];
    if (v !== undefined) out[k] = v;
  }
  if (t.textRole !== undefined) out.textRole = t.textRole;
  if (t.samples) out.samples = encodeSamples(t.samples, mark);
  const built: [number, string, number[]][] = [];
  t.fragments.forEach((f, i) => {
    // A sidecar is an index of the clear source, kept beside it: never a key, never a protected fragment.
    if (f.built?.encryption) throw new SmoothpubError(ErrorCode.PROTECTED_UNSUPPORTED, 'a protected fragment cannot go into a sidecar index: index the clear source', { file: t.file, trackId: t.trackId, offset: f.offset });
    if (f.built) built.push([i, base64(f.built.head()), f.built.runs().flatMap((r) => [r.offset, r.size])]);
  });
  if (built.length > 0) out.built = built;
  if (t.nonSyncStarts) out.nonSync = t.nonSyncStarts.map(encodeNonSyncStart);
  if (t.protection) out.protection = { ...t.protection, systems: t.protection.systems.map((x) => ({ ...x, data: base64(x.data) })) };
  return out;
}

function encodeNonSyncStart(n: NonSyncStart): Record<string, number | string> {
  const out: Record<string, number | string> = { offset: n.offset, time: n.time.toString() };
  if (n.mergedInto !== undefined) out['mergedInto'] = n.mergedInto.toString();
  if (n.notMerged !== undefined) out['notMerged'] = n.notMerged;
  return out;
}

function safeNumber(n: bigint): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < 0n) throw new RangeError(`duration ${n} is not a safe non-negative integer`);
  return Number(n);
}

/** Typed arrays as the bytes of the host, which is little-endian on every platform node runs on in practice. */
function encodeSamples(s: SampleTable, mark: (table: ArrayBufferView) => string): unknown {
  const out: Record<string, unknown> = { count: s.count, mediaTime: s.mediaTime, delay: s.delay, offsets: mark(s.offsets), sizes: mark(s.sizes), times: mark(s.times) };
  if (s.compositionOffsets) out['compositionOffsets'] = mark(s.compositionOffsets);
  if (s.sync) out['sync'] = mark(s.sync);
  return out;
}

function encodeSampleEntry(e: SampleEntry): unknown {
  const out: Record<string, unknown> = { ...e };
  if (e.avcC) out['avcC'] = { ...e.avcC, sps: e.avcC.sps.map(base64), pps: e.avcC.pps.map(base64) };
  if (e.esds) out['esds'] = { ...e.esds, decoderSpecificInfo: base64(e.esds.decoderSpecificInfo) };
  if (e.hvcC) out['hvcC'] = { record: base64(e.hvcC.record) };
  // Dolby configurations as their box payloads: read back by the box readers.
  if (e.dac3) out['dac3'] = { payload: base64(writeDac3(e.dac3).subarray(8)) };
  if (e.dec3) out['dec3'] = { payload: base64(writeDec3(e.dec3).subarray(8)) };
  return out;
}

function base64(bytes: ArrayBufferView): string {
  return encodeBase64(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/** Thrown inside decoding only; decodeSidecar turns it into undefined. */
class Invalid extends Error {}

/**
 * The SourceIndex a sidecar holds, named `expected.file`, or undefined when the text is
 * not a valid version-1 sidecar or was written for a source of another size or mtime.
 */
export function decodeSidecar(text: string, expected: { file: string; size: number; mtimeMs?: number }): SourceIndex | undefined {
  try {
    const v = record(JSON.parse(text) as unknown);
    if (v['format'] !== SIDECAR_FORMAT || v['version'] !== SIDECAR_VERSION) return undefined;
    // Without an mtime (a remote source), the caller has checked freshness another way.
    if (v['size'] !== expected.size || (expected.mtimeMs !== undefined && v['mtimeMs'] !== expected.mtimeMs)) return undefined;
    const method = v['method'];
    if (method !== 'mfra' && method !== 'scan' && method !== 'progressive') throw new Invalid('method');
    return {
      file: expected.file,
      size: expected.size,
      mtimeMs: expected.mtimeMs ?? finite(v['mtimeMs']),
      brand: str(v['brand']),
      method,
      tracks: array(v['tracks']).map((t) => decodeTrack(record(t), expected.file, expected.size)),
    };
  } catch (e) {
    if (e instanceof Invalid || e instanceof SyntaxError) return undefined;
    throw e;
  }
}

function decodeTrack(t: Record<string, unknown>, file: string, fileSize: number): TrackIndex {
  const kind = t['kind'];
  if (kind !== 'video' && kind !== 'audio' && kind !== 'text') throw new Invalid('kind');
  const offsets = array(t['offset']).map(int);
  const sizes = array(t['size']).map(int);
  const durations = array(t['d']).map(int);
  if (sizes.length !== offsets.length || durations.length !== offsets.length) throw new Invalid('fragment arrays differ in length');
  const gaps = new Map<number, bigint>();
  for (const g of array(t['gap'])) {
    const [i, time] = array(g);
    gaps.set(int(i), bigintOf(time));
  }
  const said = new Map<number, { time: bigint; duration: bigint }>();
  for (const x of array(t['tfxd'])) {
    const [i, time, duration] = array(x);
    said.set(int(i), { time: bigintOf(time), duration: BigInt(int(duration)) });
  }
  const grows = new Map<number, number>();
  for (const g of array(t['grow'])) {
    const [i, n] = array(g);
    // A rebuilt moof may shrink (a 64-bit size, a base data offset or a tfrf gone).
    if (!Number.isSafeInteger(n)) throw new Invalid('expected an integer');
    grows.set(int(i), n as number);
  }
  const built = new Map<number, BuiltFragment>();
  if (t['built'] !== undefined) {
    for (const b of array(t['built'])) {
      const [i, head, runs] = array(b);
      built.set(int(i), decodeBuilt(head, runs, fileSize));
    }
  }
  const fragments: FragmentRef[] = [];
  let offset = 0;
  let time = bigintOf(t['t0']);
  let growth = 0;
  for (let i = 0; i < offsets.length; i++) {
    offset += offsets[i]!;
    const size = sizes[i]!;
    const parts = built.get(i);
    if (parts === undefined ? size < 16 || offset + size > fileSize : size !== parts.size) throw new Invalid('fragment outside the source');
    time = gaps.get(i) ?? time;
    const duration = BigInt(durations[i]!);
    const f: FragmentRef = parts === undefined ? { offset, size, time, duration } : { offset, size, time, duration, built: parts.built };
    const tfxd = said.get(i);
    if (tfxd) f.tfxd = tfxd;
    growth = grows.get(i) ?? growth;
    if (growth) f.tfdtGrowth = growth;
    fragments.push(f);
    time += duration;
  }
  if ([...built.keys()].some((i) => i >= fragments.length)) throw new Invalid('built fragment beyond the list');
  const track: TrackIndex = {
    file,
    trackId: int(t['trackId']),
    kind,
    codec: str(t['codec']),
    timescale: int(t['timescale']),
    language: str(t['language']),
    sampleEntry: decodeSampleEntry(record(t['sampleEntry'])),
    measuredBitrate: int(t['measuredBitrate']),
    fragments,
  };
  for (const k of ['width', 'height', 'channels', 'sampleRate', 'bitsPerSample'] as const) {
    if (t[k] !== undefined) track[k] = int(t[k]);
  }
  if (t['samples'] !== undefined) track.samples = decodeSamples(record(t['samples']), fileSize);
  if (t['nonSync'] !== undefined) track.nonSyncStarts = array(t['nonSync']).map((n) => decodeNonSyncStart(record(n)));
  if (t['protection'] !== undefined) track.protection = decodeProtection(record(t['protection']));
  if (t['textRole'] === 'caption' || t['textRole'] === 'subtitle') track.textRole = t['textRole'];
  return track;
}

interface BuiltFragment {
  built: NonNullable<FragmentRef['built']>;
  /** Head plus runs: the fragment's size. */
  size: number;
}

function decodeBuilt(headText: unknown, runsValue: unknown, fileSize: number): BuiltFragment {
  const head = bytesOf(headText);
  const flat = array(runsValue).map(int);
  if (flat.length % 2 !== 0) throw new Invalid('runs');
  const runs: { offset: number; size: number }[] = [];
  let size = head.length;
  for (let k = 0; k < flat.length; k += 2) {
    const run = { offset: flat[k]!, size: flat[k + 1]! };
    if (run.offset + run.size > fileSize) throw new Invalid('run outside the source');
    runs.push(run);
    size += run.size;
  }
  return { built: { head: () => head, runs: () => runs }, size };
}

function decodeProtection(p: Record<string, unknown>): SourceTrackProtection {
  const hex32 = (v: unknown): string => {
    const h = str(v);
    if (!/^[0-9a-f]{32}$/.test(h)) throw new Invalid('expected a key ID');
    return h;
  };
  const out: SourceTrackProtection = {
    scheme: str(p['scheme']),
    originalFormat: str(p['originalFormat']),
    kid: hex32(p['kid']),
    ivSize: int(p['ivSize']),
    systems: array(p['systems']).map((x) => {
      const system = record(x);
      const box = system['box'];
      if (box !== 'pssh' && box !== 'piff') throw new Invalid('system box');
      return { systemId: str(system['systemId']), kids: array(system['kids']).map(hex32), data: bytesOf(system['data']), box };
    }),
  };
  if (p['constantIvSize'] !== undefined) out.constantIvSize = int(p['constantIvSize']);
  if (p['pattern'] !== undefined) {
    const pattern = record(p['pattern']);
    out.pattern = { crypt: int(pattern['crypt']), skip: int(pattern['skip']) };
  }
  return out;
}

function decodeNonSyncStart(v: Record<string, unknown>): NonSyncStart {
  const n: NonSyncStart = { offset: int(v['offset']), time: bigintOf(v['time']) };
  if (v['mergedInto'] !== undefined) n.mergedInto = bigintOf(v['mergedInto']);
  if (v['notMerged'] !== undefined) n.notMerged = str(v['notMerged']);
  return n;
}

function decodeSamples(v: Record<string, unknown>, fileSize: number): SampleTable {
  const count = int(v['count']);
  /** The typed array stored under `key`: its bytes, then the first of `makes` whose element size gives `length` elements. */
  const typed = <T>(key: string, length: number, ...makes: [bytesEach: number, make: (b: ArrayBufferLike, length: number) => T][]): T => {
    const bytes = base64Bytes(v[key]);
    const fit = makes.find(([each]) => bytes.byteLength === length * each);
    if (!fit) throw new Invalid(`${key} has ${bytes.byteLength} bytes, not ${length} entries`);
    // A big table decodes into a buffer of its own: view it. A small one shares node's
    // pool (unaligned, and kept alive whole by a view): copy it out.
    const own = bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength ? bytes : new Uint8Array(bytes);
    return fit[1](own.buffer, length);
  };
  const s: SampleTable = {
    count,
    mediaTime: signedInt(v['mediaTime']),
    delay: int(v['delay']),
    offsets: typed('offsets', count, [8, (b, n) => new Float64Array(b, 0, n)]),
    sizes: typed('sizes', count, [4, (b, n) => new Uint32Array(b, 0, n)]),
    // 32-bit or 64-bit, as readSampleTable chose: the length tells which.
    times: typed<Uint32Array | Float64Array>('times', count + 1, [4, (b, n) => new Uint32Array(b, 0, n)], [8, (b, n) => new Float64Array(b, 0, n)]),
  };
  if (v['compositionOffsets'] !== undefined) s.compositionOffsets = typed('compositionOffsets', count, [4, (b, n) => new Int32Array(b, 0, n)]);
  if (v['sync'] !== undefined) s.sync = typed('sync', count, [1, (b, n) => new Uint8Array(b, 0, n)]);
  for (let i = 0; i < count; i++) {
    const offset = s.offsets[i]!;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + s.sizes[i]! > fileSize) throw new Invalid('sample outside the source');
    if (!(s.times[i + 1]! >= s.times[i]!)) throw new Invalid('sample times decrease');
  }
  return s;
}

function signedInt(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Invalid('expected an integer');
  return v;
}

function decodeSampleEntry(e: Record<string, unknown>): SampleEntry {
  const out: SampleEntry = { format: str(e['format']) };
  for (const k of ['width', 'height', 'channelCount', 'sampleSize', 'sampleRate'] as const) {
    if (e[k] !== undefined) out[k] = int(e[k]);
  }
  if (e['originalFormat'] !== undefined) out.originalFormat = str(e['originalFormat']);
  if (e['avcC'] !== undefined) {
    const a = record(e['avcC']);
    const avcC: AvcC = {
      type: 'avcC',
      profile: int(a['profile']),
      compatibility: int(a['compatibility']),
      level: int(a['level']),
      nalLengthSize: int(a['nalLengthSize']),
      sps: array(a['sps']).map(bytesOf),
      pps: array(a['pps']).map(bytesOf),
    };
    out.avcC = avcC;
  }
  if (e['esds'] !== undefined) {
    const s = record(e['esds']);
    const esds: Esds = {
      type: 'esds',
      objectTypeIndication: int(s['objectTypeIndication']),
      maxBitrate: int(s['maxBitrate']),
      avgBitrate: int(s['avgBitrate']),
      decoderSpecificInfo: bytesOf(s['decoderSpecificInfo']),
    };
    out.esds = esds;
  }
  if (e['hvcC'] !== undefined) {
    const bytes = bytesOf(record(e['hvcC'])['record']);
    try {
      out.hvcC = readHvcC(new Cursor(bytes, 0, 'hvcC'));
    } catch {
      throw new Invalid('expected an HEVC decoder configuration record');
    }
  }
  if (e['dac3'] !== undefined) out.dac3 = readDolbyBox(e['dac3'], 'dac3', readDac3);
  if (e['dec3'] !== undefined) out.dec3 = readDolbyBox(e['dec3'], 'dec3', readDec3);
  // A sidecar written before smoothpub read them lacks them: index the source again.
  if ((out.format === 'ac-3' && out.dac3 === undefined) || (out.format === 'ec-3' && out.dec3 === undefined)) throw new Invalid(`expected the ${out.format} entry's configuration`);
  if (e['pasp'] !== undefined) {
    const p = record(e['pasp']);
    out.pasp = { type: 'pasp', hSpacing: int(p['hSpacing']), vSpacing: int(p['vSpacing']) };
  }
  return out;
}

function readDolbyBox<T>(v: unknown, type: string, read: (c: Cursor) => T): T {
  const bytes = bytesOf(record(v)['payload']);
  try {
    return read(new Cursor(bytes, 0, type));
  } catch {
    throw new Invalid(`expected a ${type} box payload`);
  }
}

function record(v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Invalid('expected an object');
  return v as Record<string, unknown>;
}

function array(v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new Invalid('expected an array');
  return v;
}

function int(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Invalid('expected a non-negative integer');
  return v;
}

function finite(v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Invalid('expected a number');
  return v;
}

function str(v: unknown): string {
  if (typeof v !== 'string') throw new Invalid('expected a string');
  return v;
}

function bigintOf(v: unknown): bigint {
  if (typeof v !== 'string' || !/^-?[0-9]{1,20}$/.test(v)) throw new Invalid('expected a decimal string');
  return BigInt(v);
}

/** A copy of its own, as every other Uint8Array of an index (not a Buffer, not in node's pool). */
function bytesOf(v: unknown): Uint8Array {
  return new Uint8Array(base64Bytes(v));
}

function base64Bytes(v: unknown): Uint8Array {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw new Invalid('expected base64');
  return decodeBase64(v);
}
