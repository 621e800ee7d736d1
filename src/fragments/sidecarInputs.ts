import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { readIsm } from '../smooth/ism.js';
import { openFileSource } from '../source/fileSource.js';
import { indexSource } from './indexSource.js';
import { writeSidecar } from './sidecar.js';
import type { SourceIndex } from './types.js';
import { cutProgressive } from './progressive/cutProgressive.js';

export interface SidecarWritten {
  source: string;
  sidecar: string;
  tracks: number;
  /** Fragments a presentation serves from this source (plain MP4: as cut with the other files of its input). */
  fragments: number;
  /** Samples in the sidecar's sample tables (plain MP4 only; 0 otherwise). */
  samples: number;
  /** Bytes of the sidecar. */
  bytes: number;
}

export interface SidecarOptions {
  /** Plain MP4: the fragment length the cut is checked at, seconds (default 2). */
  fragmentDuration?: number;
  /** Stops between sources (rejects with its reason) when aborted. */
  signal?: AbortSignal;
}

/**
 * Indexes every source the inputs name (media files, `.ism` server manifests, or
 * folders named `*.ism` holding `.ismv`/`.isma`/`.mp4` files) and writes its sidecar beside it.
 * A plain MP4's sidecar holds its sample tables (so a cold origin reads one small file,
 * not the `moov`, which may sit at the end); its renditions are first cut together, as a
 * presentation would, so a misaligned ladder fails here rather than when served.
 */
export async function writeSidecarsFor(inputs: string[], onWritten?: (w: SidecarWritten) => void, options: SidecarOptions = {}): Promise<SidecarWritten[]> {
  if (inputs.length === 0) throw new SmoothpubError(ErrorCode.BAD_OPTION, 'no inputs given: name .ismv/.isma/.mp4 files, .ism server manifests or *.ism folders');
  const groups = await Promise.all(inputs.map(sourcesOf));
  const indexes = new Map<string, SourceIndex>();
  for (const file of new Set(groups.flat())) {
    options.signal?.throwIfAborted();
    const src = await openFileSource(file);
    try {
      indexes.set(file, await indexSource(src, options.signal ? { signal: options.signal } : {}));
    } finally {
      await src.close();
    }
  }
  const fragments = new Map<string, number>();
  for (const group of groups) {
    const tracks = cutProgressive([...new Set(group)].flatMap((f) => indexes.get(f)!.tracks), options.fragmentDuration);
    for (const t of tracks) if (!fragments.has(`${t.file}#${t.trackId}`)) fragments.set(`${t.file}#${t.trackId}`, t.fragments.length);
  }
  const out: SidecarWritten[] = [];
  for (const [file, ix] of indexes) {
    options.signal?.throwIfAborted();
    const sidecar = await writeSidecar(ix);
    const written: SidecarWritten = {
      source: file,
      sidecar,
      tracks: ix.tracks.length,
      fragments: ix.tracks.reduce((n, t) => n + (fragments.get(`${t.file}#${t.trackId}`) ?? t.fragments.length), 0),
      samples: ix.tracks.reduce((n, t) => n + (t.samples?.count ?? 0), 0),
      bytes: (await stat(sidecar)).size,
    };
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
    const names = (await readdir(input)).filter((n) => /\.(ismv|isma|mp4|m4a|m4v)$/i.test(n)).sort();
    if (names.length === 0) throw new SmoothpubError(ErrorCode.NO_TRACKS, 'folder holds no .ismv, .isma or .mp4 files', { file: input });
    return names.map((n) => join(input, n));
  }
  if (/\.ism$/i.test(input)) return readIsm(await readFile(input, 'utf8'), input).entries.map((e) => e.src);
  return [input];
}
