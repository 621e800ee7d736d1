import { ErrorCode, SmoothpubError } from '../errors.js';
import type { SourceAccess } from './sourceAccess.js';
import type { ByteSource } from './source.js';

/** One version of a stored object, as a HEAD request reports it. */
export interface ObjectVersion {
  size: number;
  /** The store's entity tag, quotes included; '' when the store gives none. */
  etag: string;
  /** Last-Modified, milliseconds since the epoch. */
  lastModified: number;
}

/**
 * What reading stored objects by range takes: a store's ObjectReader (src/stores) has it.
 * Stated here by shape, so byte sources need no store.
 */
export interface ObjectRangeReader {
  /** Undefined when there is no such object. */
  head(key: string): Promise<ObjectVersion | undefined>;
  /** `length` bytes at `offset` (fewer only at the end); with `ifMatch`, fails when the object is no longer that version. */
  read(key: string, offset: number, length: number, ifMatch?: string): Promise<Uint8Array>;
}

/**
 * A stored object as a byte source: Range reads that name the version it was opened as
 * (If-Match), so an object replaced meanwhile fails the read instead of mixing versions.
 * Nothing to close: the reader's connections are shared.
 */
export function openObjectSource(reader: Pick<ObjectRangeReader, 'read'>, key: string, version: ObjectVersion, name: string): ByteSource & { mtimeMs: number } {
  const ifMatch = version.etag === '' ? undefined : version.etag;
  return {
    name,
    size: version.size,
    mtimeMs: version.lastModified,
    read: (offset, length) => reader.read(key, offset, Math.max(0, Math.min(length, version.size - offset)), ifMatch),
    close: () => Promise.resolve(),
  };
}

/** The largest `.ism` read whole. */
const MAX_TEXT_BYTES = 1 << 20;

/**
 * The objects under a store prefix as a SourceAccess: files are keys relative to the
 * prefix, named `base + key` in messages. Each key is looked up (HEAD) once and read as
 * that version from then on: the plan built from an index is uploaded from the bytes indexed.
 */
export function createObjectAccess(reader: ObjectRangeReader, base: string): SourceAccess {
  const versions = new Map<string, Promise<ObjectVersion>>();
  const versionOf = (key: string): Promise<ObjectVersion> => {
    let v = versions.get(key);
    if (v === undefined) {
      v = reader.head(key).then((found) => {
        if (found === undefined) throw new SmoothpubError(ErrorCode.READ_FAILED, 'no such object', { file: base + key });
        return found;
      });
      // A failed lookup (a dropped connection) is tried again by the next open.
      v.catch(() => versions.delete(key));
      versions.set(key, v);
    }
    return v;
  };
  return {
    async readText(key) {
      const version = await versionOf(key);
      if (version.size > MAX_TEXT_BYTES) {
        throw new SmoothpubError(ErrorCode.BAD_ISM, `a .ism server manifest of ${version.size} bytes is larger than the ${MAX_TEXT_BYTES} accepted`, { file: base + key });
      }
      const source = openObjectSource(reader, key, version, base + key);
      return new TextDecoder().decode(await source.read(0, version.size));
    },
    open: async (key) => openObjectSource(reader, key, await versionOf(key), base + key),
  };
}
