import { ErrorCode, SmoothpubError } from '../errors.js';
import { decodeSidecar, MAX_SIDECAR_BYTES, SIDECAR_SUFFIX } from '../fragments/sidecarFormat.js';
import { openObjectSource } from '../source/objectSource.js';
import type { ByteSource } from '../source/source.js';
import type { ObjectReader } from '../stores/objectReader.js';
import * as posix from '../util/posixPath.js';
import { MEDIA_FILE, type Located, type OriginRoot, type Stamp } from './originRoot.js';

export interface RemoteRootOptions {
  /** How long a presentation's objects are trusted before their ETags are checked again; default 5 s. */
  recheckMs?: number;
}

/** A folder presentation has no object of its own: a constant stamp, re-listed when reloaded. */
const FOLDER_STAMP: Stamp = { size: 0, mtimeMs: 0 };

/**
 * A store prefix (`az://`, `s3://`, `https://`) as an origin root: one stored file per
 * rendition, read with Range GETs. Every read names the ETag the index was made from
 * (If-Match), so a replaced object is never served under an old index: the read fails,
 * and the next check of the presentation reloads it. Keys are the request's relative
 * path under the reader's prefix; a server manifest's sources must lie beside or below it.
 */
export function createRemoteRoot(reader: ObjectReader, opts: RemoteRootOptions = {}): OriginRoot {
  const folders = new Set<string>();
  const stampOf = async (key: string): Promise<Stamp | undefined> => {
    const info = await reader.head(key);
    return info && { size: info.size, mtimeMs: info.lastModified, etag: info.etag };
  };
  /** A small object's text, read as the version its HEAD named; undefined when missing, too large or stored before `notBefore`. */
  const readSmallText = async (key: string, maxBytes: number, notBefore = -Infinity): Promise<string | undefined> => {
    const stamp = await stampOf(key);
    if (stamp === undefined || stamp.size > maxBytes || stamp.mtimeMs < notBefore) return undefined;
    return new TextDecoder().decode(await reader.read(key, 0, stamp.size, stamp.etag));
  };
  const source = (key: string, stamp: Stamp): ByteSource & { mtimeMs: number } =>
    openObjectSource(reader, key, { size: stamp.size, etag: stamp.etag ?? '', lastModified: stamp.mtimeMs }, `${reader.description}${key}`);
  return {
    description: reader.description,
    recheckMs: opts.recheckMs ?? 5000,
    async locate(relativePath): Promise<Located | undefined> {
      const key = confineKey(relativePath);
      if (key === undefined) return undefined;
      const stamp = await stampOf(key);
      if (stamp !== undefined) return { kind: 'ism', id: key, stamp };
      if (!reader.list) return undefined;
      const media: string[] = [];
      // The folder's own files: not those in folders below it.
      for await (const o of reader.list(key)) if (!o.key.includes('/') && MEDIA_FILE.test(o.key)) media.push(`${key}/${o.key}`);
      if (media.length === 0) return undefined;
      folders.add(key);
      return { kind: 'folder', id: key, stamp: FOLDER_STAMP, media: media.sort() };
    },
    readText: (id, maxBytes) => readSmallText(id, maxBytes),
    confine: (path) => Promise.resolve(confineKey(path)),
    stat: (id) => (folders.has(id) ? Promise.resolve(FOLDER_STAMP) : stampOf(id)),
    open: (id, expected) => Promise.resolve(source(id, expected)),
    async openForIndex(id) {
      const stamp = await stampOf(id);
      if (stamp === undefined) throw new SmoothpubError(ErrorCode.READ_FAILED, 'no such object', { file: `${reader.description}${id}` });
      return { src: source(id, stamp), stamp };
    },
    /**
     * `<key>.smoothidx` beside the source (made by `smoothpub index` and uploaded with it).
     * A local file's mtime means nothing here: the sidecar is taken when its size matches
     * and it was stored no earlier than the source, so a source replaced after its
     * sidecar is indexed afresh. Any failure just means indexing.
     */
    async readSidecar(id, _src, stamp) {
      try {
        const text = await readSmallText(id + SIDECAR_SUFFIX, MAX_SIDECAR_BYTES, stamp.mtimeMs);
        if (text === undefined) return undefined;
        const index = decodeSidecar(text, { file: id, size: stamp.size });
        // Store clocks tick in seconds: a source replaced in the sidecar's second passes the
        // date check, so the first and last fragments must still start with a 'moof'.
        const probes = (index?.tracks ?? []).flatMap((t) => [t.fragments[0], t.fragments[t.fragments.length - 1]]).filter((f) => f !== undefined);
        const heads = await Promise.all(probes.map((f) => reader.read(id, f.offset + 4, 4, stamp.etag)));
        return heads.every((h) => new TextDecoder().decode(h) === 'moof') ? index : undefined;
      } catch {
        return undefined;
      }
    },
    close: () => reader.close?.() ?? Promise.resolve(),
  };
}

/** A normalized key inside the prefix, or undefined for one that would leave it. */
function confineKey(path: string): string | undefined {
  const key = posix.normalize(path.replace(/^\/+/, ''));
  if (key === '.' || key === '' || key.startsWith('../') || key === '..' || posix.isAbsolute(key)) return undefined;
  return key;
}
