import { createRemoteRoot, type RemoteRootOptions } from '../origin/remoteRoot.js';
import type { OriginRoot } from '../origin/originRoot.js';
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
  const { prefix, description, ...root } = opts;
  return createRemoteRoot(createR2Reader(bucket, { ...(prefix !== undefined && { prefix }), ...(description !== undefined && { description }) }), root);
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
