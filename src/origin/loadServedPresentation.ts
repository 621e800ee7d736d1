import { indexSource } from '../fragments/indexSource.js';
import type { BuiltFragment, FragmentRef, SourceIndex, TrackIndex } from '../fragments/types.js';
import { readTrackSetup } from '../fragments/readTrackSetup.js';
import type { FormatLevel } from '../formats/model.js';
import { initKey } from '../formats/names.js';
import { cmafInitSegment, formatDocuments, formatLevel } from '../plan/formatObjects.js';
import { frameRateFrom } from '../plan/prepareFormats.js';
import type { Presentation } from '../smooth/model.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { fragmentContentType } from '../plan/buildPlan.js';
import { buildPresentation, writePresentationManifest, type LevelBinding, type PresentationOptions } from '../plan/buildPresentation.js';
import { clientManifestPath, labelIndex, toInputEntry } from '../plan/inputEntry.js';
import { readManifest } from '../smooth/readManifest.js';
import type { ProtectionHeader } from '../smooth/model.js';
import { retimeSource } from '../plan/retimeSource.js';
import { selectTracks, type InputEntry, type SelectedTrack } from '../plan/selectTracks.js';
import { readIsm } from '../smooth/ism.js';
import { stampTag, type OriginRoot, type Stamp } from './originRoot.js';
import { contentTag } from '../util/contentTag.js';
import type { TrackEncryption } from '../protect/model.js';
import type { OriginProtection } from './originProtection.js';
import type { AppliedProtection } from '../plan/protectionSettings.js';
import { passthroughSignalling } from '../plan/passthroughSignalling.js';
import { initPsshOf, textOf } from '../plan/formatObjects.js';
import { addTextStreams, loadText, loadTextTrack, loadTx3gTrack, sameTexts, sameTextTracks, splitTextEntries, splitTextTracks, type LoadedText, type TextLevel } from '../plan/textStreams.js';
import { clientManifestSubtype, trackRoleSubtype } from '../plan/textSubtypes.js';

export type { Stamp } from './originRoot.js';

/**
 * One quality level, compact: a thousand presentations of hours each stay small, so
 * only what a fragment request and the playlists need is kept (16 bytes a fragment, 20
 * where `moof`s gain a `tfdt`).
 */
export interface ServedLevel {
  /** The source's id in its root (a real path, an object key). */
  file: string;
  /** Byte offset and size (moof + mdat) of chunk i's fragment. */
  offsets: Float64Array;
  sizes: Float64Array;
  /** Chunk i's generated fragment, for sources without stored fragments (plain MP4). */
  built?: (BuiltFragment | undefined)[];
  /** Bytes chunk i's `moof` gains with the `tfdt` DASH and HLS get (FragmentRef.tfdtGrowth); absent when none does. */
  tfdtGrowth?: Int32Array;
  /** The track as DASH and HLS describe it (init segment, codecs); its samples are not kept. */
  track: ServedTrack;
  /** The first fragment's own start, when it is before 0 (codec priming; announced as 0). */
  firstTime?: bigint;
  /**
   * A level encrypted on the fly: each fragment is protected when asked (protectedFragment:
   * its tfdt added, then protectFragment with its chunk number), the init segment with this.
   */
  encryption?: TrackEncryption;
  /** With `encryption`: the protected fragments' sizes, measured for the HLS playlists (addProtectedSizes). */
  protectedSizes?: Float64Array;
  /** A text level made from a subtitle file: its DASH fragments, WebVTT segments and init segment. */
  text?: TextLevel;
}

/** What an init segment and the DASH/HLS documents need of a track. */
export interface ServedTrack extends Pick<TrackIndex, 'kind' | 'timescale' | 'trackId' | 'width' | 'height' | 'sampleEntry' | 'file' | 'language' | 'protection'> {
  /** The sum of its fragments' durations. */
  duration: bigint;
}

export interface ServedStream {
  contentType: string;
  /** Levels by bitrate. */
  levels: Map<number, ServedLevel>;
  /** Announced chunk start times, ascending (the same for every level of a stream). */
  times: BigInt64Array;
}

