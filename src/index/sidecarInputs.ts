import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { readIsm } from '../smooth/ism.js';
import { openFileSource } from '../source/fileSource.js';
import { indexSource } from './indexSource.js';
import { writeSidecar } from './sidecar.js';

export interface SidecarWritten {
  source: string;
  sidecar: string;
  tracks: number;
  fragments: number;
  /** Bytes of the sidecar. */
  bytes: number;
}

/**
 * Indexes every source the inputs name (media files, `.ism` server manifests, or
 * folders named `*.ism` holding `.ismv`/`.isma` files) and writes its sidecar beside it.
 */
export async function writeSidecarsFor(inputs: string[], onWritten?: (w: SidecarWritten) => void): Promise<SidecarWritten[]> {
  if (inputs.length === 0) throw new SmoothpubError(ErrorCode.BAD_OPTION, 'no inputs given: name .ismv/.isma files, .ism server manifests or *.ism folders');
  const files = [...new Set((await Promise.all(inputs.map(sourcesOf))).flat())];
  const out: SidecarWritten[] = [];
  for (const file of files) {
    const src = await openFileSource(file);
    let written: SidecarWritten;
    try {
      const ix = await indexSource(src);
      const sidecar = await writeSidecar(ix);
      written = {
        source: file,
        sidecar,
        tracks: ix.tracks.length,
        fragments: ix.tracks.reduce((n, t) => n + t.fragments.length, 0),
        bytes: (await stat(sidecar)).size,
      };
    } finally {
      await src.close();
    }
    onWritten?.(written);
    out.push(written);
  }
  return out;
}

async function sourcesOf(input: string): Promise<string[]> {
  let info;
  try {
    info = await stat(input);
  } catch (e) {
    throw new SmoothpubError(ErrorCode.READ_FAILED, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file: input }, { cause: e });
  }
  if (info.isDirectory()) {
    const names = (await readdir(input)).filter((n) => /\.(ismv|isma)$/i.test(n)).sort();
    if (names.length === 0) throw new SmoothpubError(ErrorCode.NO_TRACKS, 'folder holds no .ismv or .isma files', { file: input });
    return names.map((n) => join(input, n));
  }
  if (/\.ism$/i.test(input)) return readIsm(await readFile(input, 'utf8'), input).entries.map((e) => e.src);
  return [input];
}
