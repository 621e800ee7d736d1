import type { Format } from '../formats/model.js';
import { VerifyCode } from './problem.js';
import type { VerifySession } from './session.js';

/** A URL without its query: the Smooth Manifest's SAS token rides on its fragments' URLs, a player's DASH and HLS URLs carry none. */
function objectName(url: string): string {
  const u = new URL(url);
  u.search = '';
  u.hash = '';
  return u.href;
}

/** A DASH text fragment of its own (formats/names.ts textFragmentKey), percent-encoded or not. */
const TEXT_OBJECT = /Fragments(?:\(|%28)[^/]*(?:,|%2C)format=mpd-time-cmaf(?:\)|%29)$/i;

const DOCUMENT: Record<'dash' | 'hls', string> = { dash: 'any Representation of the MPD', hls: 'any media playlist' };
const NAMED_BY: Record<'dash' | 'hls', string> = { dash: 'the MPD', hls: 'a media playlist' };

/**
 * DASH and HLS are the Smooth fragment objects under other documents: the MPD must name
 * every fragment of the Manifest and no other object, and so must the media playlists for
 * the video and audio streams (HLS leaves text streams out).
 */
export function compareFragmentSets(session: VerifySession, verified: { dash: boolean; hls: boolean }): void {
  const namedBy = new Map<string, Set<Format>>();
  for (const o of session.fragments.values()) {
    const name = objectName(o.url);
    const formats = namedBy.get(name) ?? new Set<Format>();
    for (const e of o.expectations) formats.add(e.format);
    namedBy.set(name, formats);
  }
  for (const o of session.fragments.values()) {
    const formats = namedBy.get(objectName(o.url))!;
    const smooth = o.expectations.find((e) => e.format === 'smooth');
    for (const f of ['dash', 'hls'] as const) {
      if (!verified[f]) continue;
      // Text converted from a subtitle file has objects of its own per format (TTML timed
      // differently, WebVTT): its Smooth fragments are for Smooth clients alone.
      if (smooth !== undefined && !formats.has(f) && smooth.expected.streamType !== 'text') {
        session.problem(o.order, o.url, VerifyCode.FORMAT_MISMATCH, `named by the Smooth Manifest but not by ${DOCUMENT[f]}: ${f === 'dash' ? 'DASH' : 'HLS'} players never fetch it`, [f]);
      }
      if (smooth === undefined && o.expectations.some((e) => e.format === f) && !formats.has('smooth') && !TEXT_OBJECT.test(new URL(o.url).pathname)) {
        session.problem(o.order, o.url, VerifyCode.FORMAT_MISMATCH, `named by ${NAMED_BY[f]} but not by the Smooth Manifest: DASH and HLS must name the Smooth fragment objects themselves`, [f]);
      }
    }
  }
}
