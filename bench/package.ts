// Packaging benchmark: `smoothpub package` against `cp -r` of the same fragment bytes and
// `ffmpeg -c copy -f smoothstreaming` on the same inputs (design.md targets: within 1.3x
// of cp, far ahead of ffmpeg, peak RSS flat in input size).
//
//   npm run bench:package -- [--reps 5] [--minutes 10]
//
// Each tool runs as a child process, so its peak RSS is its own (GNU time's %M, else
// VmHWM polled from /proc). One untimed warm-up round fills the page cache with the
// inputs; then the tools run interleaved, in a rotating order, `sync`ed before each run so
// one tool's dirty pages are not flushed on the next one's clock. Medians are the headline;
// the best run and CPU seconds are printed too, as this machine is shared and noisy.
// The last line is `RESULT {json}`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CACHE, cleanStaleTemps, ensurePresentation, type BenchPresentation } from './media.js';
import { argValue, log, median } from './lib/common.js';

interface Run {
  seconds: number;
  /** User + system CPU seconds (GNU time only; NaN otherwise). */
  cpuSeconds: number;
  peakRssMb: number;
  stdout: string;
}

interface Tool {
  name: string;
  /** Prepares (untimed) and returns the command to time. */
  command: () => string[];
  runs: Run[];
}

const GNU_TIME = '/usr/bin/time';
const OUT = join(CACHE, 'out');
const SMOOTHPUB = resolve('bin/smoothpub.js');

function sync(): void {
  spawnSync('sync');
}

