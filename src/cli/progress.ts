import cliProgress from 'cli-progress';
import type { WriteProgress } from '../storage/writePlanToFolder.js';
import { formatBytes } from './output.js';

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
