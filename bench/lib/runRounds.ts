import { log } from './common.js';
import { measure, syncDisks, type Run } from './measure.js';

export interface Tool {
  name: string;
  /** Prepares (untimed) and returns the command to time. */
  command: () => string[];
  runs: Run[];
}

/**
 * One untimed warm-up round (it fills the page cache with the inputs), then `reps` timed
 * rounds; in each the tools run in a rotating order, so no tool always runs right after
 * the same other one, and `sync`ed first, so one tool's dirty pages are not flushed on the
 * next one's clock. Timed runs are appended to each tool's `runs`.
 */
export async function runRounds(tools: readonly Tool[], reps: number, scratchDir: string): Promise<void> {
  for (let round = 0; round <= reps; round++) {
    const order = tools.map((_, i) => tools[(i + round) % tools.length]!);
    for (const tool of order) {
      const cmd = tool.command();
      syncDisks();
      const run = await measure(cmd, scratchDir);
      log(`${round === 0 ? 'warm-up' : `round ${round}`}: ${tool.name} ${run.seconds.toFixed(2)} s (cpu ${run.cpuSeconds.toFixed(2)} s), peak RSS ${run.peakRssMb.toFixed(0)} MB`);
      if (round > 0) tool.runs.push(run);
    }
  }
}
