import { open, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, SmoothpubError, isSmoothpubError, type SmoothpubWarning } from '../errors.js';
import { writePresentationManifest } from '../plan/buildPresentation.js';
import { loadPresentation, type LoadOptions } from '../plan/loadPresentation.js';
import { presentationWarnings } from '../plan/presentationWarnings.js';
import type { Presentation } from '../smooth/model.js';
import { writeIsm } from '../smooth/writeIsm.js';
import { openFileSource } from '../source/fileSource.js';
import type { WriteProgress } from '../package/writePlanToFolder.js';
import { buildFilesAtomically, buildFolderAtomically } from '../util/atomicFolder.js';
import { exists } from '../util/exists.js';
import { errnoOf, outputError } from '../util/outputError.js';
import { runAll } from '../util/runAll.js';
import { planRemux, resolveOutput, type RemuxFile } from './planRemux.js';
import { readTrackSetup, type TrackSetup } from '../fragments/readTrackSetup.js';
import { writeInitSegment } from '../formats/initSegment.js';
import { writeTrackFile } from './writeTrackFile.js';
import { textInitSegment } from '../text/textInitSegment.js';

/** `ftyp` of an IIS `.ismt`, as of its `.ismv`/`.isma`. */
const IIS_TEXT_BRANDS = ['isml', 'piff', 'iso2'] as const;

export interface RemuxOptions extends LoadOptions {
  inputs: string[];
  /** `dir/name.ism` (files go in `dir`), or a folder `dir` (files named after it). */
  output: string;
  /** Replace files of the same names. */
  overwrite?: boolean;
  /** Media files written in parallel. */
  concurrency?: number;
  signal?: AbortSignal;
  /** Objects are fragments (plus the two manifests). */
  onProgress?: (p: WriteProgress) => void;
}

export interface RemuxResult {
  dir: string;
  /** Paths of the `.ism` and `.ismc` written. */
  ism: string;
  ismc: string;
  /** Paths of the `.ismv`/`.isma` files, in `.ism` order. */
  files: string[];
  fragments: number;
  bytes: number;
  presentation: Presentation;
  /** What the user should know about the presentation (see presentationWarnings). */
  warnings: SmoothpubWarning[];
}

/**
 * Writes a presentation as IIS serves it from disk: one `.ismv`/`.isma` per quality
 * level and one `.ismt` per text stream (fragmented, with `mfra`; a subtitle file's TTML
 * fragments as they are served), a `.ism` server manifest and a `.ismc` client
 * manifest. Every fragment keeps its exact bytes, so packaging the result gives the
 * same objects as packaging the inputs. All files are written in a hidden folder and
 * moved into place at the end, the `.ism` last: a failed run leaves nothing behind.
 */
