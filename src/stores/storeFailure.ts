import { redact } from './redact.js';
import { ErrorCode } from '../errors.js';
import { StoreError } from './store.js';

/** What a store's SDK error says, in the terms `StoreError` needs. */
export interface Failure {
  /** e.g. `put`, `list`, `prepare`. */
  operation: string;
  /** The store description (never holds a secret; redacted anyway). */
  store: string;
  key?: string;
  status?: number;
  /** Service error code (`ServerBusy`, `SlowDown`, `AuthenticationFailed`) or socket error code (`ECONNRESET`). */
  code?: string;
  /** First line of the service's or socket's message. */
  detail?: string;
  retryAfter?: string | null | undefined;
  throttled?: boolean;
  /** The caller's own signal aborted the request: not worth retrying. */
  abortedByCaller?: boolean;
  /** The request timed out (our timeout, not the caller's abort). */
  timedOut?: boolean;
  /** No credentials could be obtained (no HTTP exchange with the store happened): `store.auth`. */
  credentialsFailed?: boolean;
  /** Secrets known to the store (account key, SAS) to remove from the message. */
  secrets?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_SOCKET', 'TimeoutError', 'RequestTimeout']);

export function storeError(f: Failure): StoreError {
  const socketTrouble = f.code !== undefined && RETRYABLE_CODES.has(f.code);
  const hangUp = f.detail !== undefined && /socket hang up|ECONNRESET|ETIMEDOUT|ECONNREFUSED/i.test(f.detail);
  const retryable = f.abortedByCaller !== true && f.credentialsFailed !== true && ((f.status !== undefined && RETRYABLE_STATUS.has(f.status)) || socketTrouble || hangUp || f.timedOut === true);
  const throttled = f.status === 429 || f.throttled === true;
  const retryAfterMs = parseRetryAfter(f.retryAfter ?? undefined);
  const what = [f.status, f.code].filter((x) => x !== undefined).join(' ');
  // The key is not repeated here: StoreError's context appends `(object <key>)`.
  const message = `${f.operation} at ${f.store} failed${what === '' ? '' : `: ${what}`}${f.detail === undefined || f.detail === '' ? '' : ` (${f.detail})`}`;
  return new StoreError(redact(message, f.env, f.secrets ?? []), {
    ...(f.status !== undefined && { status: f.status }),
    retryable,
    throttled,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    ...(f.key !== undefined && { key: f.key }),
    ...(f.credentialsFailed === true && { code: ErrorCode.STORE_AUTH }),
  });
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 10.2.3). */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The first line of a service message, without request ids and times (they only lengthen it). */
export function firstLine(message: string | undefined): string | undefined {
  if (message === undefined) return undefined;
  const line = message.split(/\r?\n/)[0]?.trim() ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
