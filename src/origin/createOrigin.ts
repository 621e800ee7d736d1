import { DEFAULT_FRAGMENT_CACHE_CONTROL, DEFAULT_MANIFEST_CACHE_CONTROL, MANIFEST_CONTENT_TYPE } from '../plan/buildPlan.js';
import { DEFAULT_LIVE_CACHE_CONTROL, DEFAULT_NOT_FOUND_CACHE_CONTROL } from '../plan/cacheControl.js';
import { clientAccessPolicyXml, crossDomainXml } from '../smooth/policy.js';
import { bytesEntity } from './bytesEntity.js';
import type { Entity } from './entity.js';
import { errorOutcome } from './errorStatus.js';
import { chunkIndex, documentsOf, formatsOf, isCurrent, loadServedPresentation, type ServedPresentation } from './loadServedPresentation.js';
import { addProtectedSizes, protectedFragment, withDecodeTime } from './servedFragment.js';
import { FORMATS, type Format } from '../formats/model.js';
import { initKey, MASTER_PLAYLIST_KEY, mediaPlaylistKey, MPD_KEY, WEBVTT_CONTENT_TYPE } from '../formats/names.js';
import { moofSize } from '../fragments/moofSize.js';
import { PresentationCache } from './presentationCache.js';
import { preflight, rejectInvalidRequest, type OriginRequest } from './requestTarget.js';
import { errorResponse, notFound, textResponse, withCors } from './responses.js';
import { sendEntity } from './sendEntity.js';
import { LIVE_NOT_FOUND, storedObject } from './storedObject.js';
import { DEFAULT_READ_CHUNK } from './sourceStream.js';
import { toResponse, type OriginReply, type RequestLike } from './reply.js';
import type { OriginRoot } from './originRoot.js';
import { fragmentParts, sliceParts, type FragmentPart } from '../fragments/fragmentParts.js';
import type { OriginProtection } from './originProtection.js';
import type { PresentationOptions } from '../plan/buildPresentation.js';
import type { ByteSource } from '../source/source.js';
import { StoreError } from '../stores/store.js';
import type { Stamp } from './originRoot.js';

export interface OriginOptions extends PresentationOptions {
  /**
   * Where the presentations live: openOriginRoot's local folder or store prefix (`az://`,
   * `s3://`, `https://`), or an edge root (createR2Root). A folder path as a string: the
   * node entry's createOrigin (nodeOrigin.ts); this module uses no node API.
   */
  root: OriginRoot;
  /** Access-Control-Allow-Origin: `*` (default), an origin, a comma-separated list, or '' for none. */
  cors?: string;
  /** Presentations kept indexed in memory, least recently used dropped first; default 1000. */
  maxCachedPresentations?: number;
  /** Serve `/clientaccesspolicy.xml` and `/crossdomain.xml` (Silverlight, Flash); default true. */
  policyFiles?: boolean;
  fragmentCacheControl?: string;
  manifestCacheControl?: string;
  /** Cache-Control of a 404: short, so that a presentation published later is found soon; default `public, max-age=10`. */
  notFoundCacheControl?: string;
  /**
   * Cache-Control of a stored live presentation's documents and 404s (a `.ism` folder with a
   * live `Manifest` object, as `ingest` writes it); default `public, max-age=1`.
   */
  liveCacheControl?: string;
  /** Bytes read from a source per step of a response body; default 1 MiB. */
  readChunkBytes?: number;
  /** Every 5xx, with its cause (for logs). */
  onError?: (error: unknown, request: RequestLike) => void;
  onIndexed?: (file: string, via: 'sidecar' | 'index') => void;
  /**
   * Formats answered (default all three). With DASH or HLS every fragment is served with
   * a `tfdt` (added on the fly where the source has none: the Smooth, DASH and HLS URLs of
   * a fragment are one URL); `smooth` alone serves the sources' bytes as they are.
   */
  formats?: readonly Format[];
  /**
   * Encrypt every fragment with these keys (Common Encryption) and signal them in the
   * Manifest, MPD and playlists. Each fragment is read, protected and encrypted in memory
   * when asked, and nothing else is read for it; the HLS playlists (their bandwidths
   * follow from every protected fragment's size) read each fragment once, on the first
   * request for one.
   */
  protection?: OriginProtection;
}

