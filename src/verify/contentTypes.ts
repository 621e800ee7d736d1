import type { Format } from '../formats/model.js';
import { MPD_CONTENT_TYPE, PLAYLIST_CONTENT_TYPE } from '../formats/names.js';

/**
 * The media types a player accepts for each format's documents: ISO/IEC 23009-1 Annex C for
 * the MPD; RFC 8216 section 4 for playlists (either name). What a player does with another
 * type is up to it; a Smooth Manifest has no registered type and is not checked.
 */
const ACCEPTED: Partial<Record<Format, { said: string; accepted: string[] }>> = {
  dash: { said: MPD_CONTENT_TYPE, accepted: [MPD_CONTENT_TYPE] },
  hls: { said: PLAYLIST_CONTENT_TYPE, accepted: [PLAYLIST_CONTENT_TYPE, 'audio/mpegurl'] },
};

/** Reports a DASH or HLS document answered with a Content-Type its players do not take. */
export function checkContentType(format: Format, headers: Headers, problem: (message: string) => void): void {
  const rule = ACCEPTED[format];
  if (rule === undefined) return;
  const found = headers.get('content-type');
  const type = found?.split(';')[0]!.trim().toLowerCase();
  if (type !== undefined && rule.accepted.includes(type)) return;
  problem(`expected Content-Type ${rule.said}, found ${found === null ? 'none' : JSON.stringify(found)}`);
}
