import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { findPresentations, ISM_FILE, MANIFEST_FILE, MEDIA_FILE, type FoundPresentation } from '../plan/findPresentations.js';
import { createObjectAccess, type ObjectRangeReader } from '../source/objectSource.js';
import type { SourceAccess } from '../source/sourceAccess.js';
import { createRemoteStore, type CreateStoreOptions } from '../stores/createStore.js';
import { listFiles } from '../stores/folderStore.js';
import type { ObjectReader } from '../stores/objectReader.js';
import { parseDestination, type ParsedDestination } from '../stores/parseDestination.js';
import type { Retrying } from './publishPlan.js';

/** A presentation of a library, or why a `--list` entry is none. */
export type LibraryEntry = FoundPresentation | { path: string; error: SmoothpubError };

/**
 * Where a library's presentations are read from: a local folder, or an Azure container or
 * S3 bucket prefix read by Range requests (`.ism` files and their sources, or `*.ism/`
 * folders of media, exactly as `serve` finds them there).
 */
export interface LibrarySource {
  /** As given (`az://media/films`, a folder path); never a secret. */
  readonly location: string;
  readonly local: boolean;
  /** Remote sources: how their objects are read (keys relative to the prefix). Undefined for local files. */
  readonly files: SourceAccess | undefined;
  /** A presentation's input as the plan reads it: a local path, or a key under the prefix. */
  inputOf(key: string): string;
  /** Every presentation under the source (one listing). */
  findAll(): Promise<FoundPresentation[]>;
  /** The presentation at `entry` (a path relative to the source, or a URL or absolute path under it). */
  find(entry: string): Promise<LibraryEntry>;
  close(): Promise<void>;
}

/**
 * Opens `source`: a folder, `az://container/prefix` or `s3://bucket/prefix` (credentials as
 * for publishing). A remote source's reads go through `retrying` (publish's retries: a 503
 * or a dropped connection while indexing or reading a body is tried again).
 */
export async function openLibrarySource(source: string, options: CreateStoreOptions = {}, retrying?: Retrying): Promise<LibrarySource> {
  const parsed = parseLibrary(source);
  if (parsed.kind === 'folder') {
    const info = await stat(parsed.path).catch(() => undefined);
    if (!info?.isDirectory()) throw new SmoothpubError(ErrorCode.BAD_OPTION, `the library must be a folder, az://container/prefix or s3://bucket/prefix; '${source}' is no folder`);
    return localSource(resolve(parsed.path), source);
  }
  return remoteSource(parsed, await createRemoteStore(parsed, options), retrying);
}

function localSource(root: string, location: string): LibrarySource {
  const rel = (key: string): string => join(root, ...key.split('/'));
  return {
    location,
    local: true,
    files: undefined,
    inputOf: rel,
    async findAll() {
      const keys: string[] = [];
      for await (const key of listFiles(root)) keys.push(key);
      return findPresentations(keys, { packaged: true });
    },
    async find(entry) {
      const given = isAbsolute(entry) ? relative(root, entry).split(sep).join('/') : entry;
      const key = normalizeEntry(given, entry);
      const path = rel(key);
      const info = await stat(path).catch((e: unknown) => e as NodeJS.ErrnoException);
      if (info instanceof Error) {
        const why = info.code === 'ENOENT' ? 'no such file or folder in the library' : `cannot read: ${info.code ?? info.message}`;
        return { path: key, error: new SmoothpubError(ErrorCode.READ_FAILED, why, { file: path }) };
      }
      if (info.isFile()) return ISM_FILE.test(key) ? { path: key, kind: 'ism', inputs: [key] } : notAPresentation(key, path);
      if (!info.isDirectory()) return notAPresentation(key, path);
      const names = (await readdir(path)).sort();
      if (names.includes(MANIFEST_FILE) && (await stat(join(path, MANIFEST_FILE))).isFile()) return { path: key, kind: 'packaged', inputs: [key] };
      const media = names.filter((n) => MEDIA_FILE.test(n)).map((n) => (key === '' ? n : `${key}/${n}`));
      return media.length > 0 ? { path: key, kind: 'folder', inputs: media } : notAPresentation(key, path);
    },
    close: () => Promise.resolve(),
  };
}

