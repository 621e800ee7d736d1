import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { exists } from './exists.js';

/**
 * Runs `build` on a fresh hidden folder beside `target` (same filesystem, so one rename
 * moves it), then renames that folder to `target`, replacing a folder already there.
 * On a failure, or when `signal` has aborted by the end of `build`, the hidden folder is
 * removed and nothing is published: `target` is never left half written.
 */
export async function buildFolderAtomically<T>(target: string, build: (temp: string) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const temp = join(dirname(target), partialName(basename(target)));
  try {
    await mkdir(temp, { recursive: true });
    const result = await build(temp);
    signal?.throwIfAborted();
    await swapIntoPlace(temp, target);
    return result;
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * The same for files added to a folder that already exists (and may hold others'
 * files): `build` writes `names` into a hidden folder inside `dir`, then each is renamed
 * in, in the order given (put the file that announces the set last), replacing files
 * of the same names. `label` names the hidden folder.
 */
export async function buildFilesAtomically<T>(dir: string, label: string, names: readonly string[], build: (temp: string) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const temp = join(dir, partialName(label));
  try {
    await mkdir(temp, { recursive: true });
    const result = await build(temp);
    signal?.throwIfAborted();
    for (const n of names) await rename(join(temp, n), join(dir, n));
    return result;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/** Moves a finished folder to `target`; an old `target` is set aside first and removed after. */
async function swapIntoPlace(temp: string, target: string): Promise<void> {
  if (await exists(target)) {
    const old = `${temp}.old`;
    await rename(target, old);
    await rename(temp, target);
    await rm(old, { recursive: true, force: true });
  } else {
    await rename(temp, target);
  }
}

/** `.<label>.partial-<pid>-<ms>`: hidden, and unique per run. */
function partialName(label: string): string {
  return `.${label}.partial-${process.pid}-${Date.now()}`;
}
