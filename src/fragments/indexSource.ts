import { MAX_BOX_HEADER, printable, readBoxHeader, type BoxHeader } from '../bmff/box.js';
import { Cursor } from '../bmff/cursor.js';
import { readMfro } from '../bmff/mfro.js';
import { childBoxes } from '../bmff/box.js';
import { readTfra } from '../bmff/tfra.js';
import { ErrorCode, SmoothpubError, isSmoothpubError } from '../errors.js';
import type { ByteSource } from '../source/source.js';
import { runAll } from '../util/runAll.js';
import { readMoof, type MoofInfo } from './readMoof.js';
import { readMoov, type Moov, type MoovTrack } from './readMoov.js';
import { readMoovBytes, type MoovBytes } from './readMoovBytes.js';
import type { FragmentRef, SourceIndex, TrackIndex } from './types.js';
import { bitrateOf, describeTrack } from './describeTrack.js';
import { readProgressiveTracks } from './progressive/readProgressiveTracks.js';
import { mergeNonSyncStarts } from './mergeFragments.js';
import { tfdtGrowth } from './tfdtGrowth.js';

/** One read per fragment: a 2 s `moof` (~1 KiB) and the `mdat` header fit; bigger ones are read again. */
const SPECULATIVE_READ = 4 * 1024;
/** Header boxes larger than this are corrupt or hostile; refuse rather than allocate. */
const MAX_HEADER_BOX = 256 * 1024 * 1024;
const TOP_LEVEL = new Set(['ftyp', 'styp', 'moov', 'moof', 'mdat', 'free', 'skip', 'wide', 'uuid', 'pdin', 'sidx', 'meta', 'mfra', 'prft', 'emsg', 'ssix', 'junk']);

interface LocatedMoof {
  offset: number;
  size: number;
  info: MoofInfo;
  /** The `moof` itself (a view of the read's buffer). */
  moof: Uint8Array;
}

export interface IndexOptions {
  /** Parallel reads when `mfra` gives every offset up front (pays off on remote sources). */
  concurrency?: number;
  /** Stops between reads (rejects with its reason) when aborted. */
  signal?: AbortSignal;
  /**
   * Keep each fragment's `moof` bytes in its FragmentRef (about 1 KiB each), for a caller
   * about to rewrite every `moof` (a tfdt added for DASH and HLS) that would otherwise read
   * them all again.
   */
  keepMoofs?: boolean;
}

/**
 * Finds every fragment of every track in a fragmented MP4 (ISMV/ISMA, PIFF, CMAF)
 * without reading `mdat` payloads: O(fragments) small reads.
 */
export async function indexSource(src: ByteSource & { mtimeMs?: number }, options: IndexOptions = {}): Promise<SourceIndex> {
  try {
    return await indexUnlabelled(src, options.concurrency ?? 8, options.signal, options.keepMoofs === true);
  } catch (e) {
    if (isSmoothpubError(e)) throw e.withContext({ file: src.name });
    throw e;
  }
}

