import { ErrorCode, SmoothpubError, type SmoothpubWarning } from '../errors.js';
import type { TrackIndex } from '../fragments/types.js';
import { isSmoothpubError } from '../errors.js';
import type { FourCCOptions } from '../smooth/fourCCFor.js';
import { type FourCCChoice, fourCCOptionsOf } from '../smooth/fourCCChoice.js';
import type { Chunk, Presentation, QualityLevel, StreamIndex } from '../smooth/model.js';
import { qualityLevelFor } from '../smooth/qualityLevelFor.js';
import { PRESENTATION_TIME_SCALE } from '../smooth/timeScale.js';
import { writeManifest } from '../smooth/writeManifest.js';
import type { SelectedTrack } from './selectTracks.js';
import type { TrackSetup } from '../fragments/readTrackSetup.js';
import { announcedChunks, checkAligned } from './timeline.js';
import { cutProgressive } from '../fragments/progressive/cutProgressive.js';
import { tfxdWarning } from '../fragments/tfxdWarning.js';
import type { TrackEncryption } from '../protect/model.js';
import type { AppliedProtection } from './protectionSettings.js';
import { passthroughProtection, type PassthroughHeaderOptions } from './protectionHeaders.js';
import type { TextLevel } from './textLevel.js';

/** The presentation's one clock, for the Manifest and every fragment: 100 ns units. */
export const TIME_SCALE = PRESENTATION_TIME_SCALE;

/**
 * How the Manifest lists chunks: `compact` writes a run of equal durations as one `<c>`
 * with `r` (MS-SSTR 2.2, MinorVersion 2), `expanded` one `<c>` a fragment. Both give `t`
 * on each stream's first chunk and wherever the timeline jumps.
 */
export type ManifestTimeline = 'compact' | 'expanded';

/** GStreamer's mssdemux and mssdemux2 and dash.js's Smooth support all read `r`. */
export const DEFAULT_MANIFEST_TIMELINE: ManifestTimeline = 'compact';

export interface PresentationOptions extends PassthroughHeaderOptions {
  /**
   * H.264: 'H264' (default) or 'AVC1' for old clients that only know the latter; HEVC:
   * 'HVC1' or 'HEV1' (default: the sample entry's own); one code or one per codec.
   */
  fourCC?: FourCCChoice;
  /** Target fragment length in seconds for plain MP4 input, cut at shared keyframes (default 2). */
  fragmentDuration?: number;
  /** How the Manifest lists chunks (default `compact`). */
  manifestTimeline?: ManifestTimeline;
}

/** What DASH and HLS need of a level beyond the Smooth model (prepareFormats). */
export interface LevelMedia {
  /** The source's sample description and trex, for the level's init segment. */
  setup: TrackSetup;
  /** Video: frames per second as DASH writes it. */
  frameRate?: string;
  /**
   * Bytes of each fragment as written, its tfdt added, for the HLS bandwidths (RFC 8216
   * asks for those of what is served): `serve` adds each `moof`'s growth
   * (FragmentRef.tfdtGrowth) to the source's sizes, so both write the same playlists.
   */
  sizes: number[];
}

/** One quality level of one stream, tied to the source track that serves it. */
export interface LevelBinding {
  streamName: string;
  bitrate: number;
  track: TrackIndex;
  /** Chunks as announced; chunks[i] is served by track.fragments[i]. */
  chunks: Chunk[];
  /** For DASH and HLS (prepareFormats): the init segment's setup and the frame rate. */
  media?: LevelMedia;
  /** A protected level (protectPresentation): how its fragments and init segment are encrypted. */
  encryption?: TrackEncryption;
  /** A text level made from a subtitle file (addTextStreams): its DASH and HLS objects. */
  text?: TextLevel;
}

/** A selected track left out because another level already carries the same media. */
export interface DuplicateTrack {
  track: TrackIndex;
  sameAs: TrackIndex;
}

export interface BuiltPresentation {
  presentation: Presentation;
  /** How its Manifest lists chunks (writePresentationManifest). */
  manifestTimeline: ManifestTimeline;
  levels: LevelBinding[];
  /** The same audio muxed into several files is used once: the others, and which track they repeat. */
  duplicates: DuplicateTrack[];
  /** What the user should know about the presentation built (sources that say two things, fragments far from the duration asked for). */
  warnings: SmoothpubWarning[];
  /** A protected presentation (protectPresentation): its keys and signalling. Secret: never serialise it. */
  protection?: AppliedProtection;
}

interface Group {
  type: 'video' | 'audio';
  key: string;
  name?: string;
  language: string;
  members: SelectedTrack[];
}

/**
 * Groups selected tracks into StreamIndexes and QualityLevels and lays out the timeline.
 * Plain MP4 tracks are cut on the presentation clock (10 MHz); fragmented tracks should
 * be on it already (retimeSource, as loadPresentation does): a stream of another
 * timescale keeps it, announced as the StreamIndex's TimeScale.
 */
