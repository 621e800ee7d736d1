import { concatBytes } from '../util/concatBytes.js';
import type { StoredObject } from './store.js';

/** What a store says about one stored object. */
export interface ObjectInfo {
  size: number;
  /** The store's entity tag, quotes included: changes whenever the object does. */
  etag: string;
  /** Last-Modified, milliseconds since the epoch. */
  lastModified: number;
}

/**
 * Reading objects back by key (relative to a prefix), for an origin whose sources are
 * remote: one stored file per rendition, read by HTTP Range requests over kept-alive
 * connections. Failures throw `StoreError` (with `status` when there was a response).
 */
export interface ObjectReader {
  /** For messages: never contains a secret. */
  readonly description: string;
  /** Undefined when there is no such object. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /**
   * `length` bytes at `offset` (fewer only at the object's end). With `ifMatch`, a
   * StoreError with status 412 when the object is no longer that version.
   */
  read(key: string, offset: number, length: number, ifMatch?: string): Promise<Uint8Array>;
  /** Every object under folder `under` of the prefix, at any depth, when the store can list (Store.list). */
  list?(under: string): AsyncIterable<StoredObject>;
  /**
   * The object's address for a player (HTTP GET): anonymous, or carrying the SAS the store
   * was opened with. A private container or bucket answers it 403 unless that SAS allows reads.
   */
  urlOf?(key: string): string;
  close?(): Promise<void>;
}

/** Collects a response body stream into one array, refusing more than `max` bytes. */
export async function collectBody(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const c of body) {
    total += c.length;
    if (total > max) throw new Error(`response body larger than the ${max} bytes asked for`);
    chunks.push(c);
  }
  return concatBytes(chunks);
}
