import type { Mpd } from '../formats/dash/readMpd.js';
import type { Limiter } from '../util/limiter.js';
import type { HlsMultivariantPlaylist } from '../formats/hls/playlistModel.js';
import { FORMATS, type Format } from '../formats/model.js';
import { MASTER_PLAYLIST_KEY, MPD_KEY } from '../formats/names.js';
import type { Presentation } from '../smooth/model.js';
import { checkAliases } from './checkAliases.js';
import { checkPolicyFiles } from './checkPolicy.js';
import { checkHlsTrack } from './checkSegmentTiming.js';
import { checkContentType } from './contentTypes.js';
import { crawlObjects } from './crawlObjects.js';
import { addDashTargets, readDashDocument } from './dashTargets.js';
import { documentFormat, parseDocumentUrl } from './documentUrl.js';
import { addHlsTargets, fetchMediaPlaylists, readHlsDocument, verifyWebVttSegments, type HlsDocuments } from './hlsTargets.js';
import { compareFragmentSets } from './compareFragmentSets.js';
import { objectUrl, redactUrl } from './manifestUrl.js';
import { VerifyCode, type VerifyProblem } from './problem.js';
import { VerifySession, type FetchSettings } from './session.js';
import type { ProtectionHeader } from '../smooth/model.js';
import { addSmoothTargets, checkSmoothTracks, readSmoothDocument } from './smoothTargets.js';

export interface VerifyProgress {
  checked: number;
  total: number;
  problems: number;
}

export interface VerifyOptions {
  /** Objects fetched at once; default 16. */
  concurrency?: number;
  /**
   * Verify these formats' documents at their standard names in the URL's folder (the
   * presentation root: `Manifest`, `manifest.mpd`, `master.m3u8`) and their media-services
   * aliases, and check that DASH and HLS name exactly the Smooth fragment objects. Without
   * it, only the document at the URL is verified.
   */
  formats?: readonly Format[];
  /** Also require clientaccesspolicy.xml and crossdomain.xml at the host root. */
  checkPolicy?: boolean;
  /** Send this Origin (e.g. `https://player.example`) and require CORS to allow it. */
  origin?: string;
  signal?: AbortSignal;
  onProgress?: (p: VerifyProgress) => void;
  fetch?: typeof fetch;
  /** Longest wait for response headers or the next piece of a body; default 30 s. */
  timeoutMs?: number;
  /** Further attempts after a network error, timeout, 429 or 5xx; default 3. */
  retries?: number;
  /** First retry delay, doubled per attempt with jitter; default 250 ms. */
  retryDelayMs?: number;
  /** Fetches in flight shared with other presentations verified at the same time (a library); replaces `concurrency`. */
  limiter?: Limiter;
  /** `--protection-header`: the Smooth Manifest must carry exactly these protection headers (an already-protected presentation). */
  protectionHeaders?: readonly ProtectionHeader[];
}

/** What one format's documents named, and how many problems concern it. */
export interface VerifyFormatCounts {
  /** Documents read: the Manifest, the MPD, the multivariant and media playlists, and aliases that matched. */
  documents: number;
  initSegments: number;
  fragments: number;
  problems: number;
}

export interface VerifyReport {
  ok: boolean;
  /** As given, with secrets in its query redacted. */
  manifestUrl: string;
  /** Smooth StreamIndexes; without a Manifest, DASH AdaptationSets; else HLS media playlists. */
  streams: number;
  /** Fragment objects fetched, each once however many formats name it. */
  fragments: number;
  /** Init segments fetched (DASH, HLS). */
  initSegments: number;
  /** Fragment and init segment body bytes received. */
  bytes: number;
  seconds: number;
  /**
   * Every missing or corrupt document or object: documents first, then objects in the
   * order their documents name them (streams, levels, chunks).
   */
  problems: VerifyProblem[];
  /** Each format verified. */
  formats: Partial<Record<Format, VerifyFormatCounts>>;
}

export const DEFAULT_VERIFY_CONCURRENCY = 16;

