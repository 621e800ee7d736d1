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

/** HLS media playlist of one quality level, at the root so it names fragments by their Smooth keys. */
export function mediaPlaylistKey(streamName: string, bitrate: number): string {
  return `${streamName}-${bitrate}.m3u8`;
}

export const MPD_CONTENT_TYPE = 'application/dash+xml';
export const PLAYLIST_CONTENT_TYPE = 'application/vnd.apple.mpegurl';
