import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between checks (default 20 ms). */
  intervalMs?: number;
  /** What the timeout message adds after `what` (the last state seen, say). */
  detail?: () => string;
}

/**
 * Checks `condition` until it returns something truthy and returns that; throws naming
 * `what` when the deadline passes first. Tests wait for what they need this way instead of
 * sleeping a fixed time, which is too short on a loaded machine and wasted on an idle one.
 */
export async function waitUntil<T>(what: string, condition: () => T | Promise<T>, options: WaitOptions = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 10_000, intervalMs = 20, detail } = options;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${detail()}` : ''}`);
    await sleep(intervalMs);
  }
}