export function buildPresentation(selected: SelectedTrack[], options: PresentationOptions = {}): BuiltPresentation {
  // Plain MP4 tracks have sample tables, not fragments, until cut (before alignment is checked).
  const warnings: SmoothpubWarning[] = [];
  const cut = cutProgressive(selected.map((s) => s.track), options.fragmentDuration, warnings);
  const duplicates: DuplicateTrack[] = [];
  const groups = groupTracks(selected.map((s, i) => ({ ...s, track: cut[i]! })), duplicates);
  const audioGroups = groups.filter((g) => g.type === 'audio');
  const streams: StreamIndex[] = [];
  const levels: LevelBinding[] = [];
  let durationEnd = 0n;
  for (const g of groups) {
    const name = g.name ?? (g.type === 'video' || audioGroups.length === 1 ? g.type : `audio_${g.language}`);
    const tracks = g.members.map((m) => m.track);
    checkAligned(tracks, name);
    const first = tracks[0]!;
    const chunks = announcedChunks(first);
    const bitrates = assignBitrates(g.members);
    const ordered = g.members.map((m, i) => ({ m, bitrate: bitrates[i]! })).sort((a, b) => b.bitrate - a.bitrate);
    const qualityLevels: QualityLevel[] = ordered.map((d, index) => describeLevel(d.m.track, index, d.bitrate, fourCCOptionsOf(options.fourCC)));
    const stream: StreamIndex = {
      type: g.type,
      name,
      url: `QualityLevels({bitrate})/Fragments(${name}={start time})`,
      qualityLevels,
      chunks,
    };
    if (first.timescale !== TIME_SCALE) stream.timeScale = first.timescale;
    if (g.language !== 'und') stream.language = g.language;
    if (g.type === 'video') {
      stream.maxWidth = Math.max(...tracks.map((t) => t.width ?? 0));
      stream.maxHeight = Math.max(...tracks.map((t) => t.height ?? 0));
      stream.displayWidth = stream.maxWidth;
      stream.displayHeight = stream.maxHeight;
    }
    streams.push(stream);
    for (const d of ordered) {
      levels.push({ streamName: name, bitrate: d.bitrate, track: d.m.track, chunks });
      const w = tfxdWarning(d.m.track);
      if (w) warnings.push(w);
    }
    const last = chunks[chunks.length - 1];
    if (last) {
      const end = ((last.t + last.d) * BigInt(TIME_SCALE)) / BigInt(first.timescale);
      if (end > durationEnd) durationEnd = end;
    }
  }
  const presentation: Presentation = { majorVersion: 2, minorVersion: 2, timeScale: TIME_SCALE, duration: durationEnd, streams };
  const protection = passthroughProtection(levels.map((l) => l.track), options);
  if (protection) presentation.protection = protection;
  return {
    presentation,
    manifestTimeline: options.manifestTimeline ?? DEFAULT_MANIFEST_TIMELINE,
    levels,
    duplicates,
    warnings,
  };
}

/** The client Manifest of a built presentation, its chunks listed as it was asked to. */
export function writePresentationManifest(built: Pick<BuiltPresentation, 'presentation' | 'manifestTimeline'>): string {
  return writeManifest(built.presentation, { repeat: built.manifestTimeline === 'compact' });
}

function describeLevel(track: TrackIndex, index: number, bitrate: number, fourCC: FourCCOptions): QualityLevel {
  try {
    return qualityLevelFor(track.sampleEntry, { index, bitrate, ...fourCC });
  } catch (e) {
    throw isSmoothpubError(e) ? e.withContext({ file: track.file, trackId: track.trackId }) : e;
  }
}

/** Groups tracks into streams; a track repeating another's media is left out and listed in `duplicates`. */
function groupTracks(selected: SelectedTrack[], duplicates: DuplicateTrack[]): Group[] {
  const groups: Group[] = [];
  for (const s of selected) {
    const { track } = s;
    if (track.kind === 'text') {
      // Text tracks become streams after the media ones are built (plan/textStreams.ts: splitTextTracks, loadTextTrack, addTextStreams), as loadPresentation does.
      throw new SmoothpubError(ErrorCode.UNSUPPORTED_INPUT, `text track (${track.codec}) given to buildPresentation: split text tracks off first (splitTextTracks) and add them with addTextStreams, or use loadPresentation`, {
        file: track.file,
        trackId: track.trackId,
      });
    }
    const language = s.language ?? track.language;
    const key = track.kind === 'video' ? 'video' : `audio:${s.trackName ?? language}`;
    let g = groups.find((x) => x.key === key);
    if (!g) {
      g = { type: track.kind, key, language, members: [] };
      if (s.trackName !== undefined) g.name = s.trackName;
      groups.push(g);
    }
    // The same audio muxed into every video file is one rendition, not several.
    const twin = track.kind === 'audio' ? g.members.find((m) => sameMedia(m.track, track)) : undefined;
    if (twin) {
      duplicates.push({ track, sameAs: twin.track });
      continue;
    }
    g.members.push(s);
  }
  return groups.sort((a, b) => (a.type === b.type ? 0 : a.type === 'video' ? -1 : 1));
}

function sameMedia(a: TrackIndex, b: TrackIndex): boolean {
  return a.fragments.length === b.fragments.length && a.fragments.every((f, i) => f.size === b.fragments[i]!.size && f.time === b.fragments[i]!.time);
}

/** The URL is keyed by bitrate, so two levels of one stream never share one. */
function assignBitrates(members: SelectedTrack[]): number[] {
  const used = new Set<number>();
  return members.map((m) => {
    let b = Math.max(1, m.systemBitrate ?? m.track.measuredBitrate);
    while (used.has(b)) b++;
    used.add(b);
    return b;
  });
}
