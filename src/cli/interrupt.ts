import { setMaxListeners } from 'node:events';
import { removeLeftoversSync } from '../util/leftovers.js';
import { ExitCode } from './output.js';

/** How long an interrupted command may take to stop (abort, clean up) before the process exits anyway. */
export const STOP_GRACE_MS = 3000;

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** The exit code of a run stopped by `signal`, as a shell reports a process killed by it: 128 + its number. */
export function interruptedExitCode(signal: StopSignal): number {
  return signal === 'SIGTERM' ? ExitCode.TERMINATED : ExitCode.INTERRUPTED;
}

/** What a command that runs until stopped (serve, play) needs of its stop: see Interrupt. */
export interface Stopping {
  readonly signal: AbortSignal;
  allowGrace(ms: number): void;
  stoppedCleanly(): void;
}

/** A bare AbortSignal (tests, embedding) as a Stopping with no grace to extend. */
export function asStopping(stop: AbortSignal | Stopping): Stopping {
  return stop instanceof AbortSignal ? { signal: stop, allowGrace: () => undefined, stoppedCleanly: () => undefined } : stop;
}

/**
 * SIGINT and SIGTERM for one CLI run. The first aborts `signal`, which every command
 * passes down to each loop and wait, and arms a timer: if the command has not finished
 * stopping after its grace time (STOP_GRACE_MS, or more for a server draining its
 * responses), the process ends at once, by the signal itself (endBySignal); so does a
 * second signal. Before such an end,
 * the hidden folders and temp packages still registered (util/leftovers) are removed, so
 * nothing half written stays behind.
 */
export class Interrupt implements Stopping {
  readonly #controller = new AbortController();
  #received: StopSignal | undefined;
  #graceMs: number;
  #cleanStop = false;
  #source: NodeJS.EventEmitter | undefined;
  readonly #onSignal = (signal: StopSignal): void => this.#stop(signal);

  /** `exit` ends a run that stopped cleanly but is held open; `endBy` ends a forced stop (tests replace both). */
  constructor(
    private readonly exit: (code: number) => void = (code) => process.exit(code),
    private readonly endBy: (signal: StopSignal) => void = endBySignal,
    graceMs = STOP_GRACE_MS,
  ) {
    this.#graceMs = graceMs;
    // Every request in flight (publish, verify: up to --concurrency) listens for the abort.
    setMaxListeners(10_000, this.#controller.signal);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The signal that stopped the run, if one did. */
  get received(): StopSignal | undefined {
    return this.#received;
  }

  /** Handles SIGINT and SIGTERM of `source` (the process; tests give an emitter of their own). */
  listen(source: NodeJS.EventEmitter = process): this {
    this.#source = source;
    source.on('SIGINT', this.#onSignal);
    source.on('SIGTERM', this.#onSignal);
    return this;
  }

  /** Removes the handlers; an armed exit timer stays (it ends a process something still holds open). */
  dispose(): void {
    this.#source?.off('SIGINT', this.#onSignal);
    this.#source?.off('SIGTERM', this.#onSignal);
  }

  /** For commands that drain before they stop (serve, play): the time they need, counted from the signal. */
  allowGrace(ms: number): void {
    this.#graceMs = Math.max(this.#graceMs, ms);
  }

  /**
   * Said by a command that runs until it is stopped (serve, play) once it has stopped
   * cleanly: SIGTERM is then its normal end (exit 0), as service managers expect.
   */
  stoppedCleanly(): void {
    this.#cleanStop = true;
  }

  /** The exit code of an interrupted run: 130 (SIGINT) or 143 (SIGTERM), 0 for a clean stop on SIGTERM. */
  exitCode(): number | undefined {
    if (this.#received === undefined) return undefined;
    if (this.#cleanStop && this.#received === 'SIGTERM') return ExitCode.OK;
    return interruptedExitCode(this.#received);
  }

  #stop(signal: StopSignal): void {
    if (this.#received !== undefined) {
      this.#forceExit(signal);
      return;
    }
    this.#received = signal;
    // Read when the timer fires: a draining server may have asked for more by then.
    const started = Date.now();
    const check = (): void => {
      const left = started + this.#graceMs - Date.now();
      if (left > 0) setTimeout(check, left).unref();
      else this.#forceExit(signal);
    };
    setTimeout(check, this.#graceMs).unref();
    this.#controller.abort(new DOMException(`interrupted by ${signal}`, 'AbortError'));
  }

  #forceExit(signal: StopSignal): void {
    removeLeftoversSync();
    if (this.exitCode() === ExitCode.OK) this.exit(ExitCode.OK);
    else this.endBy(signal);
  }
}

/**
 * Ends the process by `signal` itself: its default action ends every thread at once, and
 * shells report it as 128 + its number (130, 143), the codes of an interrupted run.
 * process.exit() would not do: its exit handlers join libuv's thread pool, which never
 * returns while a thread is stuck in a blocking call (a FIFO with no writer, a hung NFS
 * mount).
 */
function endBySignal(signal: StopSignal): void {
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  // Should the signal not end it (someone ignores it), exit as usual.
  setTimeout(() => process.exit(interruptedExitCode(signal)), 1000).unref();
}

/** How long serve and play let responses in flight finish after SIGTERM/SIGINT before cutting them. */
export const DRAIN_MS = 5000;

/** Resolves when `signal` aborts (at once if it has). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
