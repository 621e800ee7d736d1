import { isSmoothpubError } from '../errors.js';
import { readManifest } from '../smooth/readManifest.js';
import type { Presentation } from '../smooth/model.js';
import { formatFragmentUrl } from '../smooth/url.js';
import { checkFragment, fragmentPrefixWanted, type ExpectedFragment } from './checkFragment.js';
import { checkPolicyFiles } from './checkPolicy.js';
import { contentLength, fetchBody, type FetchBodyOptions, type FetchResult } from './fetchBody.js';
import { objectUrl, parseManifestUrl, redactUrl } from './manifestUrl.js';
import { VerifyCode, type VerifyCodeValue, type VerifyProblem } from './problem.js';
import type { Limiter } from '../util/limiter.js';
import { runAll } from '../util/runAll.js';

export interface VerifyProgress {
  checked: number;
  total: number;
  problems: number;
}

export interface VerifyOptions {
  /** Fragments fetched at once; default 16. */
  concurrency?: number;
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
}

export interface VerifyReport {
  ok: boolean;
  /** As given, with secrets in its query redacted. */
  manifestUrl: string;
  streams: number;
  fragments: number;
  /** Fragment body bytes received. */
  bytes: number;
  seconds: number;
  /** Every missing or corrupt object, in Manifest order (streams, levels, chunks). */
  problems: VerifyProblem[];
}

export const DEFAULT_VERIFY_CONCURRENCY = 16;
const MAX_MANIFEST_BYTES = 64 << 20;

interface LevelState {
  streamName: string;
  bitrate: number;
  /** The traf track ID of each chunk's fragment, as read. */
  trackIds: (number | undefined)[];
  /** Order of each chunk's job, to place track problems. */
  orders: number[];
  urls: string[];
}

interface Job {
  order: number;
  url: string;
  expected: ExpectedFragment;
  level: LevelState;
  index: number;
}

interface OrderedProblem extends VerifyProblem {
  order: number;
}

/**
 * Fetches a published presentation back like a player would: the Manifest, then every
 * fragment of every quality level, checking each body is the fragment its URL names
 * (status, length, moof + mdat, track, time, duration). Problems are values in the
 * report; only a malformed `manifestUrl` (smooth.bad-url) or an abort throws.
 */
export async function verifyPresentation(manifestUrl: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  const loc = parseManifestUrl(manifestUrl);
  const fetchOptions: Omit<FetchBodyOptions, 'keep' | 'headers'> = {
    fetch: options.fetch ?? globalThis.fetch,
    timeoutMs: options.timeoutMs ?? 30_000,
    retries: options.retries ?? 3,
    retryDelayMs: options.retryDelayMs ?? 250,
    ...(options.signal && { signal: options.signal }),
  };
  // Identity: Content-Length must then be the body's length, which is checked.
  const headers: Record<string, string> = { 'accept-encoding': 'identity', ...(options.origin !== undefined && { origin: options.origin }) };
  const problems: OrderedProblem[] = [];
  const report = (streams: number, fragments: number, bytes: number): VerifyReport => {
    problems.sort((a, b) => a.order - b.order);
    return {
      ok: problems.length === 0,
      manifestUrl: redactUrl(manifestUrl),
      streams,
      fragments,
      bytes,
      seconds: (performance.now() - started) / 1000,
      problems: problems.map(({ url, code, message }) => ({ url, code, message })),
    };
  };
  const manifestShown = redactUrl(loc.manifest.href);
  const addProblem = (order: number, url: string, code: VerifyCodeValue, message: string): void => {
    problems.push({ order, url, code, message });
  };

  const fetched = await fetchBody(loc.manifest.href, { ...fetchOptions, headers, keep: () => MAX_MANIFEST_BYTES + 1 });
  const presentation = parseFetchedManifest(fetched, (message) => addProblem(-2, manifestShown, VerifyCode.MANIFEST, message));
  if (fetched.kind === 'response' && fetched.status === 200) checkCors(fetched.headers, options.origin, (m) => addProblem(-2, manifestShown, VerifyCode.CORS, m));
  if (options.checkPolicy) {
    for (const p of await checkPolicyFiles(loc, fetchOptions)) addProblem(-1, redactUrl(p.url), p.code, p.message);
  }
  if (!presentation) return report(0, 0, 0);

  const levels: LevelState[] = [];
  const jobs: Job[] = [];
  for (const stream of presentation.streams) {
    try {
      formatFragmentUrl(stream.url, 0, 0n);
    } catch (e) {
      if (!isSmoothpubError(e)) throw e;
      addProblem(-2, manifestShown, VerifyCode.MANIFEST, `StreamIndex '${stream.name}': ${e.message}`);
      continue;
    }
    for (const q of stream.qualityLevels) {
      const level: LevelState = { streamName: stream.name, bitrate: q.bitrate, trackIds: [], orders: [], urls: [] };
      levels.push(level);
      stream.chunks.forEach((c, index) => {
        const url = objectUrl(loc, formatFragmentUrl(stream.url, q.bitrate, c.t));
        const order = jobs.length;
        level.orders.push(order);
        level.urls.push(url);
        jobs.push({ order, url, expected: { t: c.t, d: c.d, first: index === 0, streamType: stream.type }, level, index });
      });
    }
  }

  let checked = 0;
  let bytes = 0;
  options.onProgress?.({ checked, total: jobs.length, problems: problems.length });
  const limiter = options.limiter;
  await runAll(jobs, limiter?.size ?? options.concurrency ?? DEFAULT_VERIFY_CONCURRENCY, async (job) => {
    const fetchOne = (): Promise<FetchResult> => fetchBody(job.url, { ...fetchOptions, headers, keep: fragmentPrefixWanted });
    const r = await (limiter === undefined ? fetchOne() : limiter.run(fetchOne, options.signal));
    const problem = (code: VerifyCodeValue, message: string): void => addProblem(job.order, redactUrl(job.url), code, message);
    if (r.kind === 'failed') {
      problem(r.code, r.message);
    } else if (r.status !== 200) {
      problem(VerifyCode.HTTP_STATUS, `expected HTTP 200, found ${r.status}${r.status === 404 ? ' (missing)' : ''}`);
    } else {
      bytes += r.length;
      checkCors(r.headers, options.origin, (m) => problem(VerifyCode.CORS, m));
      const declared = contentLength(r.headers);
      if (declared !== undefined && declared !== r.length) problem(VerifyCode.TRUNCATED, `Content-Length says ${declared} bytes, body has ${r.length}`);
      const check = checkFragment(r.prefix, r.length, job.expected);
      job.level.trackIds[job.index] = check.trackId;
      for (const p of check.problems) problem(p.code, p.message);
    }
    checked++;
    options.onProgress?.({ checked, total: jobs.length, problems: problems.length });
  }, options.signal);
  options.signal?.throwIfAborted();

  for (const level of levels) checkTracks(level, addProblem);
  return report(presentation.streams.length, checked, bytes);
}