/** A presentation ready to answer requests: its Manifest and where every fragment lies. */
export interface ServedPresentation {
  /** Id of the `.ism` file or folder in its root. */
  path: string;
  stamp: Stamp;
  manifest: Uint8Array<ArrayBuffer>;
  manifestEtag: string;
  /** Newest mtime of the `.ism` and its sources. */
  lastModified: number;
  /**
   * Changes whenever any file of the presentation or an option that shapes its bytes does:
   * part of every fragment's ETag, since a fragment's bytes (its tfdt time, a rebuilt moof's
   * track id, a plain MP4's fragment bounds) may follow from the other files too.
   */
  generation: string;
  /** Every source by id, as indexed. */
  sources: Map<string, Stamp>;
  streams: Map<string, ServedStream>;
  /** When the files were last seen unchanged (Date.now()). */
  checkedAt: number;
  /** The Smooth model the Manifest was written from (DASH and HLS are written from it too). */
  presentation: Presentation;
  /** DASH and HLS documents and init segments, made on the first request for one (formatsOf). */
  formats?: Promise<ServedFormats>;
  /** Served encrypted (serve --key): how, and the signalling made for the presentation's track types. */
  protection?: OriginProtection;
  signalling?: AppliedProtection['signalling'];
}

/** The DASH and HLS objects of a presentation, in memory (a few KiB). */
export interface ServedFormats {
  /** By initKey(stream, bitrate). */
  inits: Map<string, { data: Uint8Array<ArrayBuffer>; etag: string }>;
  /** Each level's trex default sample duration (by initKey), for a fragment whose moof is rebuilt. */
  trexDefaults: Map<string, number>;
  /** Video levels' frame rates (by initKey). */
  frameRates: Map<string, string>;
  /**
   * Each format's, by the key names.ts gives them: `manifest.mpd`; `master.m3u8` and the
   * media playlists. Made on the first request for one of the format: a codec DASH or HLS
   * cannot name fails those requests only, never a fragment's.
   */
  documents: Map<'dash' | 'hls', Map<string, ServedDocument>>;
}

export interface ServedDocument {
  data: Uint8Array<ArrayBuffer>;
  contentType: string;
  etag: string;
}

export interface LoadServedOptions extends PresentationOptions {
  onIndexed?: (file: string, via: 'sidecar' | 'index') => void;
  /**
   * Encrypt every fragment: each level's encryption is decided when loaded (planProtection,
   * nothing read), each fragment read, protected and encrypted when asked.
   */
  protection?: OriginProtection;
}

const MAX_ISM_BYTES = 1 << 20;

/**
 * Loads the presentation at `relativePath` under `root`: a `.ism` server manifest, or a
 * folder named `*.ism` holding `.ismv`/`.isma` (or plain `.mp4`/`.m4a`) files, all of them
 * in name order.
 * Undefined when it does not exist, is neither, or names a source that is missing or
 * lies outside the root: the origin reads nothing else.
 */
