import { close, constants, fstat, fstatSync, open, stat } from 'node:fs';
import { readFdAt } from '../source/readAt.js';
import type { ByteSource } from '../source/source.js';

/** What a source looked like when indexed: its handle must still match. */
export interface SourceStamp {
  size: number;
  mtimeMs: number;
}

interface Handle {
  fd: number;
  size: number;
  mtimeMs: number;
  ino: number;
  /** Leases not yet closed; the descriptor is closed once dropped and unleased. */
  leases: number;
  dropped: boolean;
  /** When the path was last seen to lead to this same file. */
  checkedAt: number;
}

/** How long a cached descriptor is trusted before its path is looked at again. */
const RECHECK_MS = 1000;

/**
 * Open source files, kept between requests (open + fstat + close cost more than
 * reading a fragment) and bounded in number. A lease is handed out only when the
 * file, fstat'ed on every request, still has the size and mtime the index was made
 * from; the path is looked up again at most once a second, so a file replaced under
 * the same name (a new inode) is noticed too.
 * Opened with O_NOFOLLOW: the real path was checked to lie inside the root, and a
 * symlink put in its place since is refused.
 */
export class SourceHandles {
  readonly #open = new Map<string, Handle>();
  readonly #max: number;

  constructor(max = 256) {
    this.#max = max;
  }

  /** A reader of `path` if it still matches `expected`, else undefined (stale or gone). */
  async acquire(path: string, expected: SourceStamp): Promise<ByteSource | undefined> {
    let h = this.#open.get(path);
    if (h !== undefined && Date.now() - h.checkedAt >= RECHECK_MS) {
      const now = await statPath(path);
      if (now !== undefined && h === this.#open.get(path) && now.ino === h.ino && now.size === h.size && now.mtimeMs === h.mtimeMs) h.checkedAt = Date.now();
      else h = this.#drop(path, h);
    }
    if (h === undefined) {
      h = await openHandle(path);
      if (h === undefined) return undefined;
      this.#drop(path, this.#open.get(path));
      this.#open.set(path, h);
      this.#evict();
    } else {
      // The index must match the file as it is now: a write in place changes size or mtime.
      const now = fstatFd(h.fd);
      if (now === undefined || h.dropped) return undefined;
      h.size = now.size;
      h.mtimeMs = now.mtimeMs;
      // Least recently used first: re-insert.
      this.#open.delete(path);
      this.#open.set(path, h);
    }
    if (h.size !== expected.size || h.mtimeMs !== expected.mtimeMs) return undefined;
    return lease(path, h, () => this.#release(h));
  }

  /**
   * The same as acquire, answered on this turn of the event loop: undefined when that
   * cannot be said without waiting (not open, or its path is due for a look) as well as
   * when the file no longer matches; acquire then decides.
   */
  acquireNow(path: string, expected: SourceStamp): ByteSource | undefined {
    const h = this.#open.get(path);
    if (h === undefined || h.dropped || Date.now() - h.checkedAt >= RECHECK_MS) return undefined;
    const now = fstatFd(h.fd);
    if (now === undefined) return undefined;
    h.size = now.size;
    h.mtimeMs = now.mtimeMs;
    if (h.size !== expected.size || h.mtimeMs !== expected.mtimeMs) return undefined;
    this.#open.delete(path);
    this.#open.set(path, h);
    return lease(path, h, () => this.#release(h));
  }

  /** Closes every descriptor not leased now; leased ones close on release. */
  closeAll(): void {
    for (const [path, h] of this.#open) this.#drop(path, h);
  }

  #drop(path: string, h: Handle | undefined): undefined {
    if (h === undefined) return undefined;
    if (this.#open.get(path) === h) this.#open.delete(path);
    h.dropped = true;
    if (h.leases === 0) closeFd(h);
    return undefined;
  }

  #release(h: Handle): void {
    h.leases--;
    if (h.dropped && h.leases === 0) closeFd(h);
  }

  #evict(): void {
    for (const [path, h] of this.#open) {
      if (this.#open.size <= this.#max) return;
      this.#drop(path, h);
    }
  }
}

function lease(path: string, h: Handle, release: () => void): ByteSource {
  h.leases++;
  let released = false;
  return {
    name: path,
    size: h.size,
    fd: h.fd,
    read: (offset, length) => readFdAt(h.fd, h.size, offset, length),
    close: () => {
      if (!released) {
        released = true;
        release();
      }
      return Promise.resolve();
    },
  };
}

function openHandle(path: string): Promise<Handle | undefined> {
  return new Promise((ok) => {
    open(path, constants.O_RDONLY | constants.O_NOFOLLOW, (e, fd) => {
      if (e) return ok(undefined);
      fstat(fd, (e2, s) => {
        if (e2 || !s.isFile()) {
          close(fd, () => ok(undefined));
          return;
        }
        ok({ fd, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino, leases: 0, dropped: false, checkedAt: Date.now() });
      });
    });
  });
}

function statPath(path: string): Promise<{ ino: number; size: number; mtimeMs: number } | undefined> {
  return new Promise((ok) => stat(path, (e, s) => ok(e ? undefined : s)));
}

/**
 * Synchronous: fstat of an open descriptor never waits on the disk (the inode is in
 * memory), and a hop to the thread pool per request costs more than the call itself.
 */
function fstatFd(fd: number): { size: number; mtimeMs: number } | undefined {
  try {
    return fstatSync(fd);
  } catch {
    return undefined;
  }
}

function closeFd(h: Handle): void {
  close(h.fd, () => undefined);
}
