// Packaging benchmark: `smoothpub package` against `cp -r` of the same fragment bytes and
// `ffmpeg -c copy -f smoothstreaming` on the same inputs (docs/architecture.md targets: within 1.3x
// of cp, far ahead of ffmpeg, peak RSS flat in input size).
//
//   npm run bench:package -- [--reps 5] [--minutes 10] [--settle 61]
//
// Each tool runs as a child process, so its peak RSS is its own (GNU time's %M, else
// VmHWM polled from /proc). One untimed warm-up round fills the page cache with the
// inputs; then the tools run interleaved, in a rotating order, `sync`ed before each run so
// one tool's dirty pages are not flushed on the next one's clock; each round starts from
// outputs removed a minute earlier (`--settle`, see bench/lib/runRounds.ts). Medians are the headline;
// the best run and CPU seconds are printed too, as this machine is shared and noisy.
// The last line is `RESULT {json}`.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, cleanStaleTemps, ensurePresentation, type BenchPresentation } from './media.js';
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
function tools(p: BenchPresentation, reference: string): Tool[] {
  const sp = join(OUT, 'smoothpub', 'video.ism');
  const cp = join(OUT, 'cp', 'video.ism');
  const ff = join(OUT, 'ffmpeg', 'video.ism');
  return [
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
    {
      name: 'ffmpeg',
      out: ff,
      command: () => {
        mkdirSync(join(ff, '..'), { recursive: true });
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

  const reference = join(OUT, 'reference', 'video.ism');
  rmSync(reference, { recursive: true, force: true });
  await measure(smoothpubCommand(big, reference), OUT);
  const list = tools(big, reference);
  await runRounds(list, reps, OUT, [...big.files, big.ism, reference], settleSeconds());

  // Memory flatness: the same presentation at a fifth of the length (a warm-up, then a run, each into its own folder).
  await measure(smoothpubCommand(small, join(OUT, 'smoothpub-2min-warm-up', 'video.ism')), OUT);
  syncDisks();
  const smallRun = await measure(smoothpubCommand(small, join(OUT, 'smoothpub-2min', 'video.ism')), OUT);

  const [sp, cp, ff] = list as [Tool, Tool, Tool];
  const spOut = folderStats(join(OUT, 'smoothpub', 'video.ism'));
  const ffOut = folderStats(join(OUT, 'ffmpeg', 'video.ism'));
  const objects = (JSON.parse(sp.runs.at(-1)!.stdout.trim().split('\n').at(-1)!) as { objects: number }).objects;
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

await main();
