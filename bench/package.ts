// Packaging benchmark: `smoothpub package` against `cp -r` of its own output (the same
// fragment bytes) and `ffmpeg -c copy -f smoothstreaming` on the same inputs
// (docs/architecture.md targets: within 1.5x of cp on the 10-minute ladder and 1.2x on a
// 2-hour one, where fixed costs fade; far ahead of ffmpeg; peak RSS flat in input size).
//
//   npm run bench:package -- [--reps 5] [--minutes 10] [--long-minutes 120] [--long-reps 2] [--settle 61]
//   npm run bench:package -- --long-minutes 0 --reps 2     (the 10-minute ladder only)
//   npm run bench:package -- --only-long --long-reps 1     (the 2-hour ladder only)
//   npm run bench:package -- --also-concurrency 1          (and smoothpub with 1 writer thread; the default is one a core, up to 2)
//   npm run bench:package -- --compare-bin ../old/bin/smoothpub.js   (and another build, before/after)
//
// Each tool runs as a child process, so its peak RSS is its own (GNU time's %M, else
// VmHWM polled from /proc). One untimed warm-up round fills the page cache with the
// inputs; then the tools run interleaved, in a rotating order, `sync`ed before each run so
// one tool's dirty pages are not flushed on the next one's clock; each round starts from
// outputs removed a minute earlier (`--settle`, see bench/lib/runRounds.ts). Medians are the headline,
// with the median of each round's smoothpub/cp ratio beside them (a round slowed by the
// machine's other work counts against both); the best run and CPU seconds are printed too,
// as this machine is shared and noisy. The 2-hour ladder (8.5 GB) is timed against `cp -r`
// alone: ffmpeg is the 10-minute comparison's peer. The last line is `RESULT {json}`.
import { mkdirSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { CACHE, LONG_MINUTES, cleanStaleTemps, ensurePresentation, type BenchPresentation } from './media.js';
import { argValue, log, median, round3 } from './lib/common.js';
import { folderStats } from './lib/folderStats.js';
import { measure, syncDisks, type Run } from './lib/measure.js';
import { runRounds, settleSeconds, type Tool } from './lib/runRounds.js';
import { smoothpubPackageCommand } from './lib/smoothpubPackage.js';

const OUT = join(CACHE, 'out');

function smoothpubCommand(p: BenchPresentation, out: string): string[] {
  return smoothpubPackageCommand([p.ism], out);
}

/** `reference` is a packaged copy that `cp -r` copies: the same fragment bytes, made once, untimed. */
function tools(p: BenchPresentation, reference: string, withFfmpeg: boolean): Tool[] {
  const sp = join(OUT, 'smoothpub', 'video.ism');
  const cp = join(OUT, 'cp', 'video.ism');
  const ff = join(OUT, 'ffmpeg', 'video.ism');
  const list: Tool[] = [
    { name: 'smoothpub', out: sp, command: () => smoothpubCommand(p, sp), runs: [] },
    {
      name: 'cp -r',
      out: cp,
      command: () => {
        mkdirSync(join(cp, '..'), { recursive: true });
        return ['cp', '-r', reference, cp];
      },
      runs: [],
    },
  ];
  const compare = compareBin();
  if (compare !== undefined) {
    const out = join(OUT, 'smoothpub-compare', 'video.ism');
    list.push({
      name: 'smoothpub (--compare-bin)',
      out,
      command: () => {
        mkdirSync(join(out, '..'), { recursive: true });
        return [process.execPath, compare, 'package', p.ism, '-o', out, '--json', '--no-progress'];
      },
      runs: [],
    });
  }
  const threads = alsoConcurrency();
  if (threads !== undefined) {
    const out = join(OUT, 'smoothpub-threads', 'video.ism');
    list.push({ name: `smoothpub --concurrency ${threads}`, out, command: () => smoothpubPackageCommand([p.ism], out, ['--concurrency', String(threads)]), runs: [] });
  }
  if (withFfmpeg) {
    list.push({
      name: 'ffmpeg',
      out: ff,
      command: () => {
        mkdirSync(join(ff, '..'), { recursive: true });
        // All levels and the audio into one smoothstreaming output, as a user would.
        return ['ffmpeg', '-hide_banner', '-v', 'error', ...p.files.flatMap((f) => ['-i', f]), ...p.files.flatMap((f, i) => ['-map', f.endsWith('.isma') ? `${i}:a` : `${i}:v`]), '-c', 'copy', '-f', 'smoothstreaming', ff];
      },
      runs: [],
    });
  }
  return list;
}

/** `--compare-bin <bin/smoothpub.js>`: another build's CLI (an earlier commit's) timed as one more tool, for before/after in one run. */
function compareBin(): string | undefined {
  const i = process.argv.indexOf('--compare-bin');
  return i >= 0 ? resolve(process.argv[i + 1] ?? '') : undefined;
}

/** `--also-concurrency N`: smoothpub with N writer threads timed as one more tool (its default: one a core, up to 2). */
function alsoConcurrency(): number | undefined {
  return process.argv.includes('--also-concurrency') ? argValue('--also-concurrency', 2) : undefined;
}

/** `--long-minutes N` (0: no long input), else `fallback`. */
function longMinutes(fallback: number): number {
  const i = process.argv.indexOf('--long-minutes');
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 0) throw new Error('--long-minutes needs a whole number of minutes (0: skip)');
  return v;
}