async function indexUnlabelled(src: ByteSource & { mtimeMs?: number }, concurrency: number, signal: AbortSignal | undefined, keepMoofs: boolean): Promise<SourceIndex> {
  const head = await readHead(src);
  const moov = head.moov;
  const tracks = moov.tracks;
  if (head.firstMoof === undefined) {
    if (!moov.fragmented || tracks.some((t) => t.moovSampleCount > 0)) {
      const encrypted = tracks.find((t) => t.protection !== undefined);
      if (encrypted) {
        throw new SmoothpubError(
          ErrorCode.UNSUPPORTED_INPUT,
          `track ${encrypted.trackId} of this plain (unfragmented) MP4 is encrypted (${encrypted.protection!.scheme}): smoothpub publishes already-protected sources only as fragmented MP4/ISMV, whose fragments it copies as they are, and never decrypts`,
          { trackId: encrypted.trackId },
        );
      }
      return {
        file: src.name,
        size: src.size,
        mtimeMs: src.mtimeMs ?? 0,
        brand: head.brand,
        method: 'progressive',
        tracks: await readProgressiveTracks(src.name, head.moovBytes, moov.tracks, src.size),
      };
    }
    throw new SmoothpubError(ErrorCode.NO_TRACKS, 'no movie fragments (moof) found', {});
  }
  const defaults = new Map(tracks.map((t) => [t.trackId, t.trex?.defaultSampleDuration ?? 0]));
  const defaultDuration = (id: number): number => defaults.get(id) ?? 0;
  const flagDefaults = new Map(tracks.map((t) => [t.trackId, t.trex?.defaultSampleFlags]));
  const defaultFlags = (id: number): number | undefined => flagDefaults.get(id);

  let method: SourceIndex['method'] = 'scan';
  // A damaged or partial `mfra` in an otherwise good file is not fatal: the scan decides.
  let moofs = await viaMfra(src, head.firstMoof, defaultDuration, defaultFlags, concurrency, signal).catch((e: unknown) => {
    if (isSmoothpubError(e)) return undefined;
    throw e;
  });
  if (moofs) method = 'mfra';
  else moofs = await scan(src, head.firstMoof, defaultDuration, defaultFlags, signal);

  return {
    file: src.name,
    size: src.size,
    mtimeMs: src.mtimeMs ?? 0,
    brand: head.brand,
    method,
    tracks: await joinNonSyncStarts(src, tracks, buildTracks(src.name, moov, moofs, keepMoofs), moofs),
  };
}

/**
 * Video fragments that start at a non-sync sample joined to the fragment before them
 * (mergeNonSyncStarts). Audio is left alone: every AAC frame decodes on its own,
 * whatever a muxer writes in its flags.
 */
async function joinNonSyncStarts(src: ByteSource, moovTracks: MoovTrack[], tracks: TrackIndex[], moofs: LocatedMoof[]): Promise<TrackIndex[]> {
  const syncByOffset = new Map(moofs.map((m) => [m.offset, m.info.firstSampleSync]));
  for (const track of tracks) {
    if (track.kind !== 'video') continue;
    const sync = track.fragments.map((f) => syncByOffset.get(f.offset));
    if (!sync.includes(false)) continue;
    const trex = moovTracks.find((t) => t.trackId === track.trackId)?.trex;
    const joined = await mergeNonSyncStarts(src, track.trackId, track.fragments, sync, {
      duration: trex?.defaultSampleDuration ?? 0,
      size: trex?.defaultSampleSize ?? 0,
      flags: trex?.defaultSampleFlags,
    });
    track.fragments = joined.fragments;
    track.nonSyncStarts = joined.nonSyncStarts;
  }
  return tracks;
}

async function readHeader(src: ByteSource, pos: number, parent = 'file'): Promise<BoxHeader> {
  const bytes = await src.read(pos, MAX_BOX_HEADER);
  if (bytes.length < 8) {
    throw new SmoothpubError(ErrorCode.TRUNCATED_BOX, `file ends ${bytes.length} bytes into a box header`, { offset: pos });
  }
  return readBoxHeader(new Cursor(bytes, pos, parent), src.size, parent);
}

function checkHeaderBoxSize(h: BoxHeader): void {
  if (h.size > MAX_HEADER_BOX) {
    throw new SmoothpubError(ErrorCode.BAD_BOX_SIZE, `'${h.type}' box of ${h.size} bytes is implausibly large`, { offset: h.offset, boxPath: h.type });
  }
}

async function readWhole(src: ByteSource, h: BoxHeader): Promise<Cursor> {
  checkHeaderBoxSize(h);
  const bytes = await src.read(h.offset, h.size);
  return new Cursor(bytes, h.offset, h.type, h.headerSize, h.size);
}

