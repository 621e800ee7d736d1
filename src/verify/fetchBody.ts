import { setTimeout as sleep } from 'node:timers/promises';
import { VerifyCode } from './problem.js';

export interface FetchBodyOptions {
  fetch: typeof fetch;
  headers: Record<string, string>;
  signal?: AbortSignal;
  /** Longest wait for the response headers or for the next piece of the body. */
  timeoutMs: number;
  /** Further attempts after a network error, a timeout, 429 or 5xx. */
  retries: number;
  /** First backoff; doubled per attempt, with jitter. */
  retryDelayMs: number;
  /** How many leading bytes to keep, given those kept so far; the rest is only counted. */
  keep: (kept: Uint8Array) => number;
}

export type FetchResult =
  | { kind: 'response'; status: number; headers: Headers; prefix: Uint8Array; length: number }
  | { kind: 'failed'; code: typeof VerifyCode.NETWORK | typeof VerifyCode.TRUNCATED; message: string };

/**
 * GET with retries, keeping only the body's first bytes (memory stays flat however
 * many fragments are checked). A 5xx that persists is returned as a response; a
 * network error that persists as `failed`. Aborting `signal` throws its reason.
 */
export async function fetchBody(url: string, o: FetchBodyOptions): Promise<FetchResult> {
  let result: FetchResult = { kind: 'failed', code: VerifyCode.NETWORK, message: 'not attempted' };
  for (let attempt = 0; attempt <= o.retries; attempt++) {
    if (attempt > 0) {
      const backoff = o.retryDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random());
      await sleep(Math.max(backoff, retryAfterMs(result)), undefined, o.signal ? { signal: o.signal } : {});
    }
    result = await attemptOnce(url, o);
    const retryable = result.kind === 'failed' || result.status === 429 || result.status >= 500;
    if (!retryable) return result;
  }
  return result;
}

/** A throttling server's Retry-After in seconds, honoured up to a minute. */
function retryAfterMs(r: FetchResult): number {
  const text = r.kind === 'response' ? r.headers.get('retry-after') : null;
  return text !== null && /^\s*\d{1,2}\s*$/.test(text) ? Math.min(Number(text), 60) * 1000 : 0;
}

async function attemptOnce(url: string, o: FetchBodyOptions): Promise<FetchResult> {
  o.signal?.throwIfAborted();
  // An idle timeout, not a total one: a big fragment on a slow link may take long, a stalled one must not.
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new Error(`no data for ${o.timeoutMs} ms`)), o.timeoutMs);
  try {
    return await attemptWithTimer(url, o, timeout.signal, timer);
  } finally {
    clearTimeout(timer);
  }
}

async function attemptWithTimer(url: string, o: FetchBodyOptions, timeout: AbortSignal, timer: NodeJS.Timeout): Promise<FetchResult> {
  const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await o.fetch(url, { headers: o.headers, signal, redirect: 'follow' });
  } catch (e) {
    o.signal?.throwIfAborted();
    return { kind: 'failed', code: VerifyCode.NETWORK, message: timeout.aborted ? `no response within ${o.timeoutMs} ms` : `request failed: ${describe(e)}` };
  }
  timer.refresh();
  if (response.status === 429 || response.status >= 500) {
    await response.body?.cancel().catch(() => undefined);
    return { kind: 'response', status: response.status, headers: response.headers, prefix: new Uint8Array(0), length: 0 };
  }
  const declared = contentLength(response.headers);
  const kept = new Prefix(o.keep);
  let length = 0;
  try {
    const reader = response.body?.getReader();
    for (let r = await reader?.read(); r !== undefined && !r.done; r = await reader?.read()) {
      timer.refresh();
      length += r.value.length;
      kept.append(r.value);
    }
  } catch (e) {
    o.signal?.throwIfAborted();
    const where = declared === undefined ? `after ${length} bytes` : `after ${length} of ${declared} bytes`;
    const why = timeout.aborted ? `stalled (no data for ${o.timeoutMs} ms)` : `failed (${describe(e)})`;
    return { kind: 'failed', code: !timeout.aborted && declared !== undefined && length < declared ? VerifyCode.TRUNCATED : VerifyCode.NETWORK, message: `body ${why} ${where}` };
  }
  return { kind: 'response', status: response.status, headers: response.headers, prefix: kept.bytes, length };
}

/** The first bytes of a body, as many as `keep` asks for; grows geometrically, so appending stays linear. */
class Prefix {
  private buffer = new Uint8Array(0);
  private used = 0;

  constructor(private readonly keep: (kept: Uint8Array) => number) {}

  get bytes(): Uint8Array {
    return this.buffer.subarray(0, this.used);
  }

  append(chunk: Uint8Array): void {
    let at = 0;
    let want = this.keep(this.bytes);
    while (this.used < want && at < chunk.length) {
      const take = Math.min(want - this.used, chunk.length - at);
      if (this.used + take > this.buffer.length) {
        const grown = new Uint8Array(Math.min(want, Math.max(this.used + take, this.buffer.length * 2)));
        grown.set(this.bytes);
        this.buffer = grown;
      }
      this.buffer.set(chunk.subarray(at, at + take), this.used);
      this.used += take;
      at += take;
      want = this.keep(this.bytes);
    }
  }
}

/** Content-Length as sent, unless a content coding makes it the length of other bytes. */
export function contentLength(headers: Headers): number | undefined {
  const encoding = headers.get('content-encoding');
  if (encoding !== null && encoding.trim().toLowerCase() !== 'identity') return undefined;
  const text = headers.get('content-length');
  return text !== null && /^\s*\d{1,15}\s*$/.test(text) ? Number(text) : undefined;
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return `${e.message}${cause}`;
}
