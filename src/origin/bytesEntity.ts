import { createHash } from 'node:crypto';
import type { Entity } from './entity.js';

/** An in-memory body (Manifest, policy file) as an entity; the ETag is a hash of it. */
export function bytesEntity(data: Uint8Array<ArrayBuffer>, contentType: string, cacheControl: string, lastModified: number, etag?: string): Entity {
  return {
    contentType,
    cacheControl,
    size: data.length,
    etag: etag ?? `"b-${createHash('sha1').update(data).digest('hex').slice(0, 20)}"`,
    lastModified,
    body: (start, length) => data.subarray(start, start + length),
    release: () => Promise.resolve(),
  };
}
