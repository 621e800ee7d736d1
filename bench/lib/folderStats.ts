import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Files and bytes below `dir`, to report a tool's output size. */
export function folderStats(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    files++;
    bytes += statSync(join(e.parentPath, e.name)).size;
  }
  return { files, bytes };
}
