import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Removes the entries of `dir` that `pattern` names as temps of an interrupted run: its
 * first group is the writer's pid, and only temps whose process is gone are removed.
 */
export function removeStaleTemps(dir: string, pattern: RegExp): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const pid = pattern.exec(name)?.[1];
    if (pid !== undefined && !isAlive(Number(pid))) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