interface Timed {
  input: BenchPresentation;
  list: Tool[];
  objects: number;
}

/** Interleaved rounds of smoothpub, cp -r of its output and (optionally) ffmpeg on one input. */
async function timeInput(p: BenchPresentation, reps: number, withFfmpeg: boolean): Promise<Timed> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  log(`input: ${p.files.length} files, ${(p.bytes / 1e6).toFixed(0)} MB, ${p.seconds / 60} min; ${reps} timed rounds after 1 warm-up, interleaved`);
  const reference = join(OUT, 'reference', 'video.ism');
  await measure(smoothpubCommand(p, reference), OUT);
  const list = tools(p, reference, withFfmpeg);
  await runRounds(list, reps, OUT, [...p.files, p.ism, reference], settleSeconds());
  const objects = (JSON.parse(list[0]!.runs.at(-1)!.stdout.trim().split('\n').at(-1)!) as { objects: number }).objects;
  return { input: p, list, objects };
}

const med = (t: Tool, f: (r: Run) => number = (r) => r.seconds): number => median(t.runs.map(f));
const best = (t: Tool): number => Math.min(...t.runs.map((r) => r.seconds));
const rss = (t: Tool): number => Math.max(...t.runs.map((r) => r.peakRssMb));
/** The median of each round's ratio of `a`'s time to `b`'s. */
const paired = (a: Tool, b: Tool): number => median(a.runs.map((r, i) => r.seconds / b.runs[i]!.seconds));

