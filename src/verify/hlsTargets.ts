import { isSmoothpubError } from '../errors.js';
import { checkHlsRules } from '../formats/hls/checkHlsRules.js';
import type { HlsMediaPlaylist, HlsMultivariantPlaylist } from '../formats/hls/playlistModel.js';
import { readMediaPlaylist, readPlaylist } from '../formats/hls/readPlaylists.js';
import { runAll } from '../util/runAll.js';
import { checkContentType } from './contentTypes.js';
import { VerifyCode } from './problem.js';
import type { HlsTrack, VerifySession } from './session.js';

/** A multivariant playlist read against its URL, or undefined after reporting why it cannot be verified. */
export function readHlsDocument(text: string, url: string, problem: (message: string) => void): HlsMultivariantPlaylist | undefined {
  try {
    const p = readPlaylist(text, { uri: url });
    if (p.kind === 'media') return void problem('expected a multivariant playlist (EXT-X-STREAM-INF), found a media playlist: give the master.m3u8 URL, which names every media playlist');
    return p;
  } catch (e) {
    if (!isSmoothpubError(e)) throw e;
    return void problem(e.message);
  }
}

/** The media playlists a multivariant playlist names, as fetched. */
export interface HlsDocuments {
  /** Every playlist named (variants, then renditions), once each, resolved. */
  named: string[];
  /** The order of each named playlist's problems. */
  orders: number[];
  /** Those read, by resolved URL. */
  medias: Map<string, HlsMediaPlaylist>;
  /** Their segments as named to the session (filled by addHlsTargets). */
  tracks: HlsTrack[];
  /** WebVTT segments of SUBTITLES renditions, fetched and checked as text (not fMP4 fragments). */
  subtitleSegments?: { url: string; order: number }[];
}

/** Fetches and reads every media playlist the multivariant playlist names. */
export async function fetchMediaPlaylists(session: VerifySession, master: HlsMultivariantPlaylist, concurrency: number): Promise<HlsDocuments> {
  const named: string[] = [];
  for (const v of master.variants) if (!named.includes(v.resolvedUri)) named.push(v.resolvedUri);
  for (const r of master.renditions) if (r.resolvedUri !== undefined && !named.includes(r.resolvedUri)) named.push(r.resolvedUri);
  const orders = named.map(() => session.nextOrder());
  const medias = new Map<string, HlsMediaPlaylist>();
  await runAll(
    named,
    concurrency,
    async (url, i) => {
      const order = orders[i]!;
      const doc = await session.fetchDocument(url, 'the media playlist', order, ['hls']);
      if (!doc) return;
      checkContentType('hls', doc.headers, (m) => session.problem(order, url, VerifyCode.CONTENT_TYPE, m, ['hls']));
      try {
        medias.set(url, readMediaPlaylist(doc.text, { uri: url }));
      } catch (e) {
        if (!isSmoothpubError(e)) throw e;
        session.problem(order, url, VerifyCode.MANIFEST, e.message, ['hls']);
      }
    },
    session.fetchSettings.signal,
  );
  // Read in the master's order whatever order they arrived in.
  const ordered = new Map<string, HlsMediaPlaylist>();
  for (const url of named) if (medias.has(url)) ordered.set(url, medias.get(url)!);
  return { named, orders, medias: ordered, tracks: [] };
}

/**
 * Checks the playlists against the HLS rules (RFC 8216 and the authoring rules
 * `checkHlsRules` knows), and names every init segment (`EXT-X-MAP`) and segment to the
 * session with its EXTINF.
 */
export function addHlsTargets(session: VerifySession, master: HlsMultivariantPlaylist, masterUrl: string, docOrder: number, docs: HlsDocuments): void {
  const { named, orders, medias } = docs;
  for (const p of checkHlsRules(master, medias)) {
    // Every playlist named was fetched: one missing is reported with its HTTP status already.
    if (p.rule === 'missing-playlist') continue;
    const url = p.playlist === 'master' ? masterUrl : p.playlist;
    const order = url === masterUrl ? docOrder : (orders[named.indexOf(url)] ?? docOrder);
    session.problem(order, url, VerifyCode.HLS_RULE, `${p.rule}${p.line === undefined ? '' : ` (line ${p.line})`}: ${p.message}`, ['hls']);
  }

  const subtitles = new Set(master.renditions.filter((r) => r.type === 'SUBTITLES' && r.resolvedUri !== undefined).map((r) => r.resolvedUri!));
  named.forEach((url, i) => {
    const m = medias.get(url);
    if (!m) return;
    if (subtitles.has(url)) {
      docs.subtitleSegments = [...(docs.subtitleSegments ?? []), ...m.segments.map((s) => ({ url: s.resolvedUri, order: orders[i]! }))];
      return;
    }
    const track: HlsTrack = { url, extinfs: [], results: [], orders: [], urls: [] };
    docs.tracks.push(track);
    const name = url.slice(url.lastIndexOf('/') + 1);
    let ranged = false;
    for (const s of m.segments) {
      if (s.byteRange !== undefined || s.map?.byteRange !== undefined) {
        ranged = true;
        continue;
      }
      const init = s.map === undefined ? undefined : session.addInit(s.map.resolvedUri, { format: 'hls', where: `playlist ${name}` });
      const o = session.addFragment(s.resolvedUri, { format: 'hls', track, index: track.extinfs.length, init });
      track.extinfs.push(s.durationText);
      track.orders.push(o.order);
      track.urls.push(s.resolvedUri);
    }
    if (ranged) {
      session.problem(orders[i]!, url, VerifyCode.MANIFEST, 'byte-range segments (EXT-X-BYTERANGE, EXT-X-MAP BYTERANGE) are not verified: smoothpub checks whole objects', ['hls']);
    }
  });
}

/** Each WebVTT segment of the SUBTITLES renditions: fetched whole, and it must be WebVTT (RFC 8216 3.5). */
export async function verifyWebVttSegments(session: VerifySession, docs: HlsDocuments, concurrency: number): Promise<void> {
  await runAll(
    docs.subtitleSegments ?? [],
    concurrency,
    async ({ url, order }) => {
      const doc = await session.fetchDocument(url, 'the WebVTT segment', order, ['hls']);
      if (doc && !/^\uFEFF?WEBVTT(?:[ \t\r\n]|$)/.test(doc.text)) {
        session.problem(order, url, VerifyCode.MANIFEST, `expected a WebVTT segment (a SUBTITLES rendition's), found ${JSON.stringify(doc.text.slice(0, 16))}`, ['hls']);
      }
    },
    session.fetchSettings.signal,
  );
}