function parseFetchedManifest(r: FetchResult, problem: (message: string) => void): Presentation | undefined {
  if (r.kind === 'failed') return void problem(`cannot fetch the Manifest: ${r.message}`);
  if (r.status !== 200) return void problem(`cannot fetch the Manifest: expected HTTP 200, found ${r.status}`);
  if (r.length > MAX_MANIFEST_BYTES) return void problem(`Manifest of ${r.length} bytes is larger than the ${MAX_MANIFEST_BYTES} accepted`);
  let p: Presentation;
  try {
    p = readManifest(new TextDecoder().decode(r.prefix));
  } catch (e) {
    // Whatever the XML parser throws, a Manifest that cannot be read is a finding, not a crash.
    return void problem(e instanceof Error ? e.message : String(e));
  }
  if (p.isLive === true) return void problem('live presentations (IsLive="TRUE") are not supported: their fragments come and go');
  return p;
}

/** A browser player on `origin` may read the response only if CORS allows that origin. */
function checkCors(headers: Headers, origin: string | undefined, problem: (message: string) => void): void {
  if (origin === undefined) return;
  const allowed = headers.get('access-control-allow-origin');
  if (allowed === '*' || allowed === origin) return;
  problem(`expected Access-Control-Allow-Origin ${origin} or *, found ${allowed === null ? 'none' : JSON.stringify(allowed)}`);
}

/**
 * One quality level is one source track: a fragment carrying another track ID was
 * taken from elsewhere. The level's track is the one most of its fragments carry
 * (ties: the earliest), so one stray fragment is blamed, not the rest.
 */
function checkTracks(level: LevelState, problem: (order: number, url: string, code: VerifyCodeValue, message: string) => void): void {
  const counts = new Map<number, number>();
  for (const id of level.trackIds) if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
  if (counts.size < 2) return;
  let main: number | undefined;
  for (const id of level.trackIds) {
    if (id === undefined) continue;
    if (main === undefined || counts.get(id)! > counts.get(main)!) main = id;
  }
  level.trackIds.forEach((id, i) => {
    if (id === undefined || id === main) return;
    problem(
      level.orders[i]!,
      redactUrl(level.urls[i]!),
      VerifyCode.TRACK_MISMATCH,
      `fragment carries track ${id}, while ${counts.get(main!)} of the ${level.trackIds.length} fragments of QualityLevels(${level.bitrate}) in stream '${level.streamName}' carry track ${main}`,
    );
  });
}
