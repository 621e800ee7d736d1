// One timed child process: wall seconds measured here, CPU seconds and peak RSS by GNU
// time (%M is the largest RSS of the child and the children it waited for, so a
// `sh -c 'a; b'` reports its biggest step), else VmHWM polled from /proc.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

export interface Run {
  seconds: number;
  /** User + system CPU seconds (GNU time only; NaN otherwise). */
  cpuSeconds: number;
  peakRssMb: number;
  stdout: string;
  /** The machine's 1-minute load average as the run ended: how busy it was meanwhile. */
  loadAverage: number;
}

const GNU_TIME = '/usr/bin/time';

/** Flushes dirty pages, so one run's writes are not paid for on the next run's clock. */
export function syncDisks(): void {
  spawnSync('sync');
}

/** Runs `cmd` to completion; `scratchDir` holds GNU time's report. */
export async function measure(cmd: string[], scratchDir: string): Promise<Run> {
  const [file, ...args] = cmd as [string, ...string[]];
  if (existsSync(GNU_TIME)) {
    const rssFile = join(scratchDir, '.rss');
    const t0 = performance.now();
    const r = spawnSync(GNU_TIME, ['-f', '%M %U %S', '-o', rssFile, file, ...args], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
    const seconds = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed with ${r.status ?? r.signal}`);
    const [kb, user, sys] = (readFileSync(rssFile, 'utf8').trim().split('\n').at(-1) ?? '').split(' ').map(Number);
    return { seconds, cpuSeconds: (user ?? NaN) + (sys ?? NaN), peakRssMb: (kb ?? NaN) / 1024, stdout: r.stdout.toString(), loadAverage: loadavg()[0]! };
  }
  const t0 = performance.now();
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  let peakKb = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // exited between polls
    }
  }, 10);
  const code = await new Promise<number | null>((res) => child.on('close', res));
  clearInterval(poll);
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`${cmd.join(' ')} failed with ${code}`);
  return { seconds, cpuSeconds: NaN, peakRssMb: peakKb / 1024, stdout, loadAverage: loadavg()[0]! };
}