export async function loadServedPresentation(root: OriginRoot, relativePath: string, options: LoadServedOptions = {}): Promise<ServedPresentation | undefined> {
  const located = await root.locate(relativePath);
  if (located === undefined) return undefined;
  let entries: InputEntry[];
  let clientManifestProtection: ProtectionHeader[] | undefined;
  if (located.kind === 'folder') {
    entries = located.media.map((file) => ({ file }));
  } else {
    const xml = await root.readText(located.id, MAX_ISM_BYTES);
    if (xml === undefined) return undefined;
    entries = [];
    const ism = readIsm(xml, located.id);
    const clientManifest = await readServedClientManifest(root, clientManifestPath(located.id, ism.clientManifestRelativePath));
    clientManifestProtection = clientManifest?.protection;
    for (const ismEntry of ism.entries) {
      const e = toInputEntry(ismEntry);
      const id = await root.confine(e.file);
      if (id === undefined) return undefined;
      // A text stream's Subtype the .ism does not state, from the .ismc beside it (as loadPresentation).
      const subtype = e.kind === 'text' && e.subtype === undefined && clientManifest ? clientManifestSubtype(clientManifest, { name: e.trackName, language: e.language }) : undefined;
      entries.push({ ...e, file: id, ...(subtype !== undefined && { subtype }) });
    }
  }
  if (entries.length === 0) return undefined;
  const split = splitTextEntries(entries);

  const indexes = new Map<string, SourceIndex>();
  const sources = new Map<string, Stamp>();
  for (const file of new Set(split.media.map((e) => e.file))) {
    const { index, stamp } = await indexOne(root, file, options);
    indexes.set(file, index);
    sources.set(file, stamp);
  }
  const texts: LoadedText[] = [];
  for (const input of split.texts) {
    // The subtitle file's stamp joins the sources': a changed file is converted again.
    const { src, stamp } = await root.openForIndex(input.file);
    sources.set(input.file, stamp);
    texts.push(await loadText(input, { open: () => Promise.resolve(src) }));
  }
  const selected = splitTextTracks(selectTracks(split.media, indexes));
  // The track's own kind/handler where the .ism and .ismc do not say (no .ismc named after a
  // served file is looked for: the origin reads only what the .ism names).
  const withRole = (s: SelectedTrack): SelectedTrack => {
    const subtype = s.subtype ?? trackRoleSubtype(s.track);
    return subtype === undefined ? s : { ...s, subtype };
  };
  const textTracks = [];
  const tx3gTexts: LoadedText[] = [];
  for (const s of [...selected.text, ...selected.tx3g].map(withRole)) {
    const file = s.track.file;
    const access = {
      open: async () => {
        const src = await root.open(file, sources.get(file)!);
        if (!src) throw new SmoothpubError(ErrorCode.READ_FAILED, 'the source changed or went away while its text track was read; retry', { file });
        return src;
      },
    };
    if (selected.tx3g.some((t) => t.track === s.track)) tx3gTexts.push(await loadTx3gTrack(s, access));
    else textTracks.push(await loadTextTrack(s, access));
  }
  let built = buildPresentation(selected.media, { ...options, ...(clientManifestProtection && { clientManifestProtection }) });
  built = addTextStreams(built, [...texts, ...sameTexts(tx3gTexts)], sameTextTracks(textTracks));
  // Encrypted on the fly: each level's encryption and the signalling now, each fragment when asked (servedFragment.ts).
  if (options.protection) built = options.protection.plan(built);
  const manifest = new TextEncoder().encode(writePresentationManifest(built));
  const streams = new Map<string, ServedStream>();
  for (const s of built.presentation.streams) {
    streams.set(s.name, {
      contentType: fragmentContentType(s.type),
      levels: new Map(),
      times: BigInt64Array.from(s.chunks.map((c) => c.t)),
    });
  }
  for (const level of built.levels) streams.get(level.streamName)?.levels.set(level.bitrate, compactLevel(level));
  return {
    path: located.id,
    stamp: located.stamp,
    manifest,
    manifestEtag: etagOf('m', manifest),
    lastModified: Math.max(located.stamp.mtimeMs, ...[...sources.values()].map((s) => s.mtimeMs)),
    generation: generationOf(located.id, located.stamp, sources, options),
    sources,
    streams,
    checkedAt: Date.now(),
    presentation: built.presentation,
    ...(options.protection && { protection: options.protection }),
    ...(built.protection && { signalling: built.protection.signalling }),
  };
}

/** Sources were indexed by their ids, so track.file is one. */
function compactLevel(level: LevelBinding): ServedLevel {
  const { track } = level;
  const fragments = track.fragments;
  const served: ServedLevel = {
    file: track.file,
    offsets: Float64Array.from(fragments, (f) => f.offset),
    sizes: Float64Array.from(fragments, (f) => f.size),
    track: {
      kind: track.kind,
      timescale: track.timescale,
      trackId: track.trackId,
      sampleEntry: track.sampleEntry,
      file: track.file,
      language: track.language,
      duration: fragments.reduce((s, f) => s + f.duration, 0n),
      ...(track.width !== undefined && { width: track.width }),
      ...(track.height !== undefined && { height: track.height }),
      ...(track.protection !== undefined && { protection: track.protection }),
    },
  };
  if (fragments.some((f) => f.built)) served.built = fragments.map((f) => f.built);
  if (fragments.some((f) => f.tfdtGrowth)) served.tfdtGrowth = Int32Array.from(fragments, (f) => f.tfdtGrowth ?? 0);
  if (level.encryption) served.encryption = level.encryption;
  if (level.text) served.text = level.text;
  const first = fragments[0];
  if (first && first.time < 0n) served.firstTime = first.time;
  return served;
}

