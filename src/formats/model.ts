import type { FormatProtection } from '../protect/signalling.js';
import type { DolbySignal } from './dolbySignal.js';
import type { Presentation } from '../smooth/model.js';
import type { TextSubtype } from '../text/model.js';

/**
 * The output formats of one presentation. Smooth is always the base: DASH and HLS are
 * small documents (and one init segment a quality level) beside the same fragment objects.
 */
export type Format = 'smooth' | 'dash' | 'hls';

export const FORMATS: readonly Format[] = ['smooth', 'dash', 'hls'];

/** What `--formats` means when not given: Smooth alone, output byte for byte as before. */
export const DEFAULT_FORMATS: readonly Format[] = ['smooth'];

/**
 * The track ID of every DASH/HLS init segment and of the fragments served with it. The
 * levels of one stream may come from tracks of different IDs (several video tracks in one
 * file); players that switch levels by appending the new level's init segment to the same
 * demuxer stop when the new `moov` and `tfhd` name another track (GStreamer's `dashdemux`
 * hangs after the switch, docs/architecture.md). Shaka Packager writes 1 too.
 */
export const CMAF_TRACK_ID = 1;

/** One quality level as the DASH and HLS writers need it, beyond the Smooth model. */
export interface FormatLevel {
  /** The StreamIndex it belongs to and its Smooth bitrate (the `$Bandwidth$` of its URLs). */
  streamName: string;
  bitrate: number;
  /** RFC 6381 codecs parameter: `avc1.64001f`, `mp4a.40.2`. */
  codecs: string;
  /** Video: frames per second as DASH writes it, `24` or `30000/1001`. */
  frameRate?: string;
  /** Video: the sample aspect ratio, `1:1`. */
  sar?: string;
  /** Bytes of each chunk's fragment, in chunk order (HLS peak and average bandwidth). */
  sizes: ArrayLike<number>;
  /** AC-3/E-AC-3: the channel map and JOC the MPD and playlists signal (formats/dolbySignal.ts). */
  dolby?: DolbySignal;
  /** A text level: what DASH and HLS say of it. */
  text?: FormatText;
}

/** How DASH and HLS describe a text level. */
export interface FormatText {
  /** DASH Role `caption` (CAPT) or `subtitle` (SUBT); HLS lists both as SUBTITLES. */
  subtype: TextSubtype;
  /** DASH `Label`, HLS `NAME`. */
  label?: string;
  /**
   * Converted from a subtitle file: DASH has fragments of its own (TTML on the track's
   * timeline, textFragmentKey 'dash') and HLS WebVTT segments (textFragmentKey 'hls').
   * A text track passed through from its source: DASH takes the Smooth fragments and HLS
   * leaves it out.
   */
  converted: boolean;
}

/**
 * A presentation as DASH and HLS describe it: the Smooth model (streams, chunk timelines
 * in the presentation timescale, quality levels) plus per-level facts it does not carry.
 */
export interface FormatPresentation {
  presentation: Presentation;
  levels: FormatLevel[];
  /** Common Encryption of the streams: the MPD and the playlists signal it (protect/signalling.ts signallingFor). */
  protection?: FormatProtection;
}
