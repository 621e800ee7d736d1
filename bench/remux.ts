// Plain MP4 packaging benchmark (issue 6): `smoothpub package` of the 7-level ladder as
// plain .mp4/.m4a renditions against ffmpeg remuxing the same renditions with
// `-c copy -f ismv`, then peak RSS packaging one plain MP4 past 4 GiB (co64 chunk offsets)
// against a 10-minute one of the same kind. Goal: faster than ffmpeg, flat memory.
//
//   npm run bench:remux -- [--reps 5] [--minutes 10] [--big-mb 4500] [--quick] [--settle 61]
//
// ffmpeg runs two ways, both timed: one process with every rendition as an input and one
// ismv output each (ffmpeg's best shot: one start-up, its muxers interleaved), and one
// process per rendition run one after the other under `sh -c` (what a script would do;
// GNU time reports its largest step's RSS). The headline ratio is against the faster of
// the two. `smoothpub remux` (one .ismv/.isma per rendition, the same shape of output as
// ffmpeg's) is timed beside them. As in bench/package.ts, each tool is a child process, one untimed warm-up
// round fills the page cache, then the tools run interleaved in a rotating order,
// `sync`ed before each run; each round starts from outputs removed a minute earlier
// (`--settle`, see bench/lib/runRounds.ts); medians are the headline. `--quick` skips
// the 4 GiB part.
// The last line is `RESULT {json}`.
import { existsSync, mkdirSync, rmSync, statfsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { CACHE, cleanStaleTemps } from './media.js';
import { argValue, log, median, round3 } from './lib/common.js';
import { folderStats } from './lib/folderStats.js';
import { measure, syncDisks, type Run } from './lib/measure.js';
import { readMp4Layout, type Mp4Layout } from './lib/mp4Layout.js';
import { cleanStalePlainTemps, ensureLoopedMovie, ensurePlainLadder, removeOtherLoopedMovies, type PlainLadder, type PlainMovie } from './lib/plainMedia.js';
import { resetPageCache, runRounds, settleSeconds, type Tool } from './lib/runRounds.js';
import { smoothpubPackageCommand } from './lib/smoothpubPackage.js';


const OUT = join(CACHE, 'remux-out');
const HEADROOM = 2e9;

/** ffmpeg's output options for one rendition: audio fragments every 2 s like bench/media.ts's ISMA (video fragments at its 2 s keyframes). */
function ffmpegOutput(input: number, file: string, out: string): string[] {
  const audio = file.endsWith('.m4a');
  return ['-map', `${input}:${audio ? 'a' : 'v'}:0`, '-c', 'copy', ...(audio ? ['-frag_duration', '2000000'] : []), '-f', 'ismv', join(out, basename(file).replace(/\.mp4$/, '.ismv').replace(/\.m4a$/, '.isma'))];
}


function tools(ladder: PlainLadder): Tool[] {
  const sp = join(OUT, 'smoothpub', 'video.ism');
  const rx = join(OUT, 'smoothpub-remux');
  const ff1 = join(OUT, 'ffmpeg-1');
  const ffN = join(OUT, 'ffmpeg-n');
  mkdirSync(join(sp, '..'), { recursive: true });
  const ff = ['ffmpeg', '-hide_banner', '-v', 'error', '-y'];
  return [
    { name: 'smoothpub', command: () => smoothpubPackageCommand(ladder.files, sp), out: sp, runs: [] },
    {
      // The same shape of output as ffmpeg -f ismv: one fragmented file per rendition (+ .ism/.ismc).
      name: 'smoothpub remux',
      command: () => {
        mkdirSync(rx, { recursive: true });
        return [process.execPath, resolve('bin/smoothpub.js'), 'remux', ...ladder.files, '-o', join(rx, 'video.ism'), '--json', '--no-progress'];
      },
      out: rx,
      runs: [],
    },
    {
      name: 'ffmpeg 1 process',
      command: () => {
        mkdirSync(ff1, { recursive: true });
        return [...ff, ...ladder.files.flatMap((f) => ['-i', f]), ...ladder.files.flatMap((f, i) => ffmpegOutput(i, f, ff1))];
      },
      out: ff1,
      runs: [],
    },
    {
      name: `ffmpeg x${ladder.files.length} in turn`,
      command: () => {
        mkdirSync(ffN, { recursive: true });
        const steps = ladder.files.map((f) => [...ff, '-i', f, ...ffmpegOutput(0, f, ffN)].map(shellQuote).join(' '));
        return ['sh', '-c', `set -e; ${steps.join('; ')}`];
      },
      out: ffN,
      runs: [],
    },
  ];
}

function shellQuote(s: string): string {
  return /^[\w./:=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function describeLayout(l: Mp4Layout): string {
  return `${l.topLevel.join(' ')}; ${[...new Set(l.chunkOffsetBoxes)].join('/')}, max chunk offset ${l.maxChunkOffset}${l.mdatLargeSize ? ', mdat with 64-bit size' : ''}`;
}

interface BigResult {
  small: PlainMovie;
  big: PlainMovie;
  bigLayout: Mp4Layout;
  smallRun: Run;
  bigRun: Run;
  ffBigRun: Run;
  objects: number;
}

/** Loops needed for `targetBytes`, shrunk to what the disk holds (the input, plus one tool's output at a time, plus headroom). */
function fitLoops(ladder: PlainLadder, targetBytes: number): number {
  const perLoop = statSync(ladder.files[0]!).size + statSync(ladder.files.at(-1)!).size;
  let loops = Math.ceil(targetBytes / perLoop);
  const cached = join(CACHE, 'plainloop', `${ladder.seconds / 60}min-x${loops}.mp4`);
  const fs = statfsSync(CACHE);
  const free = fs.bavail * fs.bsize;
  const need = (existsSync(cached) ? 1 : 2) * loops * perLoop + HEADROOM;
  if (need > free) {
    const fit = Math.floor((free - HEADROOM) / (2 * perLoop));
    log(`only ${(free / 1e9).toFixed(1)} GB free: ${(need / 1e9).toFixed(1)} GB needed for ${((loops * perLoop) / 1e9).toFixed(1)} GB input; using ${fit} loops (${((fit * perLoop) / 1e9).toFixed(1)} GB)`);
    loops = fit;
    if (loops < 2) throw new Error('not enough disk space for the large input; run with --quick');
  }
  return loops;
}

async function runBig(ladder: PlainLadder, targetBytes: number): Promise<BigResult> {
  const loops = fitLoops(ladder, targetBytes);
  const smallFile = join(CACHE, 'plainloop', `${ladder.seconds / 60}min-x1.mp4`);
  const bigFile = join(CACHE, 'plainloop', `${ladder.seconds / 60}min-x${loops}.mp4`);
  removeOtherLoopedMovies([smallFile, bigFile]);
  const small = ensureLoopedMovie(ladder, 1);
  const big = ensureLoopedMovie(ladder, loops);
  const smallLayout = readMp4Layout(small.file);
  const bigLayout = readMp4Layout(big.file);
  log(`small input ${(small.bytes / 1e6).toFixed(0)} MB, ${small.seconds / 60} min: ${describeLayout(smallLayout)}`);
  log(`large input ${(big.bytes / 1e9).toFixed(2)} GB, ${big.seconds / 60} min: ${describeLayout(bigLayout)}`);
  if (big.bytes > 2 ** 32 && !bigLayout.chunkOffsetBoxes.includes('co64')) throw new Error(`${big.file} is past 4 GiB but has no co64`);

  // A folder per run, removed after all three: no run creates files right after a removal (runRounds.ts).
  const out = (name: string): string => join(OUT, 'big', name, 'video.ism');
  await measure(smoothpubPackageCommand([small.file], out('warm-up')), OUT); // the small input into the page cache
  syncDisks();
  const smallRun = await measure(smoothpubPackageCommand([small.file], out('small')), OUT);
  log(`small: smoothpub ${smallRun.seconds.toFixed(2)} s, peak RSS ${smallRun.peakRssMb.toFixed(0)} MB`);
  syncDisks();
  resetPageCache([big.file]);
  const bigRun = await measure(smoothpubPackageCommand([big.file], out('large')), OUT);
  const objects = (JSON.parse(bigRun.stdout.trim().split('\n').at(-1)!) as { objects: number }).objects;
  log(`large: smoothpub ${bigRun.seconds.toFixed(2)} s, peak RSS ${bigRun.peakRssMb.toFixed(0)} MB, ${objects} objects`);
  rmSync(join(OUT, 'big'), { recursive: true, force: true });
  // ffmpeg on the same input, once, as the peer for time and memory.
  const ffOut = join(OUT, 'big-ffmpeg.ismv');
  syncDisks();
  resetPageCache([big.file]); // as for smoothpub: the input cached, no earlier output
  const ffBigRun = await measure(['ffmpeg', '-hide_banner', '-v', 'error', '-y', '-i', big.file, '-map', '0', '-c', 'copy', '-f', 'ismv', ffOut], OUT);
  log(`large: ffmpeg ${ffBigRun.seconds.toFixed(2)} s, peak RSS ${ffBigRun.peakRssMb.toFixed(0)} MB`);
  rmSync(ffOut, { force: true });
  return { small, big, bigLayout, smallRun, bigRun, ffBigRun, objects };
}

async function main(): Promise<void> {
  const reps = argValue('--reps', 5);
  const minutes = argValue('--minutes', 10);
  const bigMb = argValue('--big-mb', 4500);
  const quick = process.argv.includes('--quick');
  const t0 = performance.now();
  cleanStaleTemps();
  cleanStalePlainTemps();
  const ladder = ensurePlainLadder(minutes);
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  for (const f of ladder.files) log(`${basename(f)}: ${describeLayout(readMp4Layout(f))}`);
  log(`input: ${ladder.files.length} plain MP4 files, ${(ladder.bytes / 1e6).toFixed(0)} MB, ${minutes} min; ${reps} timed rounds after 1 warm-up, interleaved`);

  const list = tools(ladder);
  await runRounds(list, reps, OUT, ladder.files, settleSeconds());
  const [sp, rx, ff1, ffN] = list as [Tool, Tool, Tool, Tool];
  const objects = (JSON.parse(sp.runs.at(-1)!.stdout.trim().split('\n').at(-1)!) as { objects: number }).objects;
  const outputs = list.map((t) => folderStats(t.out));
  for (const t of list) rmSync(t.out, { recursive: true, force: true });

  const big = quick ? undefined : await runBig(ladder, bigMb * 1e6);

  const med = (t: Tool, f: (r: Run) => number = (r) => r.seconds): number => median(t.runs.map(f));
  const best = (t: Tool): number => Math.min(...t.runs.map((r) => r.seconds));
  const rss = (t: Tool): number => Math.max(...t.runs.map((r) => r.peakRssMb));
  const ff = med(ff1) <= med(ffN) ? ff1 : ffN;
  const rows = [
    ['tool', 'median s', 'x smoothpub', 'best s', 'cpu s', 'runs s', 'peak RSS MB', 'output'],
    ...list.map((t, i) => [
      t.name,
      med(t).toFixed(2),
      (med(t) / med(sp)).toFixed(2),
      best(t).toFixed(2),
      med(t, (r) => r.cpuSeconds).toFixed(2),
      t.runs.map((r) => r.seconds.toFixed(2)).join(' '),
      rss(t).toFixed(0),
      `${outputs[i]!.files} files, ${(outputs[i]!.bytes / 1e6).toFixed(0)} MB`,
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log(`\nplain MP4 -> Smooth, ${minutes} min, ${ladder.files.length - 1} video levels + audio, ${(ladder.bytes / 1e6).toFixed(0)} MB in, ${objects} objects out`);
  for (const r of rows) console.log(r.map((v, c) => v.padEnd(widths[c]!)).join('  '));
  console.log(`smoothpub package / ${ff.name}: ${(med(sp) / med(ff)).toFixed(2)} (median), ${(best(sp) / best(ff)).toFixed(2)} (best)`);
  console.log(`smoothpub remux / ${ff.name}: ${(med(rx) / med(ff)).toFixed(2)} (median), ${(best(rx) / best(ff)).toFixed(2)} (best)`);
  if (big) {
    const { small, bigLayout, smallRun, bigRun, ffBigRun } = big;
    console.log(
      `large input: ${(big.big.bytes / 1e9).toFixed(2)} GB (${(big.big.seconds / 3600).toFixed(1)} h, ${[...new Set(bigLayout.chunkOffsetBoxes)].join('/')}${bigLayout.mdatLargeSize ? ', 64-bit mdat size' : ''}): ` +
        `smoothpub ${bigRun.seconds.toFixed(1)} s, peak RSS ${bigRun.peakRssMb.toFixed(0)} MB vs ${smallRun.peakRssMb.toFixed(0)} MB for ${(small.bytes / 1e6).toFixed(0)} MB (${(big.big.bytes / small.bytes).toFixed(0)}x the input, ${(bigRun.peakRssMb / smallRun.peakRssMb).toFixed(2)}x the memory); ` +
        `ffmpeg -f ismv ${ffBigRun.seconds.toFixed(1)} s, peak RSS ${ffBigRun.peakRssMb.toFixed(0)} MB`,
    );
  }

  const result = {
    smoothpub_s: round3(med(sp)),
    ffmpeg_1proc_s: round3(med(ff1)),
    ffmpeg_in_turn_s: round3(med(ffN)),
    ratio_vs_ffmpeg: round3(med(sp) / med(ff)),
    remux_s: round3(med(rx)),
    remux_ratio_vs_ffmpeg: round3(med(rx) / med(ff)),
    remux_peak_rss_mb: Math.round(rss(rx)),
    best_ratio_vs_ffmpeg: round3(best(sp) / best(ff)),
    smoothpub_cpu_s: round3(med(sp, (r) => r.cpuSeconds)),
    ffmpeg_1proc_cpu_s: round3(med(ff1, (r) => r.cpuSeconds)),
    ffmpeg_in_turn_cpu_s: round3(med(ffN, (r) => r.cpuSeconds)),
    smoothpub_peak_rss_mb: Math.round(rss(sp)),
    ffmpeg_1proc_peak_rss_mb: Math.round(rss(ff1)),
    ffmpeg_in_turn_peak_rss_mb: Math.round(rss(ffN)),
    input_bytes: ladder.bytes,
    objects,
    ...(big && {
      large_input_bytes: big.big.bytes,
      large_co64: big.bigLayout.chunkOffsetBoxes.includes('co64'),
      large_mdat_64bit_size: big.bigLayout.mdatLargeSize,
      large_smoothpub_s: round3(big.bigRun.seconds),
      large_smoothpub_peak_rss_mb: Math.round(big.bigRun.peakRssMb),
      large_objects: big.objects,
      small_input_bytes: big.small.bytes,
      small_smoothpub_peak_rss_mb: Math.round(big.smallRun.peakRssMb),
      large_ffmpeg_s: round3(big.ffBigRun.seconds),
      large_ffmpeg_peak_rss_mb: Math.round(big.ffBigRun.peakRssMb),
    }),
    quick,
    bench_s: Math.round((performance.now() - t0) / 1000),
  };
  rmSync(OUT, { recursive: true, force: true });
  console.log(`RESULT ${JSON.stringify(result)}`);
}

await main();