/** Top-level boxes up to the first `moof`: brand and `moov`. */
async function readHead(src: ByteSource): Promise<{ brand: string; moov: Moov; moovBytes: MoovBytes; firstMoof: number | undefined }> {
  let pos = 0;
  let brand = '';
  let moov: Moov | undefined;
  let moovBytes: MoovBytes | undefined;
  let firstMoof: number | undefined;
  let sawMdat = false;
  const magic = await src.read(0, 8);
  const firstType = String.fromCharCode(...magic.subarray(4, 8));
  if (magic.length < 8 || !TOP_LEVEL.has(firstType)) {
    throw new SmoothpubError(ErrorCode.UNSUPPORTED_INPUT, `not an ISO BMFF (MP4/ISMV/ISMA) file: ${magic.length < 8 ? `only ${src.size} bytes` : `it starts with box type ${printable(firstType)}`}`, { offset: 0 });
  }
  while (pos < src.size) {
    const h = await readHeader(src, pos);
    if (h.type === 'ftyp') {
      const c = await readWhole(src, h);
      brand = c.fourcc();
    } else if (h.type === 'moov') {
      checkHeaderBoxSize(h);
      moovBytes = await readMoovBytes(src, h);
      const c = moovBytes.moov;
      moov = readMoov(new Cursor(c.bytes, c.base, c.what, c.pos, c.end));
    } else if (h.type === 'moof') {
      firstMoof = pos;
      break;
    } else if (h.type === 'mdat') {
      sawMdat = true;
    }
    pos += h.size;
  }
  if (!moov || !moovBytes) {
    throw new SmoothpubError(
      ErrorCode.MISSING_BOX,
      sawMdat || firstMoof !== undefined ? "no 'moov' box: the file is incomplete or not an MP4" : "no 'moov' box: not an MP4/ISMV file",
      { offset: 0, boxPath: 'moov' },
    );
  }
  return { brand, moov, moovBytes, firstMoof };
}

/** Reads the `moof` at `offset` and the header of the `mdat` that must follow it. */
async function readFragmentAt(src: ByteSource, offset: number, defaultDuration: (id: number) => number, defaultFlags: (id: number) => number | undefined): Promise<LocatedMoof> {
  let bytes = await src.read(offset, SPECULATIVE_READ);
  if (bytes.length < 8) throw new SmoothpubError(ErrorCode.TRUNCATED_BOX, 'file ends inside a moof header', { offset });
  const h = readBoxHeader(new Cursor(bytes, offset), src.size);
  if (h.type !== 'moof') {
    throw new SmoothpubError(ErrorCode.BAD_MFRA, `expected a 'moof' here, found ${printable(h.type)}`, { offset, boxPath: h.type });
  }
  if (h.size + MAX_BOX_HEADER > bytes.length && offset + bytes.length < src.size) {
    if (h.size > MAX_HEADER_BOX) {
      throw new SmoothpubError(ErrorCode.BAD_BOX_SIZE, `'moof' of ${h.size} bytes is implausibly large`, { offset, boxPath: 'moof' });
    }
    bytes = await src.read(offset, h.size + MAX_BOX_HEADER);
  }
  const info = readMoof(new Cursor(bytes, offset, 'moof', h.headerSize, h.size), defaultDuration, defaultFlags);
  const mdatAt = offset + h.size;
  if (mdatAt >= src.size) {
    throw new SmoothpubError(ErrorCode.TRUNCATED_BOX, "file ends after a 'moof' with no 'mdat'", { offset: mdatAt, boxPath: 'mdat' });
  }
  if (src.size - mdatAt < 8) {
    throw new SmoothpubError(ErrorCode.TRUNCATED_BOX, `file ends ${src.size - mdatAt} bytes into an 'mdat' header`, { offset: mdatAt, boxPath: 'mdat' });
  }
  const mh = readBoxHeader(new Cursor(bytes, offset, 'file', h.size, bytes.length), src.size);
  if (mh.type !== 'mdat') {
    throw new SmoothpubError(ErrorCode.BAD_BOX, `expected 'mdat' after 'moof', found ${printable(mh.type)}`, { offset: mdatAt, boxPath: mh.type });
  }
  return { offset, size: h.size + mh.size, info, moof: bytes.subarray(0, h.size) };
}

/**
 * The `mfra` fast path: every `moof` offset up front, so fragments are read in parallel.
 * Returns undefined (caller scans) unless the fragments it names tile the file exactly.
 */
