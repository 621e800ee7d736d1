/**
 * Text tracks (captions and subtitles) as smoothpub converts them: a list of cues with
 * the styling WebVTT and TTML both express. Readers (WebVTT, SRT, TTML) produce cues;
 * writers make a TTML document or a WebVTT segment for one fragment's window. Times are
 * integer milliseconds from the start of the track's timeline: every format here is
 * exact to the millisecond, and none of the three needs finer.
 */

/** A run of text with one style; a line break is its own run. */
export type TextRun =
  | { text: string; bold?: boolean; italic?: boolean; underline?: boolean; color?: string }
  | { lineBreak: true };

/** Where a cue sits, where the source says so; players' defaults otherwise. */
export interface CuePlacement {
  /** Line alignment: WebVTT `align`, TTML `tts:textAlign`. */
  align?: 'start' | 'center' | 'end' | 'left' | 'right';
  /** Vertical position of the cue box as a percentage of the video height (WebVTT `line:NN%`, TTML region origin). */
  linePercent?: number;
  /**
   * Which edge of the cue box `linePercent` places (WebVTT `line:NN%,end`; TTML
   * `tts:displayAlign` after/center/before); `start` (the top) when absent.
   */
  lineAlign?: 'start' | 'center' | 'end';
  /** Horizontal position of the cue box as a percentage of the video width (WebVTT `position:NN%`). */
  positionPercent?: number;
  /** Width of the cue box as a percentage of the video width (WebVTT `size:NN%`, TTML region extent). */
  sizePercent?: number;
}

export interface Cue {
  /** Integer milliseconds on the track's timeline; `end > start`. */
  start: number;
  end: number;
  /** WebVTT cue identifier or TTML `xml:id`, when the source gave one. */
  id?: string;
  runs: TextRun[];
  placement?: CuePlacement;
}

/** The subtitle file formats smoothpub reads. */
export type SubtitleFormat = 'webvtt' | 'srt' | 'ttml';

/** Smooth's text stream Subtype: captions (CAPT, for the deaf and hard of hearing) or subtitles (SUBT). */
export type TextSubtype = 'CAPT' | 'SUBT';

/**
 * How a TTML document for one fragment states its times (the formats disagree):
 * `fragment` relative to the fragment's start (what dash.js's Smooth support reads),
 * `track` on the track's timeline (DASH `stpp`, ISO/IEC 14496-30).
 */
export type TtmlTimeBase = 'fragment' | 'track';

/** One fragment's window of a text track: the cues that overlap it, in milliseconds. */
export interface TextWindow {
  start: number;
  end: number;
  cues: Cue[];
}
