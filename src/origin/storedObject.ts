import { contentTypeFor } from '../http/contentType.js';
import { bytesEntity } from './bytesEntity.js';
import type { Entity } from './entity.js';
import { stampTag, type OriginRoot, type Stamp } from './originRoot.js';
import type { OriginReply } from './reply.js';
import type { OriginRequest } from './requestTarget.js';
import { notFound } from './responses.js';
import { sendEntity } from './sendEntity.js';
import { StoreError } from '../stores/store.js';

export interface StoredObjectOptions {
  root: OriginRoot;
  fragmentCacheControl: string;
  manifestCacheControl: string;
  /** Documents of a presentation whose Manifest is live, and its 404s (a tfrf names a fragment before it is stored). */
  liveCacheControl: string;
  /** Bytes read from the store per step of a body. */
  readChunk: number;
}

/** What a `.ism` path was found to be, kept a little while so that most requests ask the store nothing more. */
interface Kind {
  stored: boolean;
  live: boolean;
  at: number;
}

/** How long a `.ism` path's kind is trusted: a live Manifest changes every fragment, so about one of those. */
const STORED_RECHECK_MS = 1000;
const KINDS_KEPT = 1000;
/** A document is read whole to tell whether it is live; a 2-hour event's Manifest is a few hundred KB. */
const MAX_DOCUMENT_BYTES = 16 << 20;

/**
 * A presentation as `package`, `publish` or `ingest` stored it: a `.ism` folder (or key
 * prefix) holding a `Manifest` object, answered object by object as stored (the Manifest,
 * fragments, init segments, MPD, playlists), with Range, ETag and Last-Modified from the
 * object. That is how `serve` answers a live presentation `ingest` is writing to a folder,
 * `az://` or `s3://`: fragments immutable, documents (and 404s) with `liveCacheControl` while
 * the Manifest is live. Other `.ism` paths (sources to fragment on request) are left to the
 * next handlers; which kind a path is gets checked again after a second.
 */
export function storedObject(o: StoredObjectOptions): (r: OriginRequest) => Promise<OriginReply | undefined> | undefined {
  const kinds = new Map<string, Kind>();
  /** What the path was found to be, while that is still trusted. */
  const knownKind = (presentation: string): Kind | undefined => {
    const known = kinds.get(presentation);
    return known !== undefined && Date.now() - known.at < (known.stored ? STORED_RECHECK_MS : Math.max(STORED_RECHECK_MS, o.root.recheckMs)) ? known : undefined;
  };
  const kindOf = async (presentation: string): Promise<Kind> => {
    const now = Date.now();
    const manifest = await readDocument(o.root, `${presentation}/Manifest`);
    const text = manifest?.text;
    const kind = { stored: manifest !== undefined, live: text !== undefined && /\bIsLive\s*=\s*"true"/i.test(text), at: now };
    kinds.delete(presentation);
    kinds.set(presentation, kind);
    if (kinds.size > KINDS_KEPT) kinds.delete(kinds.keys().next().value!);
    return kind;
  };
  const answer = async (r: OriginRequest, presentation: string, known: Kind | undefined): Promise<OriginReply | undefined> => {
    const kind = known ?? (await kindOf(presentation));
    if (!kind.stored) return undefined;
    const relative = r.path.slice(1);
    const notStored = (): OriginReply => {
      const reply = notFound(r.request);
      if (kind.live) LIVE_NOT_FOUND.add(reply);
      return reply;
    };
    const document = r.smooth?.url.kind === 'manifest' || (r.format !== undefined && r.format.url.kind !== 'init' && r.format.url.kind !== 'text');
    const contentType = contentTypeFor(relative);
    if (document) {
      const read = await readDocument(o.root, relative);
      if (read?.text === undefined) return notStored();
      const data = new TextEncoder().encode(read.text);
      return sendEntity(r.request, bytesEntity(data, contentType, kind.live ? o.liveCacheControl : o.manifestCacheControl, read.stamp.mtimeMs));
    }
    const found = await locateObject(o.root, relative);
    if (found === undefined) return notStored();
    const src = await o.root.open(found.id, found.stamp);
    if (src === undefined) return notFound(r.request);
    const entity: Entity = {
      contentType,
      cacheControl: o.fragmentCacheControl,
      size: found.stamp.size,
      etag: `"s-${stampTag(found.stamp)}"`,
      lastModified: found.stamp.mtimeMs,
      body: (start, length) => ({ src, parts: [{ offset: start, size: length }], chunk: o.readChunk }),
      release: () => src.close(),
    };
    return sendEntity(r.request, entity);
  };
  return (r) => {
    const presentation = r.smooth?.presentation ?? r.format?.presentation;
    if (presentation === undefined) return undefined;
    const known = knownKind(presentation);
    // Sources (the usual case): no promise, nothing asked of the store.
    if (known !== undefined && !known.stored) return undefined;
    return answer(r, presentation, known);
  };
}

/** 404s inside a live stored presentation: createOrigin gives them the live Cache-Control instead of the 404 one. */
export const LIVE_NOT_FOUND = new WeakSet<OriginReply>();

/** Tries at reading a document replaced (If-Match: 412) between its lookup and its read. */
const DOCUMENT_READS = 3;

/**
 * A stored document (a Manifest, MPD or playlist) as it is now, with the stamp it was read
 * at; undefined when there is none. A live presentation's documents are replaced every
 * fragment: a remote store's read names the ETag the lookup found, and one replaced in
 * between is looked up and read again rather than answered with an error.
 */
async function readDocument(root: OriginRoot, relative: string): Promise<{ stamp: Stamp; text: string | undefined } | undefined> {
  for (let attempt = 1; ; attempt++) {
    const found = await locateObject(root, relative);
    if (found === undefined) return undefined;
    try {
      return { stamp: found.stamp, text: await root.readText(found.id, MAX_DOCUMENT_BYTES) };
    } catch (e) {
      if (!(e instanceof StoreError && e.details.status === 412) || attempt === DOCUMENT_READS) throw e;
    }
  }
}

/**
 * The object at `relative` under the root, with its stamp; undefined when there is none.
 * A root's `locate` answers a file at a path as `ism` (a local file, a remote object); a
 * folder or nothing is no object.
 */
async function locateObject(root: OriginRoot, relative: string): Promise<{ id: string; stamp: Stamp } | undefined> {
  try {
    const located = await root.locate(relative);
    return located?.kind === 'ism' ? located : undefined;
  } catch {
    // A local path that does not exist (or crosses a file) throws; either way nothing is there.
    return undefined;
  }
}