function remoteSource(parsed: Exclude<ParsedDestination, { kind: 'folder' }>, reader: ObjectReader, retrying?: Retrying): LibrarySource {
  const reads: ObjectRangeReader =
    retrying === undefined
      ? reader
      : { head: (key) => retrying(key, () => reader.head(key)), read: (key, offset, length, ifMatch) => retrying(key, () => reader.read(key, offset, length, ifMatch)) };
  const [scheme, name] = parsed.kind === 'azure' ? ['az', parsed.container] : ['s3', parsed.bucket];
  const location = `${scheme}://${name}${parsed.prefix === '' ? '' : `/${parsed.prefix}`}`;
  const listOnce = async (under: string): Promise<string[]> => {
    const keys: string[] = [];
    if (reader.list) for await (const o of reader.list(under)) keys.push(o.key);
    return keys;
  };
  // A listing that fails halfway is started again: one request per page, cheap to repeat.
  const list = (under: string): Promise<string[]> => (retrying === undefined ? listOnce(under) : retrying(`list ${under}`, () => listOnce(under)));
  return {
    location,
    local: false,
    files: createObjectAccess(reads, `${location}/`),
    inputOf: (key) => key,
    findAll: async () => findPresentations(await list('')),
    async find(entry) {
      let given = entry;
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry)) {
        const at = parseDestination(entry);
        const same = at.kind === parsed.kind && (at.kind === 'azure' ? at.container : at.kind === 's3' ? at.bucket : '') === name;
        const prefix = at.kind === 'folder' ? '' : at.prefix;
        if (!same || !(parsed.prefix === '' || prefix === parsed.prefix || prefix.startsWith(`${parsed.prefix}/`))) {
          throw new SmoothpubError(ErrorCode.BAD_OPTION, `list entry '${entry}' is not under the library ${location}`);
        }
        given = prefix.slice(parsed.prefix.length);
      }
      const key = normalizeEntry(given, entry);
      const file = `${location}/${key}`;
      if (key !== '' && (await reads.head(key)) !== undefined) {
        return ISM_FILE.test(key) ? { path: key, kind: 'ism', inputs: [key] } : notAPresentation(key, file, REMOTE_KINDS);
      }
      // The folder's own files, not those in folders below it (as the origin takes a folder).
      const media = (await list(key)).filter((k) => !k.includes('/') && MEDIA_FILE.test(k)).sort().map((k) => (key === '' ? k : `${key}/${k}`));
      return media.length > 0 ? { path: key, kind: 'folder', inputs: media } : notAPresentation(key, file, REMOTE_KINDS);
    },
    close: () => reader.close?.() ?? Promise.resolve(),
  };
}

/** Where a library is: a folder, `az://container/prefix` or `s3://bucket/prefix`. */
export function parseLibrary(source: string): ParsedDestination {
  try {
    return parseDestination(source);
  } catch (e) {
    if (!(e instanceof SmoothpubError)) throw e;
    throw new SmoothpubError(ErrorCode.BAD_OPTION, `the library must be a folder, az://container/prefix or s3://bucket/prefix: ${e.message.replace(/^bad destination /, '')}`);
  }
}

/** A list entry as a '/'-separated path inside the library: no `..`, no leading or trailing slash. */
function normalizeEntry(path: string, entry: string): string {
  const key = posix.normalize(path.split(sep).join('/')).replace(/^\/+|\/+$/g, '');
  if (key === '..' || key.startsWith('../')) throw new SmoothpubError(ErrorCode.BAD_OPTION, `list entry '${entry}' is outside the library`);
  return key === '.' ? '' : key;
}

const LOCAL_KINDS = 'a .ism server manifest, a folder of .ismv/.isma/.mp4/.m4a files, or a packaged folder with a Manifest';
/** Packaged folders in a store are published already: a library there is one of sources. */
const REMOTE_KINDS = 'a .ism server manifest or a folder of .ismv/.isma/.mp4/.m4a files';

function notAPresentation(path: string, file: string, kinds = LOCAL_KINDS): LibraryEntry {
  return { path, error: new SmoothpubError(ErrorCode.NOT_A_PRESENTATION, `not a presentation: expected ${kinds}`, { file }) };
}
