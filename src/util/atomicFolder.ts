import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SmoothpubError, isSmoothpubError } from '../errors.js';
import { exists } from './exists.js';
import { trackLeftover } from './leftovers.js';
import { makeFolder, removeCreatedFolders } from './makeFolder.js';
import { outputError } from './outputError.js';

/**
 * Runs `build` on a fresh hidden folder beside `target` (same filesystem, so one rename
 * moves it), then renames that folder to `target`, replacing a folder already there.
 * On a failure, or when `signal` has aborted by the end of `build`, the hidden folder (and
 * any parent folders made for it) is removed and nothing is published: `target` is never
 * left half written. A file system failure surfaces as a SmoothpubError naming the path
 * under `target`; a failing clean-up never replaces the error that caused it.
 */
export async function buildFolderAtomically<T>(target: string, build: (temp: string) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const temp = join(dirname(target), partialName(basename(target)));
  const untrack = trackLeftover(temp);
  const created: string[] = [];
  try {
    await makeFolder(temp, signal, created);
    const result = await build(temp);
    signal?.throwIfAborted();
    await swapIntoPlace(temp, target);
    return result;
  } catch (e) {
    await removeQuietly(temp);
    await removeCreatedFolders(created.filter((d) => d !== temp));
    throw relocate(e, temp, target);
  } finally {
    untrack();
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
  const untrack = trackLeftover(temp);
  try {
    await makeFolder(temp, signal);
    const result = await build(temp);
    signal?.throwIfAborted();
    for (const n of names) await rename(join(temp, n), join(dir, n));
    return result;
  } catch (e) {
    throw relocate(e, temp, dir);
  } finally {
    await removeQuietly(temp);
    untrack();
  }
}

/** Moves a finished folder to `target`; an old `target` is set aside first and removed after. */
async function swapIntoPlace(temp: string, target: string): Promise<void> {
  if (await exists(target)) {
    const old = `${temp}.old`;
    await rename(target, old).catch((e: unknown) => {
      throw outputError(e, target);
    });
    try {
      await rename(temp, target);
    } catch (e) {
      // Put the old one back: a failed replace must leave what was there.
      await rename(old, target).catch(() => undefined);
      throw outputError(e, target);
    }
    await removeQuietly(old);
  } else {
    await rename(temp, target).catch((e: unknown) => {
      throw outputError(e, target);
    });
  }
}

/** Clean-up after a failure: its own failure (the folder is already gone, or cannot be read) must not replace the error being reported. */
async function removeQuietly(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true }).catch(() => undefined);
}

/**
 * The error a caller sees: file system errors as SmoothpubErrors, and paths inside the
 * hidden folder (which no longer exists) named as they would be under `target`.
 */
function relocate(e: unknown, temp: string, target: string): unknown {
  const place = (path: string): string => (path === temp || path.startsWith(`${temp}/`) ? target + path.slice(temp.length) : path);
  const typed = outputError(e, place((e as NodeJS.ErrnoException | undefined)?.path ?? target));
  if (!isSmoothpubError(typed) || typed.context.file === undefined || place(typed.context.file) === typed.context.file) return typed;
  return new SmoothpubError(typed.code, typed.toData().message, { ...typed.context, file: place(typed.context.file) }, { cause: typed.cause });
}

/** `.<label>.partial-<pid>-<ms>`: hidden, and unique per run. */
function partialName(label: string): string {
  return `.${label}.partial-${process.pid}-${Date.now()}`;
}