export type OriginHandler = (request: Request) => Promise<Response>;

/** createOrigin's handler, with a way to release its open files and connections. */
export type Origin = OriginHandler & {
  close(): Promise<void>;
  /**
   * The same answer before it becomes a Response: the node adapter writes it to the socket
   * directly. With `target` (the request target as received, path and query) a fragment
   * answered whole from one file run is remembered under it for fragmentNow.
   */
  reply(request: RequestLike, target?: string): Promise<OriginReply>;
  /**
   * A plain GET (no Range, no conditional header) of `target` answered before by reply:
   * its 200 headers and file run, decided on this turn of the event loop, or undefined
   * (then ask reply). Only while the presentation is the one it came from and its source
   * passes the root's check (openNow: for a local file, an fstat of its size and mtime).
   * Optional for wrappers: the node adapter asks reply alone without it.
   */
  fragmentNow?(target: string): FragmentNow | undefined;
};

/** fragmentNow's answer: send `prefix` (if any), then `size` bytes at `offset` of `src` after the headers, then close `src`. */
export interface FragmentNow {
  headers: Record<string, string>;
  /** Bytes made in memory ahead of the file run: a moof with a tfdt added (DASH or HLS answered). */
  prefix: Uint8Array | null;
  src: ByteSource;
  offset: number;
  size: number;
  /** Bytes read per step if the rest has to be copied through memory. */
  chunk: number;
}

/** Fragment answers remembered by request target (fragmentNow), oldest dropped first beyond this. */
const REMEMBERED_FRAGMENTS = 4096;

interface Remembered {
  presentation: string;
  /** Weak: a remembered answer never keeps a dropped presentation in memory. */
  p: WeakRef<ServedPresentation>;
  file: string;
  stamp: Stamp;
  prefix: Uint8Array | null;
  offset: number;
  size: number;
  headers: Record<string, string>;
}

/** A fragment reply that may be remembered once its final headers are known (reply). */
type Rememberable = Omit<Remembered, 'headers'>;

type Handler = (o: OriginRequest) => OriginReply | undefined | Promise<OriginReply | undefined>;

interface OriginState {
  presentations: PresentationCache<ServedPresentation>;
  /** Replies of fragment that fragmentNow may repeat, set by the fragment handler. */
  rememberable: WeakMap<OriginReply, Rememberable>;
  fragmentCacheControl: string;
  manifestCacheControl: string;
  readChunk: number;
  root: OriginRoot;
  formats: readonly Format[];
  /** Add a tfdt to fragments without one (DASH or HLS answered). */
  tfdt: boolean;
  protection?: OriginProtection;
}

const STARTED = Date.now();

/**
 * A Smooth Streaming origin as a fetch-style handler: answers `<path>.ism/Manifest` and
 * `<path>.ism/QualityLevels(b)/Fragments(name=t)` (and `FragmentInfo`) from byte ranges
 * of the original ISMV/ISMA files under `root`, and a stored presentation (a `.ism` folder
 * with a `Manifest` object: `package`, `publish` or live `ingest` output) object by object. No node API on its path: host it with
 * createOriginServer, or anywhere a `(Request) => Promise<Response>` runs (an edge worker).
 */
