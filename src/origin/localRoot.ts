import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { readSidecar, writeSidecar } from '../fragments/sidecar.js';
import { resolveInside } from '../http/safePath.js';
import { openConfinedSource } from './openConfinedSource.js';
import { MEDIA_FILE, type Located, type OriginRoot, type Stamp } from './originRoot.js';
import { SourceHandles } from './sourceHandles.js';

export interface LocalRootOptions {
  /** Source files kept open between requests; default 256. */
  maxOpenFiles?: number;
  /** Write a sidecar index beside each source the origin had to index; default false. */
  writeSidecars?: boolean;
}

/**
 * A local folder as an origin root. Every path is resolved to its real path and must lie
 * inside the root's real path (symlinks pointing out are refused); sources are opened
 * with O_NOFOLLOW and kept open between requests (SourceHandles).
 */
export function createLocalRoot(root: string, opts: LocalRootOptions = {}): OriginRoot {
  const handles = new SourceHandles(opts.maxOpenFiles ?? 256);
  let realRoot: Promise<string | undefined> | undefined;
  const inside = async (path: string): Promise<string | undefined> => {
    realRoot ??= resolveInside(root, '.');
    const base = await realRoot;
    if (base === undefined) {
      realRoot = undefined;
      return undefined;
    }
    return resolveInside(base, relative(base, path));
  };
  const statOf = async (path: string): Promise<Stamp | undefined> => {
    try {
      const s = await stat(path);
      return { size: s.size, mtimeMs: s.mtimeMs };
    } catch {
      return undefined;
    }
  };
  return {
    description: root,
    recheckMs: 0,
    async locate(relativePath): Promise<Located | undefined> {
      const path = await resolveInside(root, relativePath);
      if (path === undefined) return undefined;
      const info = await stat(path);
      const stamp = { size: info.size, mtimeMs: info.mtimeMs };
      if (info.isFile()) return { kind: 'ism', id: path, stamp };
      if (!info.isDirectory()) return undefined;
      const names = (await readdir(path)).filter((n) => MEDIA_FILE.test(n)).sort();
      const media: string[] = [];
      for (const n of names) {
        const real = await inside(join(path, n));
        if (real === undefined) return undefined;
        media.push(real);
      }
      return { kind: 'folder', id: path, stamp, media };
    },
    async readText(id, maxBytes) {
      const s = await statOf(id);
      if (s === undefined || s.size > maxBytes) return undefined;
      return readFile(id, 'utf8');
    },
    confine: inside,
    stat: statOf,
    open: (id, expected) => handles.acquire(id, expected),
    openNow: (id, expected) => handles.acquireNow(id, expected),
    async openForIndex(id) {
      const src = await openConfinedSource(id);
      return { src, stamp: { size: src.size, mtimeMs: src.mtimeMs } };
    },
    readSidecar: (id, src) => readSidecar(id, src),
    ...(opts.writeSidecars === true && {
      async writeSidecar(index) {
        await writeSidecar(index);
      },
    }),
    close() {
      handles.closeAll();
      return Promise.resolve();
    },
  };
}