export async function remuxPresentation(opts: RemuxOptions): Promise<RemuxResult> {
  if (opts.protection) {
    throw new SmoothpubError(ErrorCode.PROTECTED_UNSUPPORTED, 'remux writes clear .ismv files and cannot encrypt them: package or publish the sources with the key instead');
  }
  const { dir, name } = resolveOutput(opts.output);
  if (name === '' || name === '.' || name === '..') {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, `cannot name a presentation after ${JSON.stringify(opts.output)}: give a folder or <name>.ism`);
  }
  const loaded = await loadPresentation(opts.inputs, opts);
  const layout = planRemux(loaded, name);
  const finalNames = [...layout.files.map((f) => f.name), layout.ismcName, layout.ismName];
  const dirExists = await exists(dir);
  if (dirExists && !opts.overwrite) {
    for (const n of finalNames) {
      if (await exists(join(dir, n))) throw new SmoothpubError(ErrorCode.OUTPUT_EXISTS, 'output file already exists; choose another name or pass --force to replace it', { file: join(dir, n) });
    }
  }
  const totalFragments = layout.files.reduce((s, f) => s + f.level.track.fragments.length, 0);
  const progress: WriteProgress = { objects: 0, totalObjects: totalFragments + 2, bytes: 0, totalBytes: 0 };
  const writeAll = async (temp: string): Promise<number> => {
    const sizes = new Map<RemuxFile, number>();
    // Reported sizes are the fragments'; the few KB of moov and mfra are not worth a second pass.
    progress.totalBytes = layout.files.reduce((s, f) => s + f.level.track.fragments.reduce((t, x) => t + x.size, 0), 0);
    await runAll(
      layout.files,
      Math.max(1, opts.concurrency ?? 4),
      async (file) => {
        sizes.set(file, await writeOne(file, join(temp, file.name), opts, (n) => {
          progress.objects++;
          progress.bytes += n;
          opts.onProgress?.({ ...progress });
        }));
      },
      opts.signal,
    );
    const ismc = writePresentationManifest(loaded);
    const ism = writeIsm(layout.ism);
    await writeFile(join(temp, layout.ismcName), ismc, { flag: 'wx' });
    await writeFile(join(temp, layout.ismName), ism, { flag: 'wx' });
    progress.objects += 2;
    opts.onProgress?.({ ...progress });
    return [...sizes.values()].reduce((s, n) => s + n, 0) + Buffer.byteLength(ismc) + Buffer.byteLength(ism);
  };
  let bytes: number;
  try {
    // A new folder is built beside its place and published with one rename; into an
    // existing one (which may hold other files) the files move one by one, the .ism last.
    bytes = dirExists ? await buildFilesAtomically(dir, name, finalNames, writeAll, opts.signal) : await buildFolderAtomically(dir, writeAll, opts.signal);
  } catch (e) {
    if (isSmoothpubError(e) || opts.signal?.aborted || (e instanceof Error && e.name === 'AbortError')) throw e;
    const err = e as NodeJS.ErrnoException;
    if (errnoOf(err) !== undefined) throw outputError(err, err.path ?? dir);
    throw new SmoothpubError(ErrorCode.WRITE_FAILED, `writing the remuxed presentation failed: ${err.message}`, { file: dir }, { cause: e });
  }
  return {
    dir,
    ism: join(dir, layout.ismName),
    ismc: join(dir, layout.ismcName),
    files: layout.files.map((f) => join(dir, f.name)),
    fragments: totalFragments,
    bytes,
    presentation: loaded.presentation,
    warnings: presentationWarnings(loaded),
  };
}

async function writeOne(file: RemuxFile, path: string, opts: RemuxOptions, onFragment: (bytes: number) => void): Promise<number> {
  const { track } = file.level;
  const init = await initSegmentOf(file);
  let source: FileHandle | undefined;
  let out: FileHandle | undefined;
  try {
    source = await open(track.file, 'r').catch((e: NodeJS.ErrnoException) => {
      throw new SmoothpubError(ErrorCode.READ_FAILED, `cannot open: ${e.code ?? e.message}`, { file: track.file }, { cause: e });
    });
    out = await open(path, 'wx');
    return await writeTrackFile(track, init, { source, out, buffer: new Uint8Array(1024 * 1024), onFragment, ...(opts.signal && { signal: opts.signal }) });
  } finally {
    await out?.close();
    await source?.close();
  }
}

/**
 * The head of a remuxed file: the source's sample entry in a new `moov`. A text stream's is
 * an ISO/IEC 14496-30 text track (`subt` handler, `sthd`) with IIS's brands, whether it was
 * passed through (the source's `stpp`/`dfxp` entry kept) or converted from a subtitle file
 * (its fragments are built, there is no source `moov` to read).
 */
async function initSegmentOf(file: RemuxFile): Promise<Uint8Array> {
  const { track } = file.level;
  const language = file.stream.language ?? 'und';
  const converted = file.level.text?.converted === true;
  let setup: TrackSetup = { stsd: undefined, trex: undefined };
  if (!converted) {
    const src = await openFileSource(track.file);
    try {
      setup = await readTrackSetup(src, track.trackId);
    } finally {
      await src.close();
    }
  }
  if (track.kind !== 'text') return writeInitSegment(track, setup, { language });
  const duration = track.fragments.reduce((s, f) => s + f.duration, 0n);
  return textInitSegment({ trackId: track.trackId, timescale: track.timescale, language, duration, brands: IIS_TEXT_BRANDS, ...(setup.stsd && { stsd: setup.stsd }) });
}
