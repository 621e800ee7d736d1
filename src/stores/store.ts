import type { Readable } from 'node:stream';
import { ErrorCode, SmoothpubError, type ErrorCodeValue } from '../errors.js';

/** What one listing says about a stored object. */
export interface StoredObject {
  /** Key relative to the store's prefix, e.g. `QualityLevels(400000)/Fragments(video=0)`. */
  key: string;
  size: number;
  /** Content MD5 as the store reports it (Azure Content-MD5, S3 single-part ETag), base64; undefined when unknown. */
  md5?: string;
}

export interface PutOptions {
  size: number;
  contentType: string;
  cacheControl: string;
  /**
   * MD5 of the body, sent as Content-MD5 so the store rejects a corrupted upload; a
   * function where it is computed on demand (`putMd5`): a folder never sends it, and live
   * ingest would otherwise hash every fragment it writes to one for nothing.
   */
  md5: Uint8Array | (() => Uint8Array);
  signal?: AbortSignal;
}

/** The body's MD5 for a put, computing it when the caller left that to the store. */
export function putMd5(options: PutOptions): Uint8Array {
  return typeof options.md5 === 'function' ? options.md5() : options.md5;
}

/**
 * A body is produced afresh for every attempt (a retry needs a new stream).
 */
export type BodySource = () => Uint8Array | Readable;

/**
 * A destination for a plan's objects: a folder, an Azure Blob container, an S3 bucket.
 * Stores do not retry: publish owns retries, so it can count them and back off globally.
 * Failures throw `StoreError`.
 */
export interface Store {
  /** For messages: never contains a secret. */
  readonly description: string;
  /**
   * Creates the container/bucket/folder if missing. `created`: this call made it, so it
   * is empty and a resume listing can be skipped.
   */
  prepare(): Promise<{ created: boolean }>;
  /** Every object under the store's prefix (or its folder `under`), in one listing (paged). */
  list(under?: string): AsyncIterable<StoredObject>;
  put(key: string, body: BodySource, options: PutOptions): Promise<void>;
  /**
   * The whole object under `key`, undefined when there is none: for small documents a
   * writer reads back (live ingest's Manifest after a restart). Remote stores read through
   * ObjectReader's head and read instead.
   */
  get?(key: string): Promise<Uint8Array | undefined>;
  /** Removes the object under `key`; nothing there is no error (a live DVR window drops its oldest fragments). */
  delete?(key: string): Promise<void>;
  /**
   * Writes at the account or bucket root (policy files), outside the prefix; undefined
   * where the prefix is the root (a folder). Comes with `headAtRoot`.
   */
  putAtRoot?(key: string, body: BodySource, options: PutOptions): Promise<void>;
  /** What the root holds under `key` (size, MD5 when known), undefined when nothing; the root is the owner's, so look before writing. */
  headAtRoot?(key: string): Promise<StoredObject | undefined>;
  /**
   * Lets browser players on `origins` GET and HEAD, keeping every rule and setting the
   * owner has: `present` when existing rules already allowed it and nothing was written.
   */
  setCors?(origins: string[]): Promise<'added' | 'present'>;
  /**
   * Makes the container's blobs publicly readable (Azure `blob` access), keeping its
   * stored access policies and never lowering a wider access level.
   */
  setPublicRead?(): Promise<PublicReadChange>;
  close?(): Promise<void>;
}

/** Anonymous access to an Azure container: none, blobs by name, or blobs and listings. */
export type PublicAccess = 'none' | 'blob' | 'container';

export interface PublicReadChange {
  before: PublicAccess;
  after: PublicAccess;
  /** Stored access policies on the container, all kept (SAS tokens made from them keep working). */
  storedAccessPolicies: number;
}

export interface StoreErrorDetails {
  /** HTTP status when there was a response. */
  status?: number;
  /** Worth trying again: 408, 429, 500, 502, 503, 504, resets, timeouts. */
  retryable: boolean;
  /** The store asks everyone to slow down (429, Azure ServerBusy, S3 SlowDown). */
  throttled: boolean;
  /** From Retry-After, in milliseconds. */
  retryAfterMs?: number;
  key?: string;
  /** Overrides the code the status implies, e.g. `store.auth` when no token could be obtained (no HTTP status). */
  code?: ErrorCodeValue;
}

/**
 * A failed store operation; the message never carries credentials. Code
 * `store.auth` (401/403: fix credentials), `store.not-found` (no such container or
 * bucket), else `store.request-failed`.
 */
export class StoreError extends SmoothpubError {
  readonly details: StoreErrorDetails;
  constructor(message: string, details: StoreErrorDetails, options?: ErrorOptions) {
    super(details.code ?? codeFor(details.status), message, details.key === undefined ? {} : { key: details.key }, options);
    this.details = details;
  }
}

function codeFor(status: number | undefined): ErrorCodeValue {
  if (status === 401 || status === 403) return ErrorCode.STORE_AUTH;
  if (status === 404) return ErrorCode.STORE_NOT_FOUND;
  return ErrorCode.STORE_REQUEST;
}
