import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding smoothpub's package.json. Compiled code runs from dist/src/play/,
 * sources from src/play/, so walk up instead of counting `..`.
 */
export function findPackageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'web'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no smoothpub package root above ${from}`);
    dir = parent;
  }
}