/** Why the Manifest's `<Protection>` is not the one expected (SystemIDs compared without case or dashes), or undefined. */
function checkProtectionHeaders(found: readonly ProtectionHeader[], expected: readonly ProtectionHeader[]): string | undefined {
  const id = (s: string): string => s.replace(/-/g, '').toLowerCase();
  const same = found.length === expected.length && expected.every((e, i) => id(e.systemId) === id(found[i]!.systemId) && e.data === found[i]!.data);
  if (same) return undefined;
  const describe = (hs: readonly ProtectionHeader[]): string => (hs.length === 0 ? 'none' : hs.map((h) => `${h.systemId} (${h.data.length} base64 characters)`).join(', '));
  return `the Manifest's protection headers are ${describe(found)}, --protection-header expects ${describe(expected)}`;
}

const CANONICAL: Record<Format, string> = { smooth: 'Manifest', dash: MPD_KEY, hls: MASTER_PLAYLIST_KEY };
const WHAT: Record<Format, string> = { smooth: 'the Manifest', dash: 'the MPD', hls: 'the multivariant playlist' };
const DESCRIPTION: Record<Format, string> = { smooth: 'a Smooth Manifest', dash: 'a DASH MPD', hls: 'an HLS playlist' };

/** One document read, by format. */
interface Documents {
  smooth?: { presentation: Presentation; order: number; url: string; bytes: Uint8Array };
  dash?: { mpd: Mpd; order: number; url: string; bytes: Uint8Array };
  hls?: { master: HlsMultivariantPlaylist; order: number; url: string; bytes: Uint8Array; playlists: HlsDocuments };
}

/**
 * Fetches a published presentation back like a player would: its document (a Smooth
 * Manifest, a DASH MPD or an HLS multivariant playlist with its media playlists, told
 * apart by content), then every init segment and fragment it names, checking each body is
 * what its document says (status, length, moof + mdat, track, time, duration; `tfdt`
 * against the MPD's timeline and the playlists' EXTINFs). With `formats`, every format's
 * document beside it, sharing the fragment fetches. Problems are values in the report;
 * only a malformed URL (smooth.bad-url) or an abort throws.
 */
