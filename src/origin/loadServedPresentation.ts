import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { indexSource } from '../index/indexSource.js';
import { readSidecar, writeSidecar } from '../index/sidecar.js';
import type { SourceIndex } from '../index/types.js';
import { fragmentContentType } from '../plan/buildPlan.js';
import { buildPresentation, type LevelBinding } from '../plan/buildPresentation.js';
import { toInputEntry } from '../plan/loadPresentation.js';
import { selectTracks, type InputEntry } from '../plan/selectTracks.js';
import { resolveInside } from '../play/safePath.js';
import { readIsm } from '../smooth/ism.js';
import { writeManifest } from '../smooth/writeManifest.js';
import { openConfinedSource } from './openConfinedSource.js';

/** What a file looked like when it was read: any change means the index is stale. */
export interface Stamp {
  size: number;
  mtimeMs: number;
}

/**
 * One quality level, compact: a thousand presentations of hours each stay small, so
 * only what a fragment request needs is kept (16 bytes a fragment).
 */
export interface ServedLevel {
  /** Real path of the source. */
  file: string;
  /** Byte offset and size (moof + mdat) of chunk i's fragment. */
  offsets: Float64Array;
  sizes: Float64Array;
}

export interface ServedStream {
  contentType: string;
  /** Levels by bitrate. */
  levels: Map<number, ServedLevel>;
  /** Announced chunk start times, ascending (the same for every level of a stream). */
  times: BigInt64Array;
}

/** A presentation ready to answer requests: its Manifest and where every fragment lies. */
export interface ServedPresentation {
  /** Real path of the `.ism` file or folder. */
  path: string;
  stamp: Stamp;
  manifest: Uint8Array<ArrayBuffer>;
  manifestEtag: string;
  /** Newest mtime of the `.ism` and its sources. */
  lastModified: number;
  /** Every source by real path, as indexed. */
  sources: Map<string, Stamp>;
  streams: Map<string, ServedStream>;
}

export interface LoadServedOptions {
  /** Write a sidecar index beside a source the origin had to index. */
  writeSidecars?: boolean;
  onIndexed?: (file: string, via: 'sidecar' | 'index') => void;
}

const MAX_ISM_BYTES = 1 << 20;

/**
 * Loads the presentation at `relativePath` under `root`: a `.ism` server manifest, or a
 * folder named `*.ism` holding `.ismv`/`.isma` files (all of them, in name order).
 * Undefined when it does not exist, is neither, or names a source that is missing or
 * lies outside `root` (after symlinks): the origin reads nothing else.
 */
export async function loadServedPresentation(root: string, relativePath: string, options: LoadServedOptions = {}): Promise<ServedPresentation | undefined> {
  const realRoot = await resolveInside(root, '.');
  const path = await resolveInside(root, relativePath);
  if (realRoot === undefined || path === undefined) return undefined;
  const info = await stat(path);
  let entries: InputEntry[];
  if (info.isDirectory()) {
    const names = (await readdir(path)).filter((n) => /\.(ismv|isma)$/i.test(n)).sort();
    entries = names.map((n) => ({ file: join(path, n) }));
  } else if (info.isFile()) {
    if (info.size > MAX_ISM_BYTES) return undefined;
    entries = readIsm(await readFile(path, 'utf8'), path).entries.map(toInputEntry);
  } else {
    return undefined;
  }
  if (entries.length === 0) return undefined;

  const confined = new Map<string, string>();
  for (const e of entries) {
    if (confined.has(e.file)) continue;
    const real = await resolveInside(realRoot, relative(realRoot, e.file));
    if (real === undefined) return undefined;
    confined.set(e.file, real);
  }
  const indexes = new Map<string, SourceIndex>();
  const sources = new Map<string, Stamp>();
  for (const [named, real] of confined) {
    const ix = await indexOne(real, options);
    indexes.set(named, ix);
    sources.set(real, { size: ix.size, mtimeMs: ix.mtimeMs });
  }
  const built = buildPresentation(selectTracks(entries, indexes));
  const manifest = new TextEncoder().encode(writeManifest(built.presentation));
  const streams = new Map<string, ServedStream>();
  for (const s of built.presentation.streams) {
    streams.set(s.name, {
      contentType: fragmentContentType(s.type),
      levels: new Map(),
      times: BigInt64Array.from(s.chunks.map((c) => c.t)),
    });
  }
  for (const level of built.levels) streams.get(level.streamName)?.levels.set(level.bitrate, compactLevel(level));
  return {
    path,
    stamp: { size: info.size, mtimeMs: info.mtimeMs },
    manifest,
    manifestEtag: `"m-${createHash('sha1').update(manifest).digest('hex').slice(0, 20)}"`,
    lastModified: Math.max(info.mtimeMs, ...[...sources.values()].map((s) => s.mtimeMs)),
    sources,
    streams,
  };
}

/** Sources were opened by their real paths, so track.file is one. */
function compactLevel(level: LevelBinding): ServedLevel {
  const fragments = level.track.fragments;
  return {
    file: level.track.file,
    offsets: Float64Array.from(fragments, (f) => f.offset),
    sizes: Float64Array.from(fragments, (f) => f.size),
  };
}

/** Index of `time` in ascending `times`, or undefined. */
export function chunkIndex(times: BigInt64Array, time: bigint): number | undefined {
  let lo = 0;
  let hi = times.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const t = times[mid]!;
    if (t === time) return mid;
    if (t < time) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** The sidecar when it matches the source, else a fresh index (and maybe a new sidecar). */
async function indexOne(real: string, options: LoadServedOptions): Promise<SourceIndex> {
  const src = await openConfinedSource(real);
  try {
    const fromSidecar = await readSidecar(real, src);
    if (fromSidecar) {
      options.onIndexed?.(real, 'sidecar');
      return fromSidecar;
    }
    const ix = await indexSource(src);
    options.onIndexed?.(real, 'index');
    if (options.writeSidecars) await writeSidecar(ix).catch(() => undefined);
    return ix;
  } finally {
    await src.close();
  }
}

/** Whether the `.ism` and every source still look as they did when loaded. */
export async function isCurrent(p: ServedPresentation): Promise<boolean> {
  const same = async (path: string, s: Stamp): Promise<boolean> => {
    try {
      const now = await stat(path);
      return now.size === s.size && now.mtimeMs === s.mtimeMs;
    } catch {
      return false;
    }
  };
  if (!(await same(p.path, p.stamp))) return false;
  const checks = await Promise.all([...p.sources].map(([path, s]) => same(path, s)));
  return checks.every(Boolean);
}