/** Runs `cmd` to completion; wall time measured here, peak RSS by GNU time or /proc polling. */
async function measure(cmd: string[]): Promise<Run> {
  const [file, ...args] = cmd as [string, ...string[]];
  if (existsSync(GNU_TIME)) {
    const rssFile = join(OUT, '.rss');
    const t0 = performance.now();
    const r = spawnSync(GNU_TIME, ['-f', '%M %U %S', '-o', rssFile, file, ...args], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
    const seconds = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed with ${r.status ?? r.signal}`);
    const [kb, user, sys] = (readFileSync(rssFile, 'utf8').trim().split('\n').at(-1) ?? '').split(' ').map(Number);
    return { seconds, cpuSeconds: (user ?? NaN) + (sys ?? NaN), peakRssMb: (kb ?? NaN) / 1024, stdout: r.stdout.toString() };
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
  return { seconds, cpuSeconds: NaN, peakRssMb: peakKb / 1024, stdout };
}

function folderStats(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    files++;
    bytes += statSync(join(e.parentPath, e.name)).size;
  }
  return { files, bytes };
}

function smoothpubCommand(p: BenchPresentation, out: string): string[] {
  rmSync(out, { recursive: true, force: true });
  return [process.execPath, SMOOTHPUB, 'package', p.ism, '-o', out, '--json', '--no-progress'];
}

function tools(p: BenchPresentation): Tool[] {
  const sp = join(OUT, 'smoothpub', 'video.ism');
  const cp = join(OUT, 'cp', 'video.ism');
  const ff = join(OUT, 'ffmpeg', 'video.ism');
  for (const d of [sp, cp, ff]) mkdirSync(join(d, '..'), { recursive: true });
  return [
    { name: 'smoothpub', command: () => smoothpubCommand(p, sp), runs: [] },
    {
      name: 'cp -r',
      command: () => {
        rmSync(cp, { recursive: true, force: true });
        return ['cp', '-r', sp, cp];
      },
      runs: [],
    },
    {
      name: 'ffmpeg',
      command: () => {
        rmSync(ff, { recursive: true, force: true });
        // All levels and the audio into one smoothstreaming output, as a user would.
        return ['ffmpeg', '-hide_banner', '-v', 'error', ...p.files.flatMap((f) => ['-i', f]), ...p.files.flatMap((f, i) => ['-map', f.endsWith('.isma') ? `${i}:a` : `${i}:v`]), '-c', 'copy', '-f', 'smoothstreaming', ff];
      },
      runs: [],
    },
  ];
}

async function main(): Promise<void> {
  const reps = argValue('--reps', 5);
  const minutes = argValue('--minutes', 10);
  cleanStaleTemps();
  const big = ensurePresentation(minutes);
  const small = ensurePresentation(2);
  mkdirSync(OUT, { recursive: true });
  log(`input: ${big.files.length} files, ${(big.bytes / 1e6).toFixed(0)} MB, ${big.seconds / 60} min; ${reps} timed rounds after 1 warm-up, interleaved`);

  const list = tools(big);
  for (let round = 0; round <= reps; round++) {
    // Rotate the order so no tool always runs right after the same other one.
    const order = list.map((_, i) => list[(i + round) % list.length]!);
    for (const tool of order) {
      const cmd = tool.command();
      sync();
      const run = await measure(cmd);
      log(`${round === 0 ? 'warm-up' : `round ${round}`}: ${tool.name} ${run.seconds.toFixed(2)} s (cpu ${run.cpuSeconds.toFixed(2)} s), peak RSS ${run.peakRssMb.toFixed(0)} MB`);
      if (round > 0) tool.runs.push(run);
    }
  }

  // Memory flatness: the same presentation at a fifth of the length.
  const smallOut = join(OUT, 'smoothpub-2min', 'video.ism');
  mkdirSync(join(smallOut, '..'), { recursive: true });
  await measure(smoothpubCommand(small, smallOut));
  sync();
  const smallRun = await measure(smoothpubCommand(small, smallOut));

  const [sp, cp, ff] = list as [Tool, Tool, Tool];
  const spOut = folderStats(join(OUT, 'smoothpub', 'video.ism'));
  const ffOut = folderStats(join(OUT, 'ffmpeg', 'video.ism'));
  const objects = (JSON.parse(sp.runs.at(-1)!.stdout) as { objects: number }).objects;
  const med = (t: Tool, f: (r: Run) => number = (r) => r.seconds): number => median(t.runs.map(f));
  const best = (t: Tool): number => Math.min(...t.runs.map((r) => r.seconds));
  const s = { sp: med(sp), cp: med(cp), ff: med(ff) };
  const rss = (t: Tool): number => Math.max(...t.runs.map((r) => r.peakRssMb));

  const rows = [
    ['tool', 'median s', 'x cp', 'best s', 'best x cp', 'cpu s', 'runs s', 'peak RSS MB', 'output'],
    ...[sp, cp, ff].map((t) => [
      t.name,
      med(t).toFixed(2),
      (med(t) / s.cp).toFixed(2),
      best(t).toFixed(2),
      (best(t) / best(cp)).toFixed(2),
      med(t, (r) => r.cpuSeconds).toFixed(2),
      t.runs.map((r) => r.seconds.toFixed(2)).join(' '),
      rss(t).toFixed(0),
      t === ff ? `${ffOut.files} files, ${(ffOut.bytes / 1e6).toFixed(0)} MB` : `${spOut.files} files, ${(spOut.bytes / 1e6).toFixed(0)} MB`,
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log(`\npackage ${big.seconds / 60} min, ${big.files.length - 1} video levels + audio, ${(big.bytes / 1e6).toFixed(0)} MB in, ${objects} objects out`);
  for (const r of rows) console.log(r.map((v, c) => v.padEnd(widths[c]!)).join('  '));
  console.log(`smoothpub peak RSS: ${smallRun.peakRssMb.toFixed(0)} MB for 2 min (${(small.bytes / 1e6).toFixed(0)} MB in), ${rss(sp).toFixed(0)} MB for ${big.seconds / 60} min (${(big.bytes / 1e6).toFixed(0)} MB in)`);

  const result = {
    smoothpub_s: round3(s.sp),
    cp_s: round3(s.cp),
    ffmpeg_s: round3(s.ff),
    ratio_vs_cp: round3(s.sp / s.cp),
    ratio_vs_ffmpeg: round3(s.sp / s.ff),
    best_ratio_vs_cp: round3(best(sp) / best(cp)),
    smoothpub_cpu_s: round3(med(sp, (r) => r.cpuSeconds)),
    cp_cpu_s: round3(med(cp, (r) => r.cpuSeconds)),
    ffmpeg_cpu_s: round3(med(ff, (r) => r.cpuSeconds)),
    smoothpub_peak_rss_mb: Math.round(rss(sp)),
    smoothpub_peak_rss_mb_2min: Math.round(smallRun.peakRssMb),
    input_bytes: big.bytes,
    objects,
  };
  rmSync(OUT, { recursive: true, force: true });
  console.log(`RESULT ${JSON.stringify(result)}`);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

await main();
