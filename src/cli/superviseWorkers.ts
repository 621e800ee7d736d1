import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { ErrorCode, SmoothpubError, WarningCode, type SmoothpubErrorData } from '../errors.js';
import { trackLeftoverProcess } from '../util/leftovers.js';
import { diagnostic, printEvent } from './events.js';
import { DRAIN_MS, STOP_GRACE_MS, untilAborted, type Stopping } from './interrupt.js';
import { parseServeOptions, printListening, serveUrl, type ServeCliOptions } from './serveOrigin.js';

/** What the primary tells its workers, and they it, over the cluster's IPC channel. */
export type WorkerMessage =
  | { smoothpub: 'listening'; port: number; root: string }
  | { smoothpub: 'failed'; error: SmoothpubErrorData | { internal: string } }
  | { smoothpub: 'stop' };

/** The environment variable that hands a worker its root and options (JSON). */
export const WORKER_SETTINGS = 'SMOOTHPUB_SERVE_WORKER';

export interface WorkerSettings {
  root: string;
  opts: ServeCliOptions;
}

/** A replacement that dies before it listens this many times in a row ends the run. */
const MAX_FAILED_STARTS = 5;
/** The first wait before a replacement after a failed start; doubled after each one. */
const FIRST_BACKOFF_MS = 200;

/**
 * `serve --workers N`: N worker processes (node:cluster), each running the same origin
 * (serveWorker.ts) on the one port. The listening socket is shared, and the kernel hands
 * each connection to whichever worker accepts it first (SCHED_NONE): cluster's
 * round-robin would pass every connection through this process. This process only
 * supervises: it prints the one `listening` line once every worker listens, replaces a
 * worker that dies (after a growing wait when replacements die before they listen, so a
 * worker that cannot start does not fork in a loop), and on SIGTERM/SIGINT tells every
 * worker to drain its responses in flight, waiting for them within the same limits as a
 * single process. A failure of any worker while the run starts (a port in use, a bad
 * root) is the run's error, reported once. Resolves with the URL served, when stopped.
 */
export async function superviseWorkers(settings: WorkerSettings & { workers: number }, interrupt: Stopping): Promise<string | undefined> {
  const { opts, workers } = settings;
  const json = opts.json === true;
  // Checked here too, so a bad option is one error before any worker starts.
  parseServeOptions(opts);
  // bench:origin:workers measured both; node's own NODE_CLUSTER_SCHED_POLICY=rr still picks round-robin.
  cluster.schedulingPolicy = process.env['NODE_CLUSTER_SCHED_POLICY'] === 'rr' ? cluster.SCHED_RR : cluster.SCHED_NONE;
  cluster.setupPrimary({
    exec: fileURLToPath(new URL('./serveWorker.js', import.meta.url)),
    args: [],
    // The node flags of this process (memory limits, say), but not a test runner's.
    execArgv: process.execArgv.filter((a) => !a.startsWith('--test')),
  });
  const env = { [WORKER_SETTINGS]: JSON.stringify({ root: settings.root, opts } satisfies WorkerSettings) };

  const running = new Set<Worker>();
  const listening = new Set<Worker>();
  let stopping = false;
  let printed = false;
  let failedStarts = 0;
  let url: string | undefined;
  let fail: (e: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  // Rejected only when the run cannot go on; until then nobody awaits it.
  failed.catch(() => undefined);
  let ready: () => void = () => undefined;
  const allListening = new Promise<void>((resolve) => (ready = resolve));

  const start = (): void => {
    if (stopping) return;
    const worker = cluster.fork(env);
    running.add(worker);
    const untrack = trackLeftoverProcess(worker.process.pid!);
    let lastError: Error | undefined;
    worker.on('message', (m: WorkerMessage) => {
      if (m.smoothpub === 'listening') {
        listening.add(worker);
        failedStarts = 0;
        url ??= serveUrl(opts.host, m.port);
        if (listening.size === workers && url !== undefined && !printed) {
          printed = true;
          printListening(url, m.root, json);
          ready();
        }
      } else if (m.smoothpub === 'failed') {
        lastError = 'internal' in m.error ? Object.assign(new Error(m.error.internal.split('\n')[0]), { stack: m.error.internal }) : SmoothpubError.fromData(m.error);
        // While the run starts, any worker's failure is the run's: the others would fail alike.
        if (!printed) fail(lastError);
      }
    });
    worker.on('exit', (code, signal) => {
      running.delete(worker);
      untrack();
      const hadListened = listening.delete(worker);
      if (stopping || interrupt.signal.aborted) return;
      const how = signal !== null ? `by ${signal}` : `with code ${code}`;
      if (!printed) {
        fail(lastError ?? new SmoothpubError(ErrorCode.SERVE_WORKER_FAILED, `a serve worker ended ${how} before it listened; run with --workers 1 to see why`));
        return;
      }
      if (!hadListened && ++failedStarts >= MAX_FAILED_STARTS) {
        fail(lastError ?? new SmoothpubError(ErrorCode.SERVE_WORKER_FAILED, `${MAX_FAILED_STARTS} serve workers in a row ended ${how} before they listened; run with --workers 1 to see why`));
        return;
      }
      const waitMs = failedStarts === 0 ? 0 : FIRST_BACKOFF_MS * 2 ** (failedStarts - 1);
      const message = `serve worker ${worker.process.pid} ended ${how}; starting another${waitMs > 0 ? ` in ${waitMs} ms` : ''}`;
      if (json) printEvent('warning', diagnostic(WarningCode.WORKER_REPLACED, message, { pid: worker.process.pid, code, signal }));
      else process.stderr.write(`warning ${WarningCode.WORKER_REPLACED}: ${message}\n`);
      setTimeout(start, waitMs).unref();
    });
  };

  try {
    for (let i = 0; i < workers; i++) start();
    await Promise.race([allListening, untilAborted(interrupt.signal), failed]);
    if (!interrupt.signal.aborted) await Promise.race([untilAborted(interrupt.signal), failed]);
    // Stopped: every worker drains (it may have had the signal itself, from a terminal's Ctrl-C).
    interrupt.allowGrace(DRAIN_MS + STOP_GRACE_MS);
    await stopAll();
    interrupt.stoppedCleanly();
    return url;
  } catch (e) {
    await stopAll();
    throw e;
  }

  /** Asks every worker to drain and waits; SIGKILL for any still there after the drain time. */
  async function stopAll(): Promise<void> {
    stopping = true;
    const exited = [...running].map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
    for (const w of running) {
      if (w.isConnected()) w.send({ smoothpub: 'stop' } satisfies WorkerMessage, (e: Error | null) => e && w.process.kill('SIGKILL'));
      else w.process.kill('SIGKILL');
    }
    const cut = setTimeout(() => {
      for (const w of running) w.process.kill('SIGKILL');
    }, DRAIN_MS + 1000);
    try {
      await Promise.all(exited);
    } finally {
      clearTimeout(cut);
    }
  }
}
