import type { SourceIndex } from '../fragments/types.js';
import type { ByteSource } from '../source/source.js';

/** What a stored file looked like when it was read: any change means its index is stale. */
export interface Stamp {
  size: number;
  mtimeMs: number;
  /** A remote object's entity tag; local files have none. */
  etag?: string;
}

export { MEDIA_FILE } from '../plan/findPresentations.js';

/** What a presentation path is: a server manifest file, or a folder of media files. */
export type Located = { kind: 'ism'; id: string; stamp: Stamp } | { kind: 'folder'; id: string; stamp: Stamp; media: string[] };

/**
 * Where an origin's presentations and their sources live: a local folder, or a prefix
 * of a remote store. Relative paths come from requests already checked (decoded once,
 * no `.`/`..`, NUL or backslash); ids are what the root finds a file by again (a real
 * path, an object key). Nothing outside the root is ever returned.
 */
export interface OriginRoot {
  /** For messages and logs; never holds a secret. */
  readonly description: string;
  /** The presentation at `relativePath`, or undefined when there is none (or it lies outside the root). */
  locate(relativePath: string): Promise<Located | undefined>;
  /** A server manifest's text; undefined when it is larger than `maxBytes` or gone. */
  readText(id: string, maxBytes: number): Promise<string | undefined>;
  /** The id of a media file a server manifest names (a path joined to its folder), undefined when outside the root. */
  confine(path: string): Promise<string | undefined>;
  /** The file as it is now, undefined when gone. */
  stat(id: string): Promise<Stamp | undefined>;
  /** A reader of `id` when it still matches `expected`, else undefined (changed or gone). Close it after use. */
  open(id: string, expected: Stamp): Promise<ByteSource | undefined>;
  /**
   * open, answered without waiting where the root can: undefined when it cannot say now
   * (then open decides) or the file no longer matches. Roots without it always wait.
   */
  openNow?(id: string, expected: Stamp): ByteSource | undefined;
  /** A reader for indexing, whatever the file is now, with its stamp. */
  openForIndex(id: string): Promise<{ src: ByteSource & { mtimeMs: number }; stamp: Stamp }>;
  /** The sidecar index stored beside `id` when it matches `stamp`. */
  readSidecar(id: string, src: ByteSource & { mtimeMs: number }, stamp: Stamp): Promise<SourceIndex | undefined>;
  /** Stores a sidecar beside its source, where the root can. */
  writeSidecar?(index: SourceIndex): Promise<void>;
  /** Milliseconds between checks that a presentation's files are unchanged (0: every Manifest request). */
  readonly recheckMs: number;
  close(): Promise<void>;
}

/** A strong validator for a file version: the same stamp gives the same tag. */
export function stampTag(s: Stamp): string {
  return s.etag !== undefined ? s.etag.replace(/^W\//, '').replace(/"/g, '').replace(/[^\w.-]/g, '') : `${s.size.toString(36)}-${Math.round(s.mtimeMs * 1000).toString(36)}`;
}