/**
 * The DASH and HLS objects of a served presentation, made once: each level's sample
 * description and trex read from its source (a few small reads), a video level's frame
 * rate from one fragment, then the documents and init segments in memory.
 */
export function formatsOf(root: OriginRoot, p: ServedPresentation): Promise<ServedFormats> {
  p.formats ??= makeFormats(root, p);
  return p.formats;
}

async function makeFormats(root: OriginRoot, p: ServedPresentation): Promise<ServedFormats> {
  const out: ServedFormats = { inits: new Map(), trexDefaults: new Map(), frameRates: new Map(), documents: new Map() };
  for (const stream of p.presentation.streams) {
    const served = p.streams.get(stream.name);
    for (const q of stream.qualityLevels) {
      const level = served?.levels.get(q.bitrate);
      if (!served || !level) continue;
      if (level.text) {
        const data = new Uint8Array(level.text.init);
        out.inits.set(initKey(stream.name, q.bitrate), { data, etag: etagOf('i', data) });
        continue;
      }
      const src = await root.open(level.file, p.sources.get(level.file)!);
      if (!src) throw new SmoothpubError(ErrorCode.READ_FAILED, 'the source changed or went away while its DASH/HLS objects were made; retry', { file: level.file });
      try {
        const key = initKey(stream.name, q.bitrate);
        const setup = await readTrackSetup(src, level.track.trackId);
        const clear = cmafInitSegment({ ...level.track, fragments: [{ duration: level.track.duration }] }, setup, stream.language ?? level.track.language);
        const data = new Uint8Array(level.encryption && p.protection ? p.protection.protectInitSegment(clear, level.encryption, initPsshOf(p.signalling && { settings: p.protection.settings, signalling: p.signalling }, level.track.kind)) : clear);
        out.inits.set(key, { data, etag: etagOf('i', data) });
        out.trexDefaults.set(key, setup.trex?.defaultSampleDuration ?? 0);
        if (level.track.kind === 'video') {
          const frameRate = await frameRateFrom(firstFragments(served.times, level), level.track.timescale, src);
          if (frameRate !== undefined) out.frameRates.set(key, frameRate);
        }
      } finally {
        await src.close();
      }
    }
  }
  return out;
}

/** The first two fragments of a level, with their durations, as frameRateFrom reads them. */
function firstFragments(times: BigInt64Array, level: ServedLevel): Pick<FragmentRef, 'offset' | 'size' | 'built' | 'duration'>[] {
  const end = (level.firstTime ?? times[0] ?? 0n) + level.track.duration;
  return Array.from({ length: Math.min(2, level.offsets.length) }, (_, i) => ({
    offset: level.offsets[i]!,
    size: level.sizes[i]!,
    duration: (i + 1 < times.length ? times[i + 1]! : end) - times[i]!,
    ...(level.built?.[i] && { built: level.built[i] }),
  }));
}

/**
 * The MPD, or the HLS playlists, of a served presentation, made once (formatsOf first).
 * The playlists' bandwidths follow from the fragments' sizes: a level encrypted on the
 * fly needs its protected sizes (addProtectedSizes) first.
 */
export async function documentsOf(root: OriginRoot, p: ServedPresentation, format: 'dash' | 'hls'): Promise<Map<string, ServedDocument>> {
  const f = await formatsOf(root, p);
  const made = f.documents.get(format);
  if (made) return made;
  const levels: FormatLevel[] = [];
  for (const stream of p.presentation.streams) {
    for (const q of stream.qualityLevels) {
      const level = p.streams.get(stream.name)?.levels.get(q.bitrate);
      if (!level) continue;
      const sizes = level.encryption === undefined ? formatSizes(level) : level.protectedSizes;
      if (sizes === undefined && format === 'hls') throw new SmoothpubError(ErrorCode.BAD_OPTION, `internal: the protected sizes of level ${stream.name} ${q.bitrate} were not measured before its playlists`, { file: level.file });
      levels.push(formatLevel(stream.name, q.bitrate, level.track, sizes ?? level.sizes, f.frameRates.get(initKey(stream.name, q.bitrate)), level.text && textOf(level.text)));
    }
  }
  const documents = new Map<string, ServedDocument>();
  // Encrypted on the fly (keys given), or already protected sources (what they carry).
  const tracks = [...p.streams.values()].flatMap((s) => [...s.levels.values()].map((l) => l.track));
  const protection = p.signalling?.format ?? passthroughSignalling(tracks);
  for (const doc of formatDocuments({ presentation: p.presentation, levels, ...(protection && { protection }) }, [format])) {
    const data = new TextEncoder().encode(doc.text);
    documents.set(doc.keys[0]!, { data, contentType: doc.contentType, etag: etagOf('d', data) });
  }
  f.documents.set(format, documents);
  return documents;
}