export function createOrigin(opts: OriginOptions): Origin {
  const cors = opts.cors ?? '*';
  const notFoundCacheControl = opts.notFoundCacheControl ?? DEFAULT_NOT_FOUND_CACHE_CONTROL;
  const root = opts.root;
  const state: OriginState = {
    presentations: new PresentationCache(opts.maxCachedPresentations ?? 1000, (path) =>
      loadServedPresentation(root, path, {
        ...(opts.fourCC !== undefined && { fourCC: opts.fourCC }),
        ...(opts.fragmentDuration !== undefined && { fragmentDuration: opts.fragmentDuration }),
        ...(opts.manifestTimeline !== undefined && { manifestTimeline: opts.manifestTimeline }),
        ...(opts.protectionHeaders !== undefined && { protectionHeaders: opts.protectionHeaders }),
        ...(opts.onIndexed && { onIndexed: opts.onIndexed }),
        ...(opts.protection && { protection: opts.protection }),
      }),
    ),
    rememberable: new WeakMap(),
    fragmentCacheControl: opts.fragmentCacheControl ?? DEFAULT_FRAGMENT_CACHE_CONTROL,
    manifestCacheControl: opts.manifestCacheControl ?? DEFAULT_MANIFEST_CACHE_CONTROL,
    readChunk: opts.readChunkBytes ?? DEFAULT_READ_CHUNK,
    root,
    formats: opts.formats ?? FORMATS,
    tfdt: (opts.formats ?? FORMATS).some((f) => f !== 'smooth'),
    ...(opts.protection && { protection: opts.protection }),
  };
  const stored = storedObject({ root, fragmentCacheControl: state.fragmentCacheControl, manifestCacheControl: state.manifestCacheControl, liveCacheControl: opts.liveCacheControl ?? DEFAULT_LIVE_CACHE_CONTROL, readChunk: state.readChunk });
  // With keys to encrypt with, stored objects (whatever protection they were stored with) are not answered: only what is encrypted here.
  const handlers: Handler[] = [preflight, ...(opts.policyFiles === false ? [] : [policyFiles(state)]), ...(opts.protection ? [] : [stored]), manifest(state), formatObject(state), fragment(state)];

  // Answers depend on the request's Origin only with a list of origins.
  const remembered = cors === '' || cors === '*' ? new Map<string, Remembered>() : undefined;
  const reply = async (request: RequestLike, target?: string): Promise<OriginReply> => {
    let answer: OriginReply;
    try {
      answer = await handle(request, handlers);
    } catch (e) {
      const outcome = errorOutcome(e);
      if (outcome.status >= 500) opts.onError?.(e, request);
      answer = errorResponse(request, outcome);
    }
    if (answer.status === 404) answer.headers['cache-control'] = LIVE_NOT_FOUND.has(answer) ? (opts.liveCacheControl ?? DEFAULT_LIVE_CACHE_CONTROL) : notFoundCacheControl;
    withCors(request, answer, cors);
    const r = target === undefined || remembered === undefined ? undefined : state.rememberable.get(answer);
    if (r !== undefined && answer.status === 200 && isPlainGet(request)) {
      remembered!.delete(target!);
      remembered!.set(target!, { ...r, headers: { ...answer.headers } });
      if (remembered!.size > REMEMBERED_FRAGMENTS) remembered!.delete(remembered!.keys().next().value!);
    }
    return answer;
  };
  const fragmentNow = (target: string): FragmentNow | undefined => {
    const r = remembered?.get(target);
    if (r === undefined) return undefined;
    const p = r.p.deref();
    const src = p !== undefined && state.presentations.current(r.presentation) === p ? root.openNow?.(r.file, r.stamp) : undefined;
    if (src === undefined) {
      // Changed, dropped, or not answerable now: reply decides, and remembers afresh.
      remembered!.delete(target);
      return undefined;
    }
    return { headers: r.headers, prefix: r.prefix, src, offset: r.offset, size: r.size, chunk: state.readChunk };
  };
  const handler = async (request: Request): Promise<Response> => toResponse(await reply(request));
  return Object.assign(handler, { close: () => root.close(), reply, fragmentNow });
}

/** A GET whose answer depends on nothing but its target: no Range, no precondition. */
function isPlainGet(request: RequestLike): boolean {
  const h = request.headers;
  return request.method === 'GET' && h.get('range') === null && h.get('if-range') === null && h.get('if-match') === null && h.get('if-none-match') === null && h.get('if-modified-since') === null && h.get('if-unmodified-since') === null;
}

async function handle(request: RequestLike, handlers: Handler[]): Promise<OriginReply> {
  const o = rejectInvalidRequest(request);
  if (!('path' in o)) return o;
  for (const h of handlers) {
    const r = await h(o);
    if (r !== undefined) return r;
  }
  return notFound(request);
}

