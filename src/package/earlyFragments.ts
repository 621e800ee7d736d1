import type { TrackIndex } from '../fragments/types.js';
import { buildPresentation, type BuiltPresentation, type LevelBinding, type PresentationOptions } from '../plan/buildPresentation.js';
import type { ReadySources } from '../plan/loadPresentation.js';
import { addDecodeTimes } from '../plan/retimeSource.js';
import { selectTracks, type InputEntry } from '../plan/selectTracks.js';
import type { SourceAccess } from '../source/sourceAccess.js';

export interface EarlyFragmentsOptions extends PresentationOptions {
  /**
   * DASH or HLS asked for: each track gets its `tfdt`s here (addDecodeTimes, sources
   * opened through `files`), kept in `made` for loadPresentation (its `decodeTimes`) to reuse, so
   * the plan's fragments are these very bodies.
   */
  withTfdt?: { files: SourceAccess; made: Map<TrackIndex, TrackIndex> };
}

/** Levels to write early, and the presentation (built of the sources ready so far) they are levels of. */
export interface EarlyLevels {
  built: BuiltPresentation;
  levels: LevelBinding[];
}

/**
 * Levels whose fragments can be written while later sources are still being indexed: each
 * time a source is ready, the presentation of the input entries up to the first source
 * not ready yet is built, and its levels not handed out before are returned.
 * Entries after that prefix rarely change them (a second audio language renames the
 * audio stream; a level repeating an earlier one's bitrate moves its own): the plan
 * of the whole presentation decides, and FolderWriting replaces any that differ.
 * Plain MP4 sources (cut only once every track is known) make it return none.
 */
export function earlyFragments(options: EarlyFragmentsOptions): (ready: ReadySources) => Promise<EarlyLevels | undefined> {
  const handedOut = new Set<string>();
  let off = false;
  return async (ready) => {
    if (off) return undefined;
    const prefix: InputEntry[] = [];
    for (const e of ready.entries) {
      const source = ready.sources.get(e.file);
      if (!source) break;
      if (source.method === 'progressive') off = true;
      prefix.push(e);
    }
    if (off || prefix.length === 0) return undefined;
    try {
      // Text tracks are added once the whole presentation is known (addTextStreams).
      const built = buildPresentation(selectTracks(prefix, ready.sources).filter((s) => s.track.kind !== 'text'), options);
      const levels: LevelBinding[] = [];
      for (const level of built.levels) {
        const id = `${level.track.file}#${level.track.trackId}`;
        if (handedOut.has(id)) continue;
        handedOut.add(id);
        const track = options.withTfdt ? await withDecodeTimes(level.track, options.withTfdt) : level.track;
        levels.push({ ...level, track });
      }
      return { built, levels };
    } catch {
      // What the whole presentation makes of it (an error, or a warning) is for loadPresentation to say.
      off = true;
      return undefined;
    }
  };
}

async function withDecodeTimes(track: TrackIndex, decodeTimes: NonNullable<EarlyFragmentsOptions['withTfdt']>): Promise<TrackIndex> {
  const made = decodeTimes.made.get(track);
  if (made) return made;
  const src = await decodeTimes.files.open(track.file);
  try {
    const out = await addDecodeTimes(track, src);
    decodeTimes.made.set(track, out);
    return out;
  } finally {
    await src.close();
  }
}
