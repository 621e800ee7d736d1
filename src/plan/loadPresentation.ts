import { ErrorCode, SmoothpubError } from '../errors.js';
import { indexSource } from '../fragments/indexSource.js';
import { localAccess, type SourceAccess } from '../source/sourceAccess.js';
import { runAll } from '../util/runAll.js';
import type { SourceIndex, TrackIndex } from '../fragments/types.js';
import { readIsm } from '../smooth/ism.js';
import type { ProtectionHeader } from '../smooth/model.js';
import { buildPresentation, type BuiltPresentation, type PresentationOptions } from './buildPresentation.js';
import { retimeSource } from './retimeSource.js';
import { needsFormatMedia, prepareFormats } from './prepareFormats.js';
import type { Format } from '../formats/model.js';
import { selectTracks, type InputEntry } from './selectTracks.js';
import { protectPresentation, type ProtectOptions } from './protectPresentation.js';
import type { PresentationProtection } from './protectionSettings.js';
import { clientManifestPath, labelIndex, toInputEntry } from './inputEntry.js';
import { addTextStreams, loadText, loadTextTrack, loadTx3gTrack, sameTexts, sameTextTracks, splitTextEntries, splitTextTracks, type TextInput } from './textStreams.js';
import { clientManifestSubtype, readClientManifest, withTextSubtypes } from './textSubtypes.js';
import type { TextSubtype } from '../text/model.js';

export { labelIndex, toInputEntry } from './inputEntry.js';

export interface LoadOptions extends PresentationOptions {
  /** With DASH or HLS, every fragment gets a `tfdt` and every level its init segment setup (prepareFormats). */
  formats?: readonly Format[];
  /** Called after each source file is indexed. */
  onIndexed?: (index: SourceIndex) => void;
  /** Stops indexing (rejects with its reason) when aborted. */
  signal?: AbortSignal;
  /** Where the inputs are read from (default: local files; a store prefix for a remote library). */
  files?: SourceAccess;
  /**
   * Sources indexed at once (default 4: each is mostly waiting on small reads). With
   * blocking reads (blockingLocalAccess) 1 finishes them one by one, in input order, so
   * `onSourceReady` can act on each while the next is indexed.
   */
  indexConcurrency?: number;
  /**
   * Called as each source is ready (indexed and on the presentation clock), with every
   * input entry and the sources ready so far. The presentation built at the end may
   * still differ from one built of these alone (a later track can rename a stream).
   * Indexing goes on once what it returns has settled.
   */
  onSourceReady?: (ready: ReadySources) => void | Promise<void>;
  /**
   * Tracks with a `tfdt` in every fragment already made (addDecodeTimes) by the caller,
   * keyed by the track they were made from: prepareFormats takes them as they are.
   */
  decodeTimes?: ReadonlyMap<TrackIndex, TrackIndex>;
  /**
   * Encrypt every fragment (protectPresentation) with these keys. Implies the DASH/HLS
   * preparation whatever the formats: every format gets the same protected fragments,
   * each with its `tfdt`.
   */
  protection?: PresentationProtection;
  /** With `protection`: protectPresentation's `whenWritten` (the fragments are laid out and encrypted by whoever writes them). */
  protectWhenWritten?: ProtectOptions['whenWritten'];
  /** Subtitle files to convert into text streams (`--text`), beside any a `.ism` names. */
  texts?: readonly TextInput[];
  /**
   * Every text stream's Subtype (`--text-subtype`), over what the `.ism`, `.ismc` or track
   * says; without it a subtitle file's is its own (default SUBT) and a source track's is
   * found by withTextSubtypes.
   */
  textSubtype?: TextSubtype;
}

/** Whether a load needs every fragment's `tfdt` and every level's init setup: DASH or HLS asked for, or encryption. */
export function needsPreparation(options: Pick<LoadOptions, 'formats' | 'protection'>): boolean {
  return needsFormatMedia(options.formats) || options.protection !== undefined;
}

/** What loadPresentation has ready part way: see LoadOptions.onSourceReady. */
export interface ReadySources {
  entries: readonly InputEntry[];
  /** Ready sources by file, on the presentation clock (retimeSource). */
  sources: ReadonlyMap<string, SourceIndex>;
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
  const files = options.files ?? localAccess;
  const resolved = await Promise.all(inputs.map((input) => resolveInput(input, files)));
  const split = splitTextEntries(resolved.flatMap((r) => r.entries));
  const entries = split.media;
  const override = options.textSubtype;
  const textInputs = [...(options.texts ?? []), ...split.texts].map((t) => (override === undefined ? t : { ...t, subtype: override }));
  const clientManifestProtection = resolved.find((r) => r.protection !== undefined)?.protection;
  const sourceFiles = [...new Set(entries.map((e) => e.file))];
  const indexes = new Map<string, SourceIndex>();
  const retimed = new Map<string, SourceIndex>();
  // A few files at once: each is O(fragments) small reads, mostly waiting on I/O.
  await runAll(
    sourceFiles,
    options.indexConcurrency ?? 4,
    async (file) => {
      const src = await files.open(file);
      try {
        const ix = labelIndex(await indexSource(src, { ...(options.signal && { signal: options.signal }), keepMoofs: needsPreparation(options) }), file);
        options.onIndexed?.(ix);
        indexes.set(file, ix);
        retimed.set(file, await retimeSource(ix, src));
        await options.onSourceReady?.({ entries, sources: retimed });
      } finally {
        await src.close();
      }
    },
    options.signal,
  );
  const selected = splitTextTracks(selectTracks(entries, retimed));
  let built = buildPresentation(selected.media, { ...options, ...(clientManifestProtection && { clientManifestProtection }) });
  const textTracks = await withTextSubtypes(selected.text, files, override);
  const tx3gTracks = await withTextSubtypes(selected.tx3g, files, override);
  const texts = [...(await Promise.all(textInputs.map((t) => loadText(t, files)))), ...sameTexts(await Promise.all(tx3gTracks.map((s) => loadTx3gTrack(s, files))))];
  built = addTextStreams(built, texts, sameTextTracks(await Promise.all(textTracks.map((s) => loadTextTrack(s, files)))));
  const signal = options.signal && { signal: options.signal };
  if (needsPreparation(options)) built = await prepareFormats(built, { open: (file) => files.open(file), ...signal, ...(options.decodeTimes && { decodeTimes: options.decodeTimes }) });
  if (options.protection) built = await protectPresentation(built, options.protection, { open: (file) => files.open(file), ...signal, ...(options.protectWhenWritten && { whenWritten: options.protectWhenWritten }) });
  return { ...built, sources: sourceFiles.map((f) => indexes.get(f)!) };
}

async function resolveInput(input: string, files: SourceAccess): Promise<{ entries: InputEntry[]; protection?: ProtectionHeader[] }> {
  if (!/\.ism$/i.test(input)) return { entries: [{ file: input }] };
  const ism = readIsm(await files.readText(input), input);
  // The `.ismc` IIS kept beside a `.ism`: the header of an already-protected presentation
  // (passthroughProtection), and the Subtype of each text stream the `.ism` does not state.
  const manifest = await readClientManifest(clientManifestPath(input, ism.clientManifestRelativePath), files);
  const entries = ism.entries.map((e) => {
    const entry = toInputEntry(e);
    if (e.kind !== 'text' || entry.subtype !== undefined || manifest === undefined) return entry;
    const subtype = clientManifestSubtype(manifest, { name: e.trackName, language: e.language });
    return subtype === undefined ? entry : { ...entry, subtype };
  });
  return manifest?.protection ? { entries, protection: manifest.protection } : { entries };
}