/** `/clientaccesspolicy.xml` and `/crossdomain.xml` at the host root. */
function policyFiles(state: OriginState): Handler {
  const files = new Map([
    ['/clientaccesspolicy.xml', new TextEncoder().encode(clientAccessPolicyXml())],
    ['/crossdomain.xml', new TextEncoder().encode(crossDomainXml())],
  ]);
  return (o) => {
    const data = files.get(o.path.toLowerCase());
    return data && sendEntity(o.request, bytesEntity(data, MANIFEST_CONTENT_TYPE, state.manifestCacheControl, STARTED));
  };
}

/** The client Manifest, generated once per presentation and re-generated when a file changed. */
function manifest(state: OriginState): Handler {
  return async (o) => {
    if (o.smooth?.url.kind !== 'manifest' || !state.formats.includes('smooth')) return undefined;
    const p = await currentPresentation(state, o.smooth.presentation);
    if (!p) return notFound(o.request);
    return sendEntity(o.request, bytesEntity(p.manifest, MANIFEST_CONTENT_TYPE, state.manifestCacheControl, p.lastModified, p.manifestEtag));
  };
}

/** A presentation for a document request: re-indexed when a file changed since it was loaded. */
async function currentPresentation(state: OriginState, key: string): Promise<ServedPresentation | undefined> {
  let p = await state.presentations.get(key);
  if (p && !(await isCurrent(state.root, p))) {
    state.presentations.invalidate(key, p);
    p = await state.presentations.get(key);
  }
  return p;
}

/** DASH and HLS: the MPD, the playlists (under their own names and the media-services ones) and init segments. */
function formatObject(state: OriginState): Handler {
  return async (o) => {
    if (!o.format) return undefined;
    const { url } = o.format;
    const wanted: Format = url.kind === 'text' ? url.format : url.kind === 'mpd' ? 'dash' : url.kind === 'init' ? (state.formats.includes('dash') ? 'dash' : 'hls') : 'hls';
    if (!state.formats.includes(wanted)) return notFound(o.request);
    const p = await currentPresentation(state, o.format.presentation);
    if (!p) return notFound(o.request);
    if (url.kind === 'text') {
      // A subtitle file's DASH fragment or WebVTT segment, made when the presentation was loaded.
      const stream = p.streams.get(url.streamName);
      const text = stream?.levels.get(url.bitrate)?.text;
      const chunk = stream && chunkIndex(stream.times, url.time);
      if (!text || chunk === undefined) return notFound(o.request);
      const data = url.format === 'dash' ? new Uint8Array(text.dash[chunk]!) : new TextEncoder().encode(text.webVtt[chunk]!);
      const entity = bytesEntity(data, url.format === 'dash' ? stream.contentType : WEBVTT_CONTENT_TYPE, state.fragmentCacheControl, p.lastModified, `"x-${p.generation}-${url.format}-${url.time.toString(36)}"`);
      return sendEntity(o.request, entity);
    }
    if (url.kind === 'init') {
      const init = (await formatsOf(state.root, p)).inits.get(initKey(url.streamName, url.bitrate));
      return init ? sendEntity(o.request, bytesEntity(init.data, p.streams.get(url.streamName)!.contentType, state.fragmentCacheControl, p.lastModified, init.etag)) : notFound(o.request);
    }
    const key = url.kind === 'mpd' ? MPD_KEY : url.kind === 'master' ? MASTER_PLAYLIST_KEY : mediaPlaylistKey(url.streamName, url.bitrate);
    const format = url.kind === 'mpd' ? 'dash' : 'hls';
    // The playlists' bandwidths need every protected fragment's size: measured once, here only.
    if (format === 'hls' && p.protection) await addProtectedSizes(state.root, p);
    const doc = (await documentsOf(state.root, p, format)).get(key);
    return doc ? sendEntity(o.request, bytesEntity(doc.data, doc.contentType, state.manifestCacheControl, p.lastModified, doc.etag)) : notFound(o.request);
  };
}

/**
 * A fragment's exact moof+mdat bytes (FragmentInfo: the moof alone), streamed from its
 * source. A local source's size and mtime are checked on every request, a remote one's
 * ETag on every read: a changed source is re-indexed, never served by a stale index.
 */
