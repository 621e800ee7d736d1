import type { Format } from './model.js';

/**
 * Object keys, relative to the presentation root (`<name>.ism/`), of what DASH and HLS add
 * beside the Smooth `Manifest` and `QualityLevels(b)/Fragments(s=t)`. The fragments are
 * the same objects for all three formats.
 */

/** The DASH MPD. */
export const MPD_KEY = 'manifest.mpd';
/** The HLS multivariant ("master") playlist. */
export const MASTER_PLAYLIST_KEY = 'master.m3u8';

/**
 * The same documents under the names a media-services streaming endpoint answered, so that
 * existing player configurations keep working. Object stores are case-sensitive, so the
 * lower-case `manifest` is the Smooth Manifest once more.
 */
export const ALIASES: Readonly<Record<Format, readonly string[]>> = {
  smooth: ['manifest'],
  dash: ['manifest(format=mpd-time-csf)', 'manifest(format=mpd-time-cmaf)'],
  // m3u8-aapl meant MPEG-TS segments there; here every HLS segment is fMP4.
  hls: ['manifest(format=m3u8-cmaf)', 'manifest(format=m3u8-aapl)'],
};

/** Init segment of one quality level (`ftyp` + `moov`), beside its fragments. */
export function initKey(streamName: string, bitrate: number): string {
  return initKeyWith(streamName, String(bitrate));
}

/**
 * The init segment key with any text in the bitrate's place: a template such as DASH's
 * `QualityLevels($Bandwidth$)/Fragments(video=i)` that resolves to `initKey`.
 */
export function initKeyWith(streamName: string, bitrate: string): string {
  return `QualityLevels(${bitrate})/Fragments(${streamName}=i)`;
}

/**
 * The text objects DASH and HLS cannot share with Smooth, named as media services named a
 * text fragment in another format: `QualityLevels(b)/Fragments(textstream_eng=t,format=mpd-time-cmaf)`
 * holds TTML on the track's timeline in fMP4 (DASH `stpp`), `...,format=m3u8-aapl)` a
 * WebVTT segment (HLS). The Smooth fragment at `Fragments(textstream_eng=t)` has TTML
 * timed from the fragment's start.
 */
export const TEXT_FORMATS = { dash: 'mpd-time-cmaf', hls: 'm3u8-aapl' } as const;
export type TextFormat = keyof typeof TEXT_FORMATS;

export function textFragmentKey(streamName: string, bitrate: number, time: bigint, format: TextFormat): string {
  return textFragmentKeyWith(streamName, String(bitrate), time.toString(), format);
}

/** The text fragment key with any text in the bitrate's and time's places (DASH's `$Bandwidth$`, `$Time$`). */
export function textFragmentKeyWith(streamName: string, bitrate: string, time: string, format: TextFormat): string {
  return `QualityLevels(${bitrate})/Fragments(${streamName}=${time},format=${TEXT_FORMATS[format]})`;
}

export const WEBVTT_CONTENT_TYPE = 'text/vtt; charset=utf-8';

/** HLS media playlist of one quality level, at the root so it names fragments by their Smooth keys. */
export function mediaPlaylistKey(streamName: string, bitrate: number): string {
  return `${streamName}-${bitrate}.m3u8`;
}

export const MPD_CONTENT_TYPE = 'application/dash+xml';
export const PLAYLIST_CONTENT_TYPE = 'application/vnd.apple.mpegurl';

/** A DASH or HLS object asked for by its path under `<name>.ism/` (the origin answers these). */
export type FormatUrl =
  | { kind: 'mpd' }
  | { kind: 'master' }
  | { kind: 'media-playlist'; streamName: string; bitrate: number }
  | { kind: 'init'; streamName: string; bitrate: number }
  | { kind: 'text'; streamName: string; bitrate: number; time: bigint; format: TextFormat };

const MANIFEST_FORMAT = /^manifest\(format=(mpd-time-csf|mpd-time-cmaf|m3u8-cmaf|m3u8-aapl)\)(\.mpd|\.m3u8)?$/i;
const MEDIA_PLAYLIST = /^([A-Za-z0-9_.-]{1,128})-([0-9]{1,10})\.m3u8$/;
const TEXT = /^QualityLevels\(([0-9]{1,10})\)\/Fragments\(([A-Za-z0-9_.-]{1,128})=([0-9]{1,20}),format=(mpd-time-cmaf|m3u8-aapl)\)$/i;
const INIT = /^QualityLevels\(([0-9]{1,10})\)\/Fragments\(([A-Za-z0-9_.-]{1,128})=i\)$/i;

/**
 * Parses a path relative to the `.ism/` root as one of the objects DASH and HLS add:
 * `manifest.mpd`, `master.m3u8`, the media-services forms `manifest(format=...)` in any
 * case (with `.mpd`/`.m3u8` after them, as some players need), media playlists and init
 * segments. Null for anything else.
 */
export function parseFormatUrl(path: string): FormatUrl | null {
  if (path === MPD_KEY) return { kind: 'mpd' };
  if (path === MASTER_PLAYLIST_KEY) return { kind: 'master' };
  const doc = MANIFEST_FORMAT.exec(path);
  if (doc) return doc[1]!.toLowerCase().startsWith('mpd') ? { kind: 'mpd' } : { kind: 'master' };
  const media = MEDIA_PLAYLIST.exec(path);
  if (media) return level('media-playlist', media[1]!, media[2]!);
  const init = INIT.exec(path);
  if (init) return level('init', init[2]!, init[1]!);
  const text = TEXT.exec(path);
  if (text) return textFragment(text[2]!, text[1]!, text[3]!, text[4]!.toLowerCase() === TEXT_FORMATS.dash ? 'dash' : 'hls');
  return null;
}

function textFragment(streamName: string, bitrateText: string, timeText: string, format: TextFormat): FormatUrl | null {
  const at = level('init', streamName, bitrateText);
  const time = BigInt(timeText);
  // Canonical decimals only, as for Smooth URLs.
  if (at?.kind !== 'init' || time.toString() !== timeText || time >= 1n << 63n) return null;
  return { kind: 'text', streamName: at.streamName, bitrate: at.bitrate, time, format };
}

function level(kind: 'media-playlist' | 'init', streamName: string, bitrateText: string): FormatUrl | null {
  const bitrate = Number(bitrateText);
  // Canonical decimals only, as for Smooth URLs: one object, one name.
  if (String(bitrate) !== bitrateText || bitrate > 0xffffffff || /^\.+$/.test(streamName)) return null;
  return { kind, streamName, bitrate };
}
