import { rename, rm, stat } from 'node:fs/promises';

/** Moves a finished folder to `target`, replacing what is there only when asked to. */
export async function swapIntoPlace(temp: string, target: string): Promise<void> {
  if (await exists(target)) {
    const old = `${temp}.old`;
    await rename(target, old);
    await rename(temp, target);
    await rm(old, { recursive: true, force: true });
  } else {
    await rename(temp, target);
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
