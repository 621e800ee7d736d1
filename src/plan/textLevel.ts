import type { TextSubtype } from '../text/model.js';

/**
 * What a sidecar text level carries beyond its Smooth fragments: the objects DASH and HLS
 * cannot share with Smooth (TTML times are relative to the fragment's start for Smooth
 * clients, on the track's timeline for DASH `stpp`; HLS takes WebVTT).
 */
export interface TextLevel {
  subtype: TextSubtype;
  label?: string;
  /** DASH: the `stpp` init segment. */
  init: Uint8Array;
  /** DASH: chunk i's `moof`+`mdat`, its TTML on the track's timeline (ISO/IEC 14496-30). */
  dash: Uint8Array[];
  /** HLS: chunk i's WebVTT segment. */
  webVtt: string[];
  /** Cues in the file, and how many of them fall inside the presentation's timeline. */
  cues: number;
  /**
   * The Smooth fragments were made here from cues (a subtitle file, a tx3g track): the
   * level's track has no `moov` of its own to copy (a passed-through track does).
   */
  converted?: true;
  /** Converted from a tx3g track: its ID in `track.file` (the level's own track is the made TTML one). */
  sourceTrackId?: number;
}
