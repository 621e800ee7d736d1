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
/** Reads shorter than this (box headers, a `moov`, an `mfra`) are served from whole blocks... */
const SMALL_READ = 4096;
/** ...of this size, a few kept per opened source. */
const BLOCK = 64 * 1024;
const BLOCKS_KEPT = 4;

/**
 * Indexing a file reads a dozen small pieces near its start and its end (box headers, the
 * `moov`, `mfro` then `mfra`): one request each would make the round trip, not the bytes,
 * the cost of a remote library. Small reads are served from 64 KiB blocks fetched once (the
 * last few kept); larger ones (fragments, speculative `moof` reads of 4 KiB) go straight to
 * the store, so nothing much is read twice.
 */
export function withReadAhead<T extends ByteSource>(src: T): T {
  const blocks = new Map<number, Promise<Uint8Array>>();
  const block = (index: number): Promise<Uint8Array> => {
    let b = blocks.get(index);
    if (b === undefined) {
      b = src.read(index * BLOCK, Math.min(BLOCK, src.size - index * BLOCK));
      b.catch(() => blocks.delete(index));
      blocks.set(index, b);
      if (blocks.size > BLOCKS_KEPT) blocks.delete(blocks.keys().next().value!);
    }
    return b;
  };
  return {
    ...src,
    async read(offset: number, length: number): Promise<Uint8Array> {
      const end = Math.min(src.size, offset + length);
      if (length >= SMALL_READ || end <= offset) return src.read(offset, length);
      const first = Math.floor(offset / BLOCK);
      const last = Math.floor((end - 1) / BLOCK);
      const out = new Uint8Array(end - offset);
      for (let i = first; i <= last; i++) {
        const data = await block(i);
        const from = Math.max(offset, i * BLOCK);
        const to = Math.min(end, i * BLOCK + data.length);
        if (to <= from) return out.subarray(0, Math.max(0, from - offset));
        out.set(data.subarray(from - i * BLOCK, to - i * BLOCK), from - offset);
        if (to < Math.min(end, (i + 1) * BLOCK)) return out.subarray(0, to - offset);
      }
      return out;
    },
    close: () => {
      blocks.clear();
      return src.close();
    },
  };
}

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
    open: async (key) => withReadAhead(openObjectSource(reader, key, await versionOf(key), base + key)),
  };
}