async function viaMfra(
  src: ByteSource,
  firstMoof: number,
  defaultDuration: (id: number) => number,
  defaultFlags: (id: number) => number | undefined,
  concurrency: number,
  signal: AbortSignal | undefined,
): Promise<LocatedMoof[] | undefined> {
  if (src.size < 16) return undefined;
  const tail = await src.read(src.size - 16, 16);
  const tc = new Cursor(tail, src.size - 16);
  if (tc.u32() !== 16 || tc.fourcc() !== 'mfro') return undefined;
  const mfraSize = readMfro(tc).mfraSize;
  const mfraAt = src.size - mfraSize;
  if (mfraSize < 16 || mfraAt < firstMoof) {
    throw new SmoothpubError(ErrorCode.BAD_MFRA, `'mfro' gives an impossible 'mfra' size ${mfraSize}`, { offset: src.size - 16, boxPath: 'mfro' });
  }
  const h = await readHeader(src, mfraAt);
  if (h.type !== 'mfra' || h.size !== mfraSize) {
    throw new SmoothpubError(ErrorCode.BAD_MFRA, `'mfro' points at ${printable(h.type)} of ${h.size} bytes, not an 'mfra' of ${mfraSize}`, { offset: mfraAt, boxPath: 'mfra' });
  }
  const offsets = new Set<number>();
  for (const box of childBoxes(await readWhole(src, h), 'mfra')) {
    if (box.type === 'tfra') for (const e of readTfra(box.payload).entries) offsets.add(e.moofOffset);
  }
  const sorted = [...offsets].sort((a, b) => a - b);
  const out: LocatedMoof[] = new Array<LocatedMoof>(sorted.length);
  await runAll(
    sorted,
    concurrency,
    async (offset, i) => {
      out[i] = await readFragmentAt(src, offset, defaultDuration, defaultFlags);
    },
    signal,
  );
  let expected = firstMoof;
  for (const m of out) {
    if (m.offset !== expected) return undefined; // tfra skips fragments (or lists extras): scan instead
    expected += m.size;
  }
  return expected === mfraAt ? out : undefined;
}

/** Walks top-level boxes from the first `moof` to the end. */
async function scan(
  src: ByteSource,
  firstMoof: number,
  defaultDuration: (id: number) => number,
  defaultFlags: (id: number) => number | undefined,
  signal: AbortSignal | undefined,
): Promise<LocatedMoof[]> {
  const out: LocatedMoof[] = [];
  let pos = firstMoof;
  while (pos < src.size) {
    signal?.throwIfAborted();
    const h = await readHeader(src, pos);
    if (h.type === 'moof') {
      const m = await readFragmentAt(src, pos, defaultDuration, defaultFlags);
      out.push(m);
      pos += m.size;
    } else if (h.type === 'mfra') {
      break;
    } else {
      if (!TOP_LEVEL.has(h.type)) {
        throw new SmoothpubError(ErrorCode.BAD_BOX, `unexpected top-level box ${printable(h.type)} between fragments`, { offset: pos, boxPath: h.type });
      }
      pos += h.size;
    }
  }
  return out;
}

