import { StoreError } from '../stores/store.js';

export interface RetryPolicy {
  /** Attempts per object after the first. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 8, baseDelayMs: 200, maxDelayMs: 30_000 };

/** Exponential backoff with full jitter, unless the store said how long (Retry-After). */
export function retryDelay(policy: RetryPolicy, attempt: number, error: StoreError, random: () => number = Math.random): number {
  if (error.details.retryAfterMs !== undefined) return Math.min(policy.maxDelayMs, error.details.retryAfterMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function isRetryable(e: unknown): e is StoreError {
  return e instanceof StoreError && e.details.retryable;
}

/**
 * One pause shared by every worker: when the store throttles (429, ServerBusy,
 * SlowDown), nobody starts a request until the pause is over.
 */
export class GlobalPause {
  private until = 0;

  extend(ms: number): void {
    this.until = Math.max(this.until, Date.now() + ms);
  }

  async wait(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const left = this.until - Date.now();
      if (left <= 0) return;
      await sleep(left, signal);
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
