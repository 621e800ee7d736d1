import { cliProgress } from './cliProgress.js';
import type { WriteProgress } from '../package/writePlanToFolder.js';
import { type EventFields, printEvent, printStart, throttle } from './events.js';
import { formatBytes } from './output.js';

/** A progress bar on a terminal; nothing when stderr is not a TTY or output is JSON. */
export function createProgress(enabled: boolean): { update(p: WriteProgress): void; stop(): void } {
  if (!enabled || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new (cliProgress().SingleBar)(
    {
      stream: process.stderr,
      format: ' {bar} {percentage}% | {value}/{total} objects | {done} of {all} | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress().Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      if (!started) {
        bar.start(p.totalObjects, 0, { done: '0 B', all: formatBytes(p.totalBytes) });
        started = true;
      } else if (p.totalObjects !== bar.getTotal()) {
        bar.setTotal(p.totalObjects); // package writes while it indexes: totals grow until every source is known
      }
      bar.update(p.objects, { done: formatBytes(p.bytes), all: formatBytes(p.totalBytes) });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** How a writing command prints its result: the `result` event's fields with --json, else text. */
export interface ResultPrinter<R> {
  json(result: R, seconds: number): EventFields;
  text(result: R, seconds: number): string;
}

/**
 * Runs `work` with a progress bar on stderr (unless `--json` or `--no-progress`), then
 * prints its result and the seconds it took on stdout. The bar is stopped first, and
 * also on failure, so an error line never lands inside it. With `--json`: a `start`
 * line, `progress` lines (at most 4 a second, and the last), then `result`.
 */
export async function runWithProgress<R>(
  opts: { command: string; json?: boolean; progress: boolean },
  work: (onProgress: (p: WriteProgress) => void) => Promise<R>,
  print: ResultPrinter<R>,
): Promise<void> {
  const progress = createProgress(opts.progress && !opts.json);
  const started = performance.now();
  if (opts.json) printStart(opts.command);
  const onProgress = opts.json ? throttle<WriteProgress>((p) => printEvent('progress', { ...p }), (p) => p.objects === p.totalObjects) : (p: WriteProgress) => progress.update(p);
  try {
    const result = await work(onProgress);
    progress.stop();
    const seconds = (performance.now() - started) / 1000;
    if (opts.json) printEvent('result', { command: opts.command, ...print.json(result, seconds) });
    else process.stdout.write(print.text(result, seconds));
  } finally {
    progress.stop();
  }
}