export async function verifyPresentation(manifestUrl: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  const loc = parseDocumentUrl(manifestUrl, options.formats !== undefined && options.formats.length > 0);
  const fetchSettings: FetchSettings = {
    fetch: options.fetch ?? globalThis.fetch,
    timeoutMs: options.timeoutMs ?? 30_000,
    retries: options.retries ?? 3,
    retryDelayMs: options.retryDelayMs ?? 250,
    ...(options.signal && { signal: options.signal }),
  };
  // Identity: Content-Length must then be the body's length, which is checked.
  const headers: Record<string, string> = { 'accept-encoding': 'identity', ...(options.origin !== undefined && { origin: options.origin }) };
  const session = new VerifySession(fetchSettings, headers, options.origin, options.limiter, options.signal);
  const concurrency = options.limiter?.size ?? options.concurrency ?? DEFAULT_VERIFY_CONCURRENCY;
  const asked = options.formats !== undefined && options.formats.length > 0 ? FORMATS.filter((f) => options.formats!.includes(f)) : undefined;

  // Documents first: those asked for at their standard names, or the one given.
  const docs: Documents = {};
  const verified: Format[] = [];
  const documentCounts = new Map<Format, number>();
  const counted = (f: Format, n = 1): void => void documentCounts.set(f, (documentCounts.get(f) ?? 0) + n);
  const targets = asked ? asked.map((f) => ({ url: objectUrl(loc, CANONICAL[f]), expected: f as Format | undefined })) : [{ url: loc.manifest.href, expected: loc.named === 'root' ? undefined : loc.named }];
  for (const target of targets) {
    const order = session.nextOrder();
    const hint = target.expected;
    const fetched = await session.fetchDocument(target.url, hint === undefined ? 'the document' : WHAT[hint], order, hint === undefined ? [] : [hint]);
    if (!fetched) {
      if (hint !== undefined) verified.push(hint);
      continue;
    }
    const found = documentFormat(fetched.text);
    const format = asked ? hint! : (found ?? hint);
    if (format === undefined) {
      session.problem(order, target.url, VerifyCode.MANIFEST, `expected a Smooth Manifest, a DASH MPD or an HLS multivariant playlist, found ${JSON.stringify(fetched.text.slice(0, 40))}`, []);
      continue;
    }
    verified.push(format);
    const problem = (message: string): void => session.problem(order, target.url, VerifyCode.MANIFEST, message, [format]);
    if (asked && found !== undefined && found !== format) {
      problem(`expected ${DESCRIPTION[format]} at ${CANONICAL[format]}, found ${DESCRIPTION[found]}`);
      continue;
    }
    if (format !== 'smooth') checkContentType(format, fetched.headers, (m) => session.problem(order, target.url, VerifyCode.CONTENT_TYPE, m, [format]));
    const bytes = fetched.bytes;
    if (format === 'smooth') {
      if (!/\/manifest$/i.test(new URL(target.url).pathname)) {
        problem('a Smooth Manifest must be at a URL ending in /Manifest: clients find the fragments by stripping that from it');
        continue;
      }
      const presentation = readSmoothDocument(fetched.text, problem);
      if (presentation) docs.smooth = { presentation, order, url: target.url, bytes };
    } else if (format === 'dash') {
      const mpd = readDashDocument(fetched.text, target.url, problem);
      if (mpd) docs.dash = { mpd, order, url: target.url, bytes };
    } else {
      const master = readHlsDocument(fetched.text, target.url, problem);
      if (master) docs.hls = { master, order, url: target.url, bytes, playlists: await fetchMediaPlaylists(session, master, concurrency) };
    }
    if (docs[format]) counted(format);
  }
  if (docs.hls) counted('hls', docs.hls.playlists.medias.size);
  if (asked) {
    const matched = await checkAliases(session, loc, asked, { smooth: docs.smooth?.bytes, dash: docs.dash?.bytes, hls: docs.hls?.bytes }, concurrency);
    for (const f of asked) counted(f, matched.get(f) ?? 0);
  }
  if (options.checkPolicy) {
    const order = session.nextOrder();
    for (const p of await checkPolicyFiles(loc, fetchSettings)) session.problem(order, p.url, p.code, p.message, verified);
  }

  // Then every object they name, each once.
  const smoothLevels = docs.smooth ? addSmoothTargets(session, docs.smooth.presentation, loc, docs.smooth.order) : [];
  if (docs.smooth && options.protectionHeaders !== undefined) {
    const problem = checkProtectionHeaders(docs.smooth.presentation.protection ?? [], options.protectionHeaders);
    if (problem !== undefined) session.problem(docs.smooth.order, loc.manifest.href, VerifyCode.MANIFEST, problem, ['smooth']);
  }
  if (docs.dash) addDashTargets(session, docs.dash.mpd, docs.dash.url, docs.dash.order);
  if (docs.hls) {
    addHlsTargets(session, docs.hls.master, docs.hls.url, docs.hls.order, docs.hls.playlists);
    await verifyWebVttSegments(session, docs.hls.playlists, concurrency);
  }
  if (docs.smooth && (docs.dash || docs.hls)) compareFragmentSets(session, { dash: docs.dash !== undefined, hls: docs.hls !== undefined });

  const crawled = await crawlObjects(session, concurrency, options.onProgress);
  for (const level of smoothLevels) checkSmoothTracks(session, level);
  for (const track of docs.hls?.playlists.tracks ?? []) {
    checkHlsTrack(track, (i, p) => session.problem(track.orders[i]!, track.urls[i]!, p.code, p.message, ['hls']));
  }

  const formats: VerifyReport['formats'] = {};
  for (const f of verified) {
    let inits = 0;
    let fragments = 0;
    for (const o of session.inits.values()) if (o.expectations.some((e) => e.format === f)) inits++;
    for (const o of session.fragments.values()) if (o.expectations.some((e) => e.format === f)) fragments++;
    formats[f] = { documents: documentCounts.get(f) ?? 0, initSegments: inits, fragments, problems: session.problemsOf(f) };
  }
  const problems = session.problemList(verified.length > 1, FORMATS);
  return {
    ok: problems.length === 0,
    manifestUrl: redactUrl(manifestUrl),
    streams: docs.smooth?.presentation.streams.length ?? docs.dash?.mpd.periods.reduce((n, p) => n + p.adaptationSets.length, 0) ?? docs.hls?.playlists.tracks.length ?? 0,
    fragments: crawled.fragments,
    initSegments: crawled.inits,
    bytes: crawled.bytes,
    seconds: (performance.now() - started) / 1000,
    problems,
    formats,
  };
}
