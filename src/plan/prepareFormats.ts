import { Cursor } from '../bmff/cursor.js';
import { isSmoothpubError } from '../errors.js';
import { readMoof } from '../fragments/readMoof.js';
import { readTrackSetup } from '../fragments/readTrackSetup.js';
import type { FragmentRef, TrackIndex } from '../fragments/types.js';
import { frameRateOf } from '../formats/codecs.js';
import type { Format } from '../formats/model.js';
import type { ByteSource } from '../source/source.js';
import { runAll } from '../util/runAll.js';
import type { BuiltPresentation, LevelBinding, LevelMedia } from './buildPresentation.js';
import { addDecodeTimes, readFragmentMoof } from './retimeSource.js';

/** Whether the formats asked for need more than the Smooth objects. */
export function needsFormatMedia(formats: readonly Format[] | undefined): boolean {
  return formats !== undefined && formats.some((f) => f !== 'smooth');
}

export interface PrepareOptions {
  /** Opens a source by the file name its tracks carry. */
  open: (file: string) => Promise<ByteSource>;
  /** Reads at once, per level. */
  concurrency?: number;
  signal?: AbortSignal;
  /** Tracks already given their `tfdt`s (addDecodeTimes), keyed by the track they were made from. */
  decodeTimes?: ReadonlyMap<TrackIndex, TrackIndex>;
}

/**
 * A presentation ready for DASH and HLS: every fragment with a `tfdt` (addDecodeTimes)
 * and every level's init segment setup and frame rate read from its source. Smooth
 * clients get these same fragments.
 */
export async function prepareFormats(built: BuiltPresentation, options: PrepareOptions): Promise<BuiltPresentation> {
  const levels: LevelBinding[] = built.levels.slice();
  await runAll(
    built.levels,
    2,
    async (level, i) => {
      // A text level made from a subtitle file has its DASH and HLS objects already.
      if (level.text) return;
      const src = await options.open(level.track.file);
      try {
        const track = options.decodeTimes?.get(level.track) ?? (await addDecodeTimes(level.track, src, options.concurrency ?? 8));
        const setup = await readTrackSetup(src, track.trackId);
        const media: LevelMedia = { setup, sizes: track.fragments.map((f) => f.size) };
        if (track.kind === 'video') {
          const frameRate = await frameRateFrom(track.fragments, track.timescale, src);
          if (frameRate !== undefined) media.frameRate = frameRate;
        }
        levels[i] = { ...level, track, media };
      } catch (e) {
        throw isSmoothpubError(e) ? e.withContext({ file: level.track.file, trackId: level.track.trackId }) : e;
      } finally {
        await src.close();
      }
    },
    options.signal,
  );
  return { ...built, levels };
}

/**
 * A video level's frame rate from one whole fragment's samples: the second when there is
 * one (the first may hold an open GOP's extra frames).
 */
export async function frameRateFrom(fragments: ArrayLike<Pick<FragmentRef, 'offset' | 'size' | 'built' | 'duration'>>, timescale: number, src: ByteSource): Promise<string | undefined> {
  const f = fragments.length > 1 ? fragments[1] : fragments[0];
  if (!f) return undefined;
  const moof = await readFragmentMoof(f, src);
  const header = new Cursor(moof, f.offset, 'moof').u32() === 1 ? 16 : 8;
  const info = readMoof(new Cursor(moof, f.offset, 'moof', header, moof.length), () => 0);
  return frameRateOf(info.sampleCount, f.duration, timescale);
}
