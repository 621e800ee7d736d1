import { ErrorCode, SmoothpubError } from '../errors.js';
import type { SourceIndex, TrackIndex } from '../fragments/types.js';
import type { TextSubtype } from '../text/model.js';

/** What the user asked for: a whole file, or one track of it (a `.ism` entry). */
export interface InputEntry {
  file: string;
  kind?: 'video' | 'audio' | 'text';
  trackId?: number;
  systemBitrate?: number;
  trackName?: string;
  language?: string;
  /** A text track's Smooth Subtype, as the `.ism` (or the `.ismc` beside it) says. */
  subtype?: TextSubtype;
}

/** A track chosen for the presentation, with what the `.ism` said about it. */
export interface SelectedTrack {
  track: TrackIndex;
  systemBitrate?: number;
  trackName?: string;
  language?: string;
  subtype?: TextSubtype;
}

/** Picks the tracks the entries name, in entry order. */
export function selectTracks(entries: readonly InputEntry[], indexes: ReadonlyMap<string, SourceIndex>): SelectedTrack[] {
  const out: SelectedTrack[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    const ix = indexes.get(e.file);
    if (!ix) throw new Error(`internal: ${e.file} was not indexed`);
    let tracks = ix.tracks;
    if (e.trackId !== undefined) {
      tracks = tracks.filter((t) => t.trackId === e.trackId);
      if (tracks.length === 0) {
        const have = ix.tracks.map((t) => `${t.trackId} (${t.kind})`).join(', ') || 'none';
        throw new SmoothpubError(ErrorCode.BAD_ISM, `trackID ${e.trackId} is not in this file; it has tracks ${have}`, { file: e.file });
      }
    }
    if (e.kind !== undefined) {
      const kind = e.kind;
      const matching = tracks.filter((t) => t.kind === kind);
      if (matching.length === 0) {
        throw new SmoothpubError(ErrorCode.BAD_ISM, `the .ism lists this file as ${kind}, but it has no ${kind} track${e.trackId !== undefined ? ` with trackID ${e.trackId}` : ''}`, { file: e.file });
      }
      tracks = matching;
    }
    if (tracks.length === 0) throw new SmoothpubError(ErrorCode.NO_TRACKS, 'no audio or video track with fragments', { file: e.file });
    for (const track of tracks) {
      const key = `${track.file}#${track.trackId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const s: SelectedTrack = { track };
      if (e.systemBitrate !== undefined) s.systemBitrate = e.systemBitrate;
      if (e.trackName !== undefined) s.trackName = e.trackName;
      if (e.language !== undefined) s.language = e.language;
      if (e.subtype !== undefined && track.kind === 'text') s.subtype = e.subtype;
      out.push(s);
    }
  }
  return out;
}
