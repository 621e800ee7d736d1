import { contentTag } from '../util/contentTag.js';
import type { Entity } from './entity.js';

/** An in-memory body (Manifest, policy file) as an entity; the ETag is a hash of it. */
export function bytesEntity(data: Uint8Array<ArrayBuffer>, contentType: string, cacheControl: string, lastModified: number, etag?: string): Entity {
  return {
    contentType,
    cacheControl,
    size: data.length,
    etag: etag ?? `"b-${contentTag(data)}"`,
    lastModified,
    body: (start, length) => data.subarray(start, start + length),
    release: () => Promise.resolve(),
  };
}
