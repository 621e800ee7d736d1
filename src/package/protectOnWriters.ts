import type { FragmentRef } from '../fragments/types.js';
import { levelFragmentObjects } from '../plan/buildPlan.js';
import type { BuiltPresentation, LevelBinding } from '../plan/buildPresentation.js';
import { levelEncryption, toProtectWhenWritten, type PresentationProtection } from '../plan/protectPresentation.js';
import type { TrackEncryption } from '../protect/model.js';
import type { EarlyLevels } from './earlyFragments.js';
import type { FolderWriting } from './writePlanToFolder.js';

/** A level handed to the writers: what it was handed as, and its protected fragments once written. */
interface Handed {
  built: BuiltPresentation;
  level: LevelBinding;
  written: Promise<FragmentRef[]>;
}

/**
 * A protected package's fragments laid out and encrypted by the writer threads, each from
 * the one read that writes it (the main thread reads no payload): levels are handed over
 * as their sources are indexed (`early`, with the presentation built so far) and, once the
 * whole presentation is known, protectPresentation asks for each level (`whenWritten`):
 * the one handed early is taken where it is the same level (same track, URLs and
 * encryption), else the level is handed over now and FolderWriting replaces what was
 * written under its keys. Each answers the level's protected fragments, their sizes as
 * written, which the Manifest, MPD and playlists are made from.
 */
export class ProtectOnWriters {
  private readonly handed = new Map<string, Handed>();

  constructor(
    private readonly writing: FolderWriting,
    private readonly protection: PresentationProtection,
  ) {}

  /**
   * Hands over the levels of a presentation part way (earlyFragments), each with its
   * TrackEncryption; a level whose encryption cannot be planned yet (no key for its type)
   * waits for the whole presentation, which says why.
   */
  async early(part: EarlyLevels | undefined): Promise<void> {
    for (const level of part?.levels ?? []) {
      if (level.track.kind === 'text') continue;
      let encryption: TrackEncryption;
      try {
        encryption = levelEncryption(level, this.protection);
      } catch {
        continue;
      }
      const planned = { ...level, encryption };
      this.handed.set(idOf(planned), await this.hand(part!.built, planned, true));
    }
  }

  /** protectPresentation's `whenWritten`. */
  readonly whenWritten = async (built: BuiltPresentation, level: LevelBinding): Promise<{ written: Promise<FragmentRef[]> }> => {
    const before = this.handed.get(idOf(level));
    if (before && sameLevel(before.built, before.level, built, level)) return before;
    const now = await this.hand(built, level);
    this.handed.set(idOf(level), now);
    return now;
  };

  /** Hands a level over: with `now`, without waiting for the threads to have room (see sendProtected). */
  private async hand(built: BuiltPresentation, level: LevelBinding, now = false): Promise<Handed> {
    const fragments = toProtectWhenWritten(level);
    const objects = levelFragmentObjects(built, { ...level, track: { ...level.track, fragments } });
    const { sizes } = await this.writing.sendProtected(objects, now);
    const written = sizes.then((s) => fragments.map((f, i) => ({ ...f, size: s[i]! })));
    written.catch(() => {});
    return { built, level, written };
  }
}

function idOf(level: LevelBinding): string {
  return `${level.track.file}#${level.track.trackId}`;
}

/**
 * Whether a level handed early is this one as the whole presentation has it: the same
 * track (the very fragments, with their tfdt), the same URLs (stream URL template,
 * bitrate, chunk times) and the same encryption.
 */
function sameLevel(beforeBuilt: BuiltPresentation, before: LevelBinding, built: BuiltPresentation, level: LevelBinding): boolean {
  const url = (b: BuiltPresentation, l: LevelBinding): string | undefined => b.presentation.streams.find((s) => s.name === l.streamName)?.url;
  return (
    before.track === level.track &&
    before.streamName === level.streamName &&
    before.bitrate === level.bitrate &&
    url(beforeBuilt, before) === url(built, level) &&
    before.chunks.length === level.chunks.length &&
    before.chunks.every((c, i) => c.t === level.chunks[i]!.t) &&
    sameEncryption(before.encryption, level.encryption)
  );
}

/** The same bytes would be written: scheme, key, IVs, pattern and NAL layout. */
function sameEncryption(a: TrackEncryption | undefined, b: TrackEncryption | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const bytes = (x: Uint8Array | undefined, y: Uint8Array | undefined): boolean => x === y || (x !== undefined && y !== undefined && Buffer.compare(x, y) === 0);
  return (
    a.scheme === b.scheme &&
    bytes(a.key.kid, b.key.kid) &&
    bytes(a.key.key, b.key.key) &&
    a.ivBase === b.ivBase &&
    bytes(a.constantIv, b.constantIv) &&
    a.pattern?.crypt === b.pattern?.crypt &&
    a.pattern?.skip === b.pattern?.skip &&
    a.video?.codec === b.video?.codec &&
    a.video?.nalLengthSize === b.video?.nalLengthSize &&
    (a.video?.parameterSets.length ?? 0) === (b.video?.parameterSets.length ?? 0) &&
    (a.video?.parameterSets ?? []).every((p, i) => bytes(p, b.video!.parameterSets[i]))
  );
}