function buildTracks(file: string, moov: Moov, moofs: LocatedMoof[], keepMoofs: boolean): TrackIndex[] {
  const moovTracks = moov.tracks;
  checkSampleEncryption(moovTracks, moofs);
  const byId = new Map<number, FragmentRef[]>();
  const next = new Map<number, bigint>();
  for (const m of moofs) {
    const { trackId } = m.info;
    let list = byId.get(trackId);
    if (!list) byId.set(trackId, (list = []));
    const time = fragmentTime(m.info, next.get(trackId));
    const prev = list[list.length - 1];
    if (prev && time <= prev.time) {
      throw new SmoothpubError(ErrorCode.BAD_BOX, `fragment time ${time} does not increase (previous fragment starts at ${prev.time})`, { offset: m.offset, trackId, boxPath: 'moof' });
    }
    const ref: FragmentRef = { offset: m.offset, size: m.size, time, duration: m.info.duration };
    // A copy: the read's buffer holds more than the moof.
    if (keepMoofs) ref.moof = m.moof.slice();
    const said = m.info.tfxd;
    if (said && (said.time !== time || said.duration !== m.info.duration)) ref.tfxd = { time: said.time, duration: said.duration };
    const growth = m.info.tfdt === undefined ? tfdtGrowth(m.moof, m.offset) : 0;
    if (growth) ref.tfdtGrowth = growth;
    list.push(ref);
    next.set(trackId, time + m.info.duration);
  }
  const out: TrackIndex[] = [];
  for (const [trackId, fragments] of byId) {
    const t = moovTracks.find((x) => x.trackId === trackId);
    if (!t) {
      throw new SmoothpubError(ErrorCode.BAD_BOX, `fragments reference track ${trackId}, which the 'moov' does not declare`, { trackId, offset: fragments[0]!.offset });
    }
    if (!t.kind || !t.sampleEntry) continue; // hint, metadata or other tracks a Smooth client never asks for
    const bytes = fragments.reduce((s, f) => s + f.size, 0);
    const ticks = fragments.reduce((s, f) => s + f.duration, 0n);
    out.push(describeTrack(file, { ...t, kind: t.kind, sampleEntry: t.sampleEntry }, fragments, bitrateOf(bytes, Number(ticks), t.timescale), moov.systems));
  }
  return out.sort((a, b) => a.trackId - b.trackId);
}

/**
 * Encrypted fragments must carry their samples' IVs (and subsample ranges) themselves: in
 * a `senc` or PIFF's sample encryption `uuid` of their `traf`. ffmpeg 5.1's fragmented
 * output (`-encryption_scheme cenc-aes-ctr` with `-f ismv` or fragmenting `-movflags`)
 * writes them nowhere but an empty `senc` in the `moov` (docs/architecture.md), so no
 * client can decrypt its fragments: refused, with what to do instead.
 */
function checkSampleEncryption(moovTracks: MoovTrack[], moofs: LocatedMoof[]): void {
  const needIvs = new Map(moovTracks.filter((t) => t.protection !== undefined && t.protection.ivSize > 0).map((t) => [t.trackId, t]));
  if (needIvs.size === 0) return;
  for (const m of moofs) {
    const t = needIvs.get(m.info.trackId);
    if (t === undefined || m.info.sampleEncryption === true || m.info.sampleCount === 0) continue;
    throw new SmoothpubError(
      ErrorCode.UNDECRYPTABLE_INPUT,
      `track ${t.trackId} is encrypted (${t.protection!.scheme}, ${t.protection!.ivSize}-byte IVs) but this fragment carries no sample encryption data ('senc' or PIFF's sample encryption 'uuid' in its 'traf'), so no client can decrypt it (ffmpeg 5.1's fragmented -encryption_scheme output is such a file). Encrypt the clear source instead: smoothpub package <clear inputs> --key <kid>:<key>, or Shaka Packager --enable_raw_key_encryption`,
      { trackId: t.trackId, offset: m.offset, boxPath: 'moof/traf' },
    );
  }
}

/**
 * When a fragment's first sample decodes: `tfdt` says so; without it, where the previous
 * fragment's samples end (Smooth clients place samples by the Manifest, and a Manifest
 * that disagrees with the samples makes dash.js fail to decode). The first fragment, and
 * one whose `tfxd` declares a gap, start where `tfxd` says. ffmpeg writes as `tfxd` the
 * first sample's presentation time and a constant duration: equal to the samples' with
 * closed GOPs, but with open GOPs the keyframe decodes before the frames shown ahead of
 * it, and its fragment starts up to a few frames before `tfxd` says.
 */
function fragmentTime(info: MoofInfo, previousEnd: bigint | undefined): bigint {
  if (info.tfdt !== undefined) return info.tfdt;
  const said = info.tfxd?.time;
  if (previousEnd === undefined) return said ?? 0n;
  if (said === undefined || said === previousEnd + info.firstCompositionOffset) return previousEnd;
  return said;
}