function fragment(state: OriginState): Handler {
  return async (o) => {
    const s = o.smooth;
    if (s === undefined || s.url.kind === 'manifest') return undefined;
    const { url } = s;
    for (let attempt = 0; attempt < 2; attempt++) {
      const p = await state.presentations.get(s.presentation);
      const stream = p?.streams.get(url.streamName);
      const level = stream?.levels.get(url.bitrate);
      const chunk = stream && chunkIndex(stream.times, url.time);
      const offset = chunk === undefined ? undefined : level?.offsets[chunk];
      const fragmentSize = chunk === undefined ? undefined : level?.sizes[chunk];
      if (!p || !stream || !level || chunk === undefined || offset === undefined || fragmentSize === undefined) return notFound(o.request);
      const built = level.built?.[chunk];
      const stamp = p.sources.get(level.file);
      const opened = stamp && (await state.root.open(level.file, stamp));
      const src = opened && invalidatingOnChange(opened, () => state.presentations.invalidate(s.presentation, p));
      if (!src || !stamp) {
        state.presentations.invalidate(s.presentation, p);
        continue;
      }
      const info = url.kind === 'fragmentInfo';
      let parts: FragmentPart[];
      let size = fragmentSize;
      try {
        parts = fragmentParts({ offset, size, ...(built && { built }) });
        // Encrypted on the fly: only this fragment is read, protected and encrypted in memory; ranges are cut from that.
        if (level.encryption && p.protection) {
          const bytes = await protectedFragment(state.root, p, url.streamName, url.bitrate, chunk, src);
          parts = [bytes];
          size = bytes.length;
        } else if (state.tfdt && !level.text) {
          // A text level's DASH fragments are its own (TextLevel): its Smooth ones stay as the source has them.
          ({ parts, size } = await withDecodeTime(state.root, p, url.streamName, url.bitrate, chunk, { offset, size, ...(built && { built }) }, parts, src));
        }
        if (info) {
          const first = parts[0]!;
          const head = first instanceof Uint8Array ? first : await src.read(first.offset, 16);
          size = moofSize(head, size, { file: src.name, offset });
          parts = sliceParts(parts, 0, size);
        }
      } catch (e) {
        await src.close();
        throw e;
      }
      const body = parts;
      const entity: Entity = {
        contentType: stream.contentType,
        cacheControl: state.fragmentCacheControl,
        size,
        etag: `"f-${p.generation}-${offset.toString(36)}-${fragmentSize.toString(36)}${info ? '-i' : ''}${state.tfdt ? '-t' : ''}"`,
        lastModified: p.lastModified,
        body: (start, length) => ({ src, parts: sliceParts(body, start, length), chunk: state.readChunk }),
        release: () => src.close(),
      };
      const answer = await sendEntity(o.request, entity);
      const run = parts.length <= 2 ? parts[parts.length - 1] : undefined;
      const prefix = parts.length === 2 ? parts[0]! : null;
      // One run of a local file (after a rebuilt moof, if any), dated in the past (Last-Modified would move): fragmentNow may repeat it.
      if (run !== undefined && !(run instanceof Uint8Array) && (prefix === null || prefix instanceof Uint8Array) && src.fd !== undefined && p.lastModified <= Date.now()) {
        state.rememberable.set(answer, { presentation: s.presentation, p: new WeakRef(p), file: level.file, stamp, prefix, offset: run.offset, size: run.size });
      }
      return answer;
    }
    // Changed again while re-indexing: let the client retry shortly.
    return textResponse(o.request, 503, 'presentation is changing', { 'retry-after': '1' });
  };
}

/**
 * A remote source replaced after indexing fails its reads (If-Match: 412). The response
 * is cut, and the presentation dropped so that the next request indexes it afresh.
 */
function invalidatingOnChange(src: ByteSource, invalidate: () => void): ByteSource {
  // A local file is checked before every request instead (SourceHandles).
  if (src.fd !== undefined) return src;
  return {
    name: src.name,
    size: src.size,
    read: (offset, length) =>
      src.read(offset, length).catch((e: unknown) => {
        if (e instanceof StoreError && e.details.status === 412) invalidate();
        throw e;
      }),
    close: () => src.close(),
  };
}
