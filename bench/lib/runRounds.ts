import { closeSync, existsSync, openSync, readdirSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log } from './common.js';
import { measure, syncDisks, type Run } from './measure.js';

export interface Tool {
  name: string;
  /** Where the tool writes: removed before each round, never on a timed clock. */
  out: string;
  /** Prepares (untimed) and returns the command to time. */
  command: () => string[];
  runs: Run[];
}

/**
 * Seconds to wait after removing the last round's outputs. ext4 without a journal (this
 * machine's root filesystem) will not reuse an inode freed in the last 60 s, and checks
 * every free one it passes: creating thousands of files right after deleting thousands
 * costs each new file a walk past all the deleted ones, a kernel cost quadratic in the
 * file count that no user pays unless they delete and rebuild within the minute.
 */
export const SETTLE_SECONDS = 61;

/** `--settle <s>` (0 allowed: no wait), else SETTLE_SECONDS. */
export function settleSeconds(): number {
  const i = process.argv.indexOf('--settle');
  if (i < 0) return SETTLE_SECONDS;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) throw new Error('--settle needs a whole number of seconds');
  return v;
}

/**
 * Drops the page cache (root only; false where that is not allowed), then reads `inputs`
 * (files, or folders read whole) back into it: every run starts from the same memory, the
 * inputs cached and no earlier run's output. Otherwise each run's gigabytes of output fill
 * memory, and the runs after it pay the kernel's reclaim (measured with bench:encrypt:
 * up to twice the system time for whichever tool ran second in a round), whichever tool
 * they are.
 */
export function resetPageCache(inputs: readonly string[]): boolean {
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '1');
  } catch {
    return false;
  }
  const buf = new Uint8Array(4 << 20);
  const read = (path: string): void => {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path)) read(join(path, name));
      return;
    }
    const fd = openSync(path, 'r');
    try {
      while (readSync(fd, buf) > 0);
    } finally {
      closeSync(fd);
    }
  };
  inputs.forEach(read);
  return true;
}

/**
 * One untimed warm-up round (it fills the page cache with the inputs), then `reps` timed
 * rounds; in each the tools run in a rotating order, so no tool always runs right after
 * the same other one, each `sync`ed first, so one tool's dirty pages are not flushed on the
 * next one's clock, and with the page cache reset to just the `inputs` (see
 * resetPageCache). Each round starts by removing every tool's output and waiting `settle`
 * seconds (see SETTLE_SECONDS). Timed runs are appended to each tool's `runs`.
 */
export async function runRounds(tools: readonly Tool[], reps: number, scratchDir: string, inputs: readonly string[], settle = settleSeconds()): Promise<void> {
  for (let round = 0; round <= reps; round++) {
    let removed = false;
    for (const tool of tools) {
      removed ||= existsSync(tool.out);
      rmSync(tool.out, { recursive: true, force: true });
    }
    syncDisks();
    if (removed && settle > 0) {
      log(`waiting ${settle} s after removing the last round's outputs (freed inodes)`);
      await new Promise((r) => setTimeout(r, settle * 1000));
    }
    const order = tools.map((_, i) => tools[(i + round) % tools.length]!);
    for (const [i, tool] of order.entries()) {
      const cmd = tool.command();
      syncDisks();
      if (!resetPageCache(inputs) && round === 0 && i === 0) log('cannot drop the page cache (not root): runs start with earlier outputs cached');
      const run = await measure(cmd, scratchDir);
      log(`${round === 0 ? 'warm-up' : `round ${round}`}: ${tool.name} ${run.seconds.toFixed(2)} s (cpu ${run.cpuSeconds.toFixed(2)} s), peak RSS ${run.peakRssMb.toFixed(0)} MB`);
      if (round > 0) tool.runs.push(run);
    }
  }
}
