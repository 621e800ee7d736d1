import cliProgress from 'cli-progress';
import type { WriteProgress } from '../package/writePlanToFolder.js';
import { formatBytes, toJson } from './output.js';

/** A progress bar on a terminal; nothing when stderr is not a TTY or output is JSON. */
export function createProgress(enabled: boolean): { update(p: WriteProgress): void; stop(): void } {
  if (!enabled || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: ' {bar} {percentage}% | {value}/{total} objects | {done} of {all} | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      if (!started) {
        bar.start(p.totalObjects, 0, { done: '0 B', all: formatBytes(p.totalBytes) });
        started = true;
      }
      bar.update(p.objects, { done: formatBytes(p.bytes), all: formatBytes(p.totalBytes) });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** How a writing command prints its result: one JSON line with --json, else text. */
export interface ResultPrinter<R> {
  json(result: R, seconds: number): unknown;
  text(result: R, seconds: number): string;
}

/**
 * Runs `work` with a progress bar on stderr (unless `--json` or `--no-progress`), then
 * prints its result and the seconds it took on stdout. The bar is stopped first, and
 * also on failure, so an error line never lands inside it.
 */
export async function runWithProgress<R>(opts: { json?: boolean; progress: boolean }, work: (onProgress: (p: WriteProgress) => void) => Promise<R>, print: ResultPrinter<R>): Promise<void> {
  const progress = createProgress(opts.progress && !opts.json);
  const started = performance.now();
  try {
    const result = await work((p) => progress.update(p));
    progress.stop();
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(opts.json ? toJson(print.json(result, seconds)) + '\n' : print.text(result, seconds));
  } finally {
    progress.stop();
  }
}
