import { mkdir, rmdir, stat, statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { outputError } from './outputError.js';

/**
 * Linux `statfs` magic numbers of file systems that expose the kernel, not storage:
 * they hold no files a user writes, and some answer ENOENT for a folder that exists
 * (`/proc/xyz`), on which node's `mkdir -p` loops forever.
 */
const PSEUDO_FILESYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'],
  [0x62656570, 'configfs'],
  [0xde5e81e4, 'efivarfs'],
  [0x42494e4d, 'binfmt_misc'],
  [0x6e736673, 'nsfs'],
  [0xf97cff8c, 'selinuxfs'],
  [0x65735543, 'fusectl'],
]);

/**
 * Creates the folder `path` and any missing parents, like `mkdir -p`, and returns the
 * folders it created, outermost first, also into `created` as it goes (so a caller can
 * remove them even when this throws halfway). Unlike node's
 * recursive `mkdir` it takes a bounded number of steps (one per path component), checks
 * `signal` between them, refuses pseudo file systems (/proc, /sys) up front, and fails
 * with a SmoothpubError naming the path and what to do.
 */
export async function makeFolder(path: string, signal?: AbortSignal, created: string[] = []): Promise<string[]> {
  const missing: string[] = [];
  let at = resolve(path);
  for (;;) {
    signal?.throwIfAborted();
    const info = await stat(at).catch((e: NodeJS.ErrnoException) => {
      // Missing, or under a file (ENOTDIR): look one level up for what is there.
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
      throw outputError(e, at);
    });
    if (info?.isDirectory()) break;
    if (info) {
      throw new SmoothpubError(ErrorCode.OUTPUT_NOT_A_DIRECTORY, 'this is a file, not a folder, so the output cannot go under it; choose an output path whose parents are all folders', { file: at });
    }
    missing.push(at);
    const up = dirname(at);
    if (up === at) throw new SmoothpubError(ErrorCode.OUTPUT_NOT_WRITABLE, 'no folder of this path exists', { file: at });
    at = up;
  }
  await refusePseudoFilesystem(at, resolve(path));
  for (const dir of missing.reverse()) {
    signal?.throwIfAborted();
    try {
      await mkdir(dir);
      created.push(dir);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // Made meanwhile by someone else: fine, as long as it is a folder.
      if (err.code === 'EEXIST' && (await stat(dir).then((s) => s.isDirectory(), () => false))) continue;
      // ENOENT although the parent was just seen: a file system that will not hold this folder.
      if (err.code === 'ENOENT') throw new SmoothpubError(ErrorCode.OUTPUT_NOT_WRITABLE, `its parent folder exists but refuses new folders (ENOENT); choose an output folder on a disk`, { file: dir }, { cause: e });
      throw outputError(e, dir);
    }
  }
  return created;
}

/** Removes folders `makeFolder` created, innermost first, as far as they are empty again. Never throws. */
export async function removeCreatedFolders(created: readonly string[]): Promise<void> {
  for (const dir of [...created].reverse()) {
    try {
      await rmdir(dir);
    } catch {
      return;
    }
  }
}

/** Throws `output.pseudo-filesystem` when the folder `existing` is on /proc, /sys or the like. */
async function refusePseudoFilesystem(existing: string, wanted: string): Promise<void> {
  if (process.platform !== 'linux') return;
  const info = await statfs(existing).catch(() => undefined);
  const name = info === undefined ? undefined : PSEUDO_FILESYSTEMS.get(info.type);
  if (name !== undefined) {
    throw new SmoothpubError(ErrorCode.OUTPUT_PSEUDO_FILESYSTEM, `${existing} is on ${name}, a file system the kernel uses to show its state, which cannot hold files; choose an output folder on a disk`, { file: wanted });
  }
}
