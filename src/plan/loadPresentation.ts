import { readFile } from 'node:fs/promises';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { indexSource } from '../fragments/indexSource.js';
import { openFileSource } from '../source/fileSource.js';
import { runAll } from '../util/runAll.js';
import type { SourceIndex } from '../fragments/types.js';
import { readIsm, type IsmEntry } from '../smooth/ism.js';
import { buildPresentation, type BuiltPresentation, type PresentationOptions } from './buildPresentation.js';
import { retimeSource } from './retimeSource.js';
import { needsFormatMedia, prepareFormats } from './prepareFormats.js';
import type { Format } from '../formats/model.js';
import { selectTracks, type InputEntry } from './selectTracks.js';

export interface LoadOptions extends PresentationOptions {
  /** With DASH or HLS, every fragment gets a `tfdt` and every level its init segment setup (prepareFormats). */
  formats?: readonly Format[];
  /** Called after each source file is indexed. */
  onIndexed?: (index: SourceIndex) => void;
  /** Stops indexing (rejects with its reason) when aborted. */
  signal?: AbortSignal;
}

export interface LoadedPresentation extends BuiltPresentation {
  /** Every source as indexed: its own timescales and fragments. */
  sources: SourceIndex[];
}

/**
 * Inputs (media files and/or `.ism` server manifests) -> indexed sources -> presentation,
 * every track on the presentation clock (fragmented tracks of other timescales retimed).
 */
export async function loadPresentation(inputs: string[], options: LoadOptions = {}): Promise<LoadedPresentation> {
  if (inputs.length === 0) throw new SmoothpubError(ErrorCode.BAD_OPTION, 'no inputs given: name .ismv/.isma files or a .ism server manifest');
  const entries = (await Promise.all(inputs.map(resolveInput))).flat();
  const files = [...new Set(entries.map((e) => e.file))];
  const indexes = new Map<string, SourceIndex>();
  const retimed = new Map<string, SourceIndex>();
  // A few files at once: each is O(fragments) small reads, mostly waiting on I/O.
  await runAll(
    files,
    4,
    async (file) => {
      const src = await openFileSource(file);
      try {
        const ix = await indexSource(src, options.signal ? { signal: options.signal } : {});
        options.onIndexed?.(ix);
        indexes.set(file, ix);
        retimed.set(file, await retimeSource(ix, src));
      } finally {
        await src.close();
      }
    },
    options.signal,
  );
  let built = buildPresentation(selectTracks(entries, retimed), options);
  if (needsFormatMedia(options.formats)) built = await prepareFormats(built, { open: openFileSource, ...(options.signal && { signal: options.signal }) });
  return { ...built, sources: files.map((f) => indexes.get(f)!) };
}

async function resolveInput(input: string): Promise<InputEntry[]> {
  if (!/\.ism$/i.test(input)) return [{ file: input }];
  let xml: string;
  try {
    xml = await readFile(input, 'utf8');
  } catch (e) {
    throw new SmoothpubError(ErrorCode.READ_FAILED, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file: input }, { cause: e });
  }
  return readIsm(xml, input).entries.map(toInputEntry);
}

/** A `.ism` entry as the track selection takes it. */
export function toInputEntry(e: IsmEntry): InputEntry {
  const entry: InputEntry = { file: e.src, kind: e.kind };
  if (e.trackId !== undefined) entry.trackId = e.trackId;
  if (e.systemBitrate !== undefined) entry.systemBitrate = e.systemBitrate;
  if (e.trackName !== undefined) entry.trackName = e.trackName;
  if (e.language !== undefined) entry.language = e.language;
  return entry;
}
