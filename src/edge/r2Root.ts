import { createRemoteRoot, type RemoteRootOptions } from '../origin/remoteRoot.js';
import type { OriginRoot } from '../origin/originRoot.js';
import type { ByteSource } from '../source/source.js';
import { concatBytes } from '../util/concatBytes.js';
import type { ObjectInfo, ObjectReader } from '../stores/objectReader.js';
import { StoreError, type StoredObject } from '../stores/store.js';

/**
 * The part of a Cloudflare R2 bucket binding (`env.MEDIA` in a Worker) the origin uses,
 * stated by shape so that nothing here depends on the Workers type package.
 */
export interface R2BucketLike {
  head(key: string): Promise<R2ObjectLike | null>;
  get(key: string, options: { range?: { offset: number; length: number }; onlyIf?: { etagMatches?: string } }): Promise<R2ObjectLike | (R2ObjectLike & R2BodyLike) | null>;
  list(options: { prefix?: string; cursor?: string; limit?: number }): Promise<{ objects: R2ObjectLike[]; truncated: boolean; cursor?: string }>;
}

export interface R2ObjectLike {
  key: string;
  size: number;
  /** Unquoted; changes whenever the object is written. */
  etag: string;
  uploaded: Date;
}

interface R2BodyLike {
  body: ReadableStream;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface R2RootOptions extends RemoteRootOptions {
  /** Key prefix the presentations live under ('' or e.g. `films`); request paths are relative to it. */
  prefix?: string;
  /** For messages and logs, e.g. `r2://media/`; default `r2:<prefix>/`. */
  description?: string;
}

/**
 * An R2 bucket binding as an origin root: presentations (`.ism` files and `*.ism/` folders)
 * and their sources read with ranged gets, `.smoothidx` sidecars (`smoothpub index`)
 * beside the sources. Every read names the etag the index was made from (`onlyIf`), so an
 * object replaced after indexing is never served under the old index: R2 answers without
 * a body, the read fails as a 412, and the presentation is indexed again.
 */
export function createR2Root(bucket: R2BucketLike, opts: R2RootOptions = {}): OriginRoot {
  const { prefix, description, ...options } = opts;
  const root = createRemoteRoot(createR2Reader(bucket, { ...(prefix !== undefined && { prefix }), ...(description !== undefined && { description }) }), options);
  return {
    ...root,
    open: async (id, expected) => {
      const src = await root.open(id, expected);
      return src && withFirstWindow(src);
    },
  };
}

/** What a source opened for one answer reads at once on its first small read. */
export const FIRST_WINDOW = 256 * 1024;

/**
 * A source opened for one answer (a fragment, the setup of an init segment) whose first
 * small read fetches FIRST_WINDOW bytes, kept for the reads after it: a fragment given a
 * `tfdt` is read as its `moof` and then the rest, and each R2 read is a round trip (and an
 * operation billed), so a fragment up to the window costs one read instead of two. A read
 * reaching past the window takes the part it holds and fetches only the remainder.
 */
export function withFirstWindow(src: ByteSource): ByteSource {
  let window: { offset: number; bytes: Promise<Uint8Array> } | undefined;
  return {
    name: src.name,
    size: src.size,
    async read(offset, length) {
      if (window === undefined && length < FIRST_WINDOW) window = { offset, bytes: src.read(offset, Math.min(FIRST_WINDOW, src.size - offset)) };
      if (window === undefined) return src.read(offset, length);
      const bytes = await window.bytes;
      const start = offset - window.offset;
      if (start < 0 || start >= bytes.length) return src.read(offset, length);
      const have = bytes.subarray(start, Math.min(bytes.length, start + length));
      if (have.length === length || offset + have.length >= src.size) return have;
      return concatBytes([have, await src.read(offset + have.length, length - have.length)]);
    },
    close: () => src.close(),
  };
}

/** An R2 bucket binding as the ObjectReader the remote root reads through. */
export function createR2Reader(bucket: R2BucketLike, opts: { prefix?: string; description?: string } = {}): ObjectReader {
  const prefix = (opts.prefix ?? '').replace(/^\/+|\/+$/g, '');
  const full = (key: string): string => (prefix === '' ? key : `${prefix}/${key}`);
  const description = opts.description ?? `r2:${prefix === '' ? '' : `${prefix}/`}`;
  const fail = (operation: string, key: string, status: number | undefined, detail: string, cause?: unknown): StoreError =>
    new StoreError(`${operation} at ${description} failed${status === undefined ? '' : `: ${status}`} (${detail})`, { ...(status !== undefined && { status }), key, retryable: status === undefined, throttled: false }, cause === undefined ? undefined : { cause });
  const call = async <T>(operation: string, key: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (e) {
      throw fail(operation, key, undefined, e instanceof Error ? e.message : String(e), e);
    }
  };
  const infoOf = (o: R2ObjectLike): ObjectInfo => ({ size: o.size, etag: `"${o.etag}"`, lastModified: o.uploaded.getTime() });
  return {
    description,
    async head(key) {
      const o = await call('read properties', key, () => bucket.head(full(key)));
      return o === null ? undefined : infoOf(o);
    },
    async read(key, offset, length, ifMatch) {
      if (length <= 0) return new Uint8Array(0);
      const etag = ifMatch === undefined || ifMatch === '' ? undefined : ifMatch.replace(/^W\//, '').replace(/"/g, '');
      const o = await call('read', key, () => bucket.get(full(key), { range: { offset, length }, ...(etag !== undefined && { onlyIf: { etagMatches: etag } }) }));
      if (o === null) throw fail('read', key, 404, 'no such object');
      // A failed precondition gives the object's metadata without a body.
      if (!('body' in o)) throw fail('read', key, 412, 'the object changed');
      return new Uint8Array(await o.arrayBuffer());
    },
    async *list(under = ''): AsyncGenerator<StoredObject> {
      const base = full(under.replace(/^\/+|\/+$/g, ''));
      const listPrefix = base === '' ? '' : `${base}/`;
      let cursor: string | undefined;
      do {
        const page = await call('list', under, () => bucket.list({ prefix: listPrefix, ...(cursor !== undefined && { cursor }) }));
        for (const o of page.objects) yield { key: o.key.slice(listPrefix.length), size: o.size };
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor !== undefined);
    },
  };
}