/** The fragments' sizes as DASH and HLS clients get them, each with its `tfdt` (withDecodeTime). */
function formatSizes(level: ServedLevel): Float64Array {
  const growth = level.tfdtGrowth;
  return growth ? level.sizes.map((size, i) => size + growth[i]!) : level.sizes;
}

function generationOf(id: string, stamp: Stamp, sources: Map<string, Stamp>, options: LoadServedOptions): string {
  const files = [[id, stampTag(stamp)], ...[...sources].map(([file, s]) => [file, stampTag(s)])];
  // The keys shape every protected byte: hashed in with the rest, never kept as they are.
  const settings = options.protection?.settings;
  const protection = settings && [settings.signal.scheme, settings.keys.map((k) => [k.trackType, [...k.key.kid], [...k.key.key]])];
  const shaping = [options.fourCC, options.fragmentDuration, options.manifestTimeline, JSON.stringify(protection)].map(String);
  return contentTag(new TextEncoder().encode(JSON.stringify([files, shaping])));
}

function etagOf(kind: string, data: Uint8Array): string {
  return `"${kind}-${contentTag(data)}"`;
}

/** Index of `time` in ascending `times`, or undefined. */
export function chunkIndex(times: BigInt64Array, time: bigint): number | undefined {
  let lo = 0;
  let hi = times.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const t = times[mid]!;
    if (t === time) return mid;
    if (t < time) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/**
 * The sidecar when it matches the source, else a fresh index (and maybe a new sidecar),
 * with every track on the presentation clock (retimeSource; the sidecar keeps the source's).
 */
async function indexOne(root: OriginRoot, id: string, options: LoadServedOptions): Promise<{ index: SourceIndex; stamp: Stamp }> {
  const { src, stamp } = await root.openForIndex(id);
  try {
    const fromSidecar = await root.readSidecar(id, src, stamp);
    if (fromSidecar) {
      options.onIndexed?.(id, 'sidecar');
      return { index: await retimeSource(fromSidecar, src, 16), stamp };
    }
    // Named by the source's id in its root (a remote source's name is its URL).
    const indexed = await indexSource(src, { concurrency: 16 });
    const index = labelIndex(indexed, id);
    options.onIndexed?.(id, 'index');
    if (root.writeSidecar) await root.writeSidecar(index).catch(() => undefined);
    return { index: await retimeSource(index, src, 16), stamp };
  } finally {
    await src.close();
  }
}

/**
 * Whether the `.ism` and every source still look as they did when loaded. A root may
 * trust a recent check for a while (`recheckMs`): a remote one pays a request per file.
 */
export async function isCurrent(root: OriginRoot, p: ServedPresentation): Promise<boolean> {
  if (root.recheckMs > 0 && Date.now() - p.checkedAt < root.recheckMs) return true;
  const same = async (id: string, s: Stamp): Promise<boolean> => {
    const now = await root.stat(id).catch(() => undefined);
    return now !== undefined && now.size === s.size && now.mtimeMs === s.mtimeMs && now.etag === s.etag;
  };
  const checks = await Promise.all([same(p.path, p.stamp), ...[...p.sources].map(([id, s]) => same(id, s))]);
  if (!checks.every(Boolean)) return false;
  p.checkedAt = Date.now();
  return true;
}

/** The `<Protection>` of the `.ismc` beside a served `.ism` (passthroughProtection), when there is one inside the root. */
async function readServedClientManifest(root: OriginRoot, path: string): Promise<Presentation | undefined> {
  const id = await root.confine(path);
  const xml = id === undefined ? undefined : await root.readText(id, MAX_ISM_BYTES);
  if (id === undefined || xml === undefined) return undefined;
  try {
    return readManifest(xml);
  } catch (e) {
    throw e instanceof SmoothpubError ? e.withContext({ file: id }) : e;
  }
}
