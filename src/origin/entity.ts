import type { SourceBody } from './reply.js';

/** A body the origin can send whole or in part: the Manifest, a policy file, a fragment. */
export interface Entity {
  contentType: string;
  cacheControl: string;
  size: number;
  /** Strong validator, quoted: `"..."`. */
  etag: string;
  /** Epoch milliseconds. */
  lastModified: number;
  /** The body bytes `[start, start + length)`; called at most once, only for GET. */
  body(start: number, length: number): SourceBody | Uint8Array<ArrayBuffer>;
  /** Releases what the entity holds (a file handle) when no body is sent. */
  release(): Promise<void>;
}