function printTable(t: Timed): void {
  const [sp, cp] = t.list as [Tool, Tool];
  const spOut = folderStats(sp.out);
  const rows = [
    ['tool', 'median s', 'x cp', 'best s', 'best x cp', 'cpu s', 'runs s', 'peak RSS MB', 'output'],
    ...t.list.map((tool) => {
      const out = tool === sp || tool === cp ? spOut : folderStats(tool.out);
      return [
        tool.name,
        med(tool).toFixed(2),
        (med(tool) / med(cp)).toFixed(2),
        best(tool).toFixed(2),
        (best(tool) / best(cp)).toFixed(2),
        med(tool, (r) => r.cpuSeconds).toFixed(2),
        tool.runs.map((r) => r.seconds.toFixed(2)).join(' '),
        rss(tool).toFixed(0),
        `${out.files} files, ${(out.bytes / 1e6).toFixed(0)} MB`,
      ];
    }),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const p = t.input;
  console.log(`\npackage ${p.seconds / 60} min, ${p.files.length - 1} video levels + audio, ${(p.bytes / 1e6).toFixed(0)} MB in, ${t.objects} objects out`);
  for (const r of rows) console.log(r.map((v, c) => v.padEnd(widths[c]!)).join('  '));
  console.log(`smoothpub/cp: ${(med(sp) / med(cp)).toFixed(3)}x (medians), ${paired(sp, cp).toFixed(3)}x (median of the rounds' ratios), ${(best(sp) / best(cp)).toFixed(3)}x (best runs)`);
}

async function main(): Promise<void> {
  const reps = argValue('--reps', 5);
  const minutes = argValue('--minutes', 10);
  const long = longMinutes(LONG_MINUTES);
  const longReps = argValue('--long-reps', 2);
  const onlyLong = process.argv.includes('--only-long');
  cleanStaleTemps();
  const runs: Run[] = [];
  const result: Record<string, number | null> = {};

  if (!onlyLong) {
    const big = ensurePresentation(minutes);
    const small = ensurePresentation(2);
    const t = await timeInput(big, reps, true);
    const [sp, cp] = t.list as [Tool, Tool];
    const ff = t.list.find((tool) => tool.name === 'ffmpeg')!;
    const threads = t.list.find((tool) => tool.name.startsWith('smoothpub --concurrency'));
    const compared = t.list.find((tool) => tool.name === 'smoothpub (--compare-bin)');
    // Memory flatness: the same presentation at a fifth of the length (a warm-up, then a run, each into its own folder).
    await measure(smoothpubCommand(small, join(OUT, 'smoothpub-2min-warm-up', 'video.ism')), OUT);
    syncDisks();
    const smallRun = await measure(smoothpubCommand(small, join(OUT, 'smoothpub-2min', 'video.ism')), OUT);
    printTable(t);
    console.log(`smoothpub peak RSS: ${smallRun.peakRssMb.toFixed(0)} MB for 2 min (${(small.bytes / 1e6).toFixed(0)} MB in), ${rss(sp).toFixed(0)} MB for ${big.seconds / 60} min (${(big.bytes / 1e6).toFixed(0)} MB in)`);
    for (const tool of t.list) runs.push(...tool.runs);
    Object.assign(result, {
      minutes,
      smoothpub_s: round3(med(sp)),
      cp_s: round3(med(cp)),
      ffmpeg_s: round3(med(ff)),
      ratio_vs_cp: round3(med(sp) / med(cp)),
      paired_ratio_vs_cp: round3(paired(sp, cp)),
      ratio_vs_ffmpeg: round3(med(sp) / med(ff)),
      best_ratio_vs_cp: round3(best(sp) / best(cp)),
      smoothpub_cpu_s: round3(med(sp, (r) => r.cpuSeconds)),
      cp_cpu_s: round3(med(cp, (r) => r.cpuSeconds)),
      ffmpeg_cpu_s: round3(med(ff, (r) => r.cpuSeconds)),
      smoothpub_peak_rss_mb: Math.round(rss(sp)),
      smoothpub_peak_rss_mb_2min: Math.round(smallRun.peakRssMb),
      ...(threads && { threads_ratio_vs_cp: round3(med(threads) / med(cp)), threads_paired_ratio_vs_cp: round3(paired(threads, cp)) }),
      ...(compared && { compare_ratio_vs_cp: round3(med(compared) / med(cp)), compare_paired_ratio_vs_cp: round3(paired(compared, cp)), compare_s: round3(med(compared)) }),
      input_bytes: big.bytes,
      objects: t.objects,
    });
  }

  if (long > 0) {
    const t = await timeInput(ensurePresentation(long), longReps, false);
    const [sp, cp] = t.list as [Tool, Tool];
    const threads = t.list.find((tool) => tool.name.startsWith('smoothpub --concurrency'));
    printTable(t);
    for (const tool of t.list) runs.push(...tool.runs);
    Object.assign(result, {
      ...(threads && { long_threads_ratio_vs_cp: round3(med(threads) / med(cp)), long_threads_paired_ratio_vs_cp: round3(paired(threads, cp)) }),
      long_minutes: long,
      long_smoothpub_s: round3(med(sp)),
      long_cp_s: round3(med(cp)),
      long_ratio_vs_cp: round3(med(sp) / med(cp)),
      long_paired_ratio_vs_cp: round3(paired(sp, cp)),
      long_best_ratio_vs_cp: round3(best(sp) / best(cp)),
      long_smoothpub_cpu_s: round3(med(sp, (r) => r.cpuSeconds)),
      long_cp_cpu_s: round3(med(cp, (r) => r.cpuSeconds)),
      long_smoothpub_peak_rss_mb: Math.round(rss(sp)),
      long_input_bytes: t.input.bytes,
      long_objects: t.objects,
    });
  }

  // The 1-minute load average as each timed run ended: above the core count, other work competed.
  const loads = runs.map((r) => r.loadAverage);
  console.log(`load average during the timed runs: median ${median(loads).toFixed(2)}, max ${Math.max(...loads).toFixed(2)} on ${cpus().length} cores`);
  Object.assign(result, { load_average_median: round3(median(loads)), load_average_max: round3(Math.max(...loads)), cores: cpus().length });
  rmSync(OUT, { recursive: true, force: true });
  console.log(`RESULT ${JSON.stringify(result)}`);
}

await main();
