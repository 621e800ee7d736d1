import type { Format } from '../formats/model.js';
import type { Limiter } from '../util/limiter.js';
import type { ExpectedFragment } from './checkFragment.js';
import type { InitSegment } from './checkInitSegment.js';
import { contentLength, fetchBody, type FetchBodyOptions, type FetchResult } from './fetchBody.js';
import { redactUrl } from './manifestUrl.js';
import { VerifyCode, type VerifyCodeValue, type VerifyProblem } from './problem.js';

/** The largest document (Manifest, MPD, playlist) read. */
export const MAX_DOCUMENT_BYTES = 64 << 20;

/** One Smooth quality level: the track ID of each of its fragments, to find strays. */
export interface SmoothLevel {
  streamName: string;
  bitrate: number;
  trackIds: (number | undefined)[];
  orders: number[];
  urls: string[];
}

/** One HLS media playlist: its segments' EXTINFs and, once fetched, their timing. */
export interface HlsTrack {
  url: string;
  extinfs: string[];
  /** Per segment, once checked: the `tfdt` (if any), the samples' duration in `timescale` and how much of it is priming (primingOf). */
  results: ({ tfdt: bigint | undefined; duration: bigint; priming: bigint; timescale: number } | undefined)[];
  orders: number[];
  urls: string[];
}

/** What one format's document says an init segment must be. */
export interface InitExpectation {
  format: Format;
  /** Who names it: `Representation 'video-400000'`, `playlist video-400000.m3u8`. */
  where: string;
  /** The timescale its document gives the track (DASH: SegmentTemplate@timescale). */
  timescale?: number;
  /** The track kind its document gives (DASH: the AdaptationSet's contentType). */
  kind?: string;
}

export interface InitObject {
  url: string;
  order: number;
  expectations: InitExpectation[];
  /** Once fetched and sound. */
  init?: InitSegment;
}

/** What one format's document says a fragment object must be. */
export type FragmentExpectation =
  | { format: 'smooth'; expected: ExpectedFragment; level: SmoothLevel; index: number }
  | { format: 'dash'; time: bigint; duration: bigint; timescale: number; init: InitObject | undefined; video: boolean; where: string }
  | { format: 'hls'; track: HlsTrack; index: number; init: InitObject | undefined };

export interface FragmentObject {
  url: string;
  order: number;
  expectations: FragmentExpectation[];
}

interface RecordedProblem extends VerifyProblem {
  order: number;
  seq: number;
  formatSet: Set<Format>;
}

export type FetchSettings = Omit<FetchBodyOptions, 'keep' | 'headers'>;

/**
 * The state of one `verify` run shared by the formats: the objects their documents name
 * (each fetched once, however many formats name it), and one problem list in a stable
 * order (documents, then objects in the order first named; a problem raised by several
 * formats for one URL is listed once, naming them all).
 */
export class VerifySession {
  readonly inits = new Map<string, InitObject>();
  readonly fragments = new Map<string, FragmentObject>();
  private readonly problems = new Map<string, RecordedProblem>();
  private order = 0;

  constructor(
    readonly fetchSettings: FetchSettings,
    readonly headers: Record<string, string>,
    readonly origin: string | undefined,
    /** Fetch slots shared with other presentations verified at the same time (a library). */
    readonly limiter?: Limiter,
    readonly signal?: AbortSignal,
  ) {}

  nextOrder(): number {
    return this.order++;
  }

  problem(order: number, url: string, code: VerifyCodeValue, message: string, formats: Iterable<Format>): void {
    const shown = redactUrl(url);
    const key = `${shown}\u0000${code}\u0000${message}`;
    const known = this.problems.get(key);
    if (known) {
      for (const f of formats) known.formatSet.add(f);
      return;
    }
    this.problems.set(key, { order, seq: this.problems.size, url: shown, code, message, formatSet: new Set(formats) });
  }

  get problemCount(): number {
    return this.problems.size;
  }

  /** Sorted; `formats` on each only when more than one format was verified. */
  problemList(withFormats: boolean, formatOrder: readonly Format[]): VerifyProblem[] {
    return [...this.problems.values()]
      .sort((a, b) => a.order - b.order || a.seq - b.seq)
      .map(({ url, code, message, formatSet }) => (withFormats ? { url, code, message, formats: formatOrder.filter((f) => formatSet.has(f)) } : { url, code, message }));
  }

  /** How many problems concern `format`. */
  problemsOf(format: Format): number {
    let n = 0;
    for (const p of this.problems.values()) if (p.formatSet.has(format)) n++;
    return n;
  }

  addInit(url: string, e: InitExpectation): InitObject {
    let o = this.inits.get(url);
    if (!o) {
      o = { url, order: this.nextOrder(), expectations: [] };
      this.inits.set(url, o);
    }
    o.expectations.push(e);
    return o;
  }

  addFragment(url: string, e: FragmentExpectation): FragmentObject {
    let o = this.fragments.get(url);
    if (!o) {
      o = { url, order: this.nextOrder(), expectations: [] };
      this.fragments.set(url, o);
    }
    o.expectations.push(e);
    return o;
  }

  fetch(url: string, keep: FetchBodyOptions['keep']): Promise<FetchResult> {
    const one = (): Promise<FetchResult> => fetchBody(url, { ...this.fetchSettings, headers: this.headers, keep });
    return this.limiter === undefined ? one() : this.limiter.run(one, this.signal);
  }

  /**
   * A document's text, or why there is none (as a problem on it). `what` names it in
   * messages: `the Manifest`, `the MPD`, `the playlist`.
   */
  async fetchDocument(url: string, what: string, order: number, formats: Format[]): Promise<{ bytes: Uint8Array; text: string; headers: Headers } | undefined> {
    const r = await this.fetch(url, () => MAX_DOCUMENT_BYTES + 1);
    const fail = (message: string): undefined => void this.problem(order, url, VerifyCode.MANIFEST, `cannot fetch ${what}: ${message}`, formats);
    if (r.kind === 'failed') return fail(r.message);
    if (r.status !== 200) return fail(`expected HTTP 200, found ${r.status}${r.status === 404 ? ' (missing)' : ''}`);
    if (r.length > MAX_DOCUMENT_BYTES) return void this.problem(order, url, VerifyCode.MANIFEST, `${what} of ${r.length} bytes is larger than the ${MAX_DOCUMENT_BYTES} accepted`, formats);
    this.checkCors(r.headers, (m) => this.problem(order, url, VerifyCode.CORS, m, formats));
    const declared = contentLength(r.headers);
    if (declared !== undefined && declared !== r.length) this.problem(order, url, VerifyCode.TRUNCATED, `Content-Length says ${declared} bytes, body has ${r.length}`, formats);
    return { bytes: r.prefix, text: new TextDecoder().decode(r.prefix), headers: r.headers };
  }

  /** A browser player on `origin` may read the response only if CORS allows that origin. */
  checkCors(headers: Headers, problem: (message: string) => void): void {
    if (this.origin === undefined) return;
    const allowed = headers.get('access-control-allow-origin');
    if (allowed === '*' || allowed === this.origin) return;
    problem(`expected Access-Control-Allow-Origin ${this.origin} or *, found ${allowed === null ? 'none' : JSON.stringify(allowed)}`);
  }
}
