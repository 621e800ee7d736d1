// Encryption benchmark: what Common Encryption costs. `smoothpub package --formats
// smooth,dash,hls` of the 10-minute 7-level presentation, clear and with `--key` (cenc; goal:
// at most 1.3x the clear time, memory flat), against peers encrypting the same renditions
// with copy codecs: Shaka Packager (raw key, cenc, DASH; every level and the audio in one
// run) and ffmpeg (`-encryption_scheme cenc-aes-ctr`, one ISMV a rendition from one run).
// Goal: faster than both.
//
//   npm run bench:encrypt -- [--reps 3] [--minutes 10] [--settle 61]
//   npm run bench:encrypt -- --minutes 1 --reps 1 --settle 0    (a quick try)
//
// The method is bench/package.ts's (bench/lib/runRounds.ts): each tool a child process (its
// own peak RSS and CPU seconds), one untimed warm-up round, then the tools interleaved in a
// rotating order, `sync`ed before each run. The encryption ratio is the median of each
// round's ratio of the two smoothpub runs, so a slow round counts against both; the ratio
// of the medians and of the best runs are printed beside it. The last line is `RESULT {json}`.
import { rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { CACHE, type BenchPresentation } from './media.js';
import { argValue, median, round3 } from './lib/common.js';
import type { Run } from './lib/measure.js';
import { runRounds, settleSeconds, type Tool } from './lib/runRounds.js';
import { smoothpubPackageCommand } from './lib/smoothpubPackage.js';
import { packagingBenchInput, best, cpu, inFolder, isAudio, levelName, med, outputOf, printToolTable, rss } from './lib/toolRuns.js';

const OUT = join(CACHE, 'encrypt-out');
const SEGMENT_SECONDS = 2;
/** A fixed test key: a benchmark, not a secret. */
const KID = '6d6f6f7468707562656e637279707431';
const KEY = '3f1c8a7e5b2d4c6a9e0f1b3d5c7a9e2f';

interface Tools {
  clear: Tool;
  cenc: Tool;
  shaka: Tool;
  ffmpeg: Tool;
}

function tools(p: BenchPresentation, shakaPackager: string): Tools {
  const dir = (name: string): string => join(OUT, name);
  const formats = ['--formats', 'smooth,dash,hls'];
  const shaka = dir('shaka');
  const ffmpeg = dir('ffmpeg');
  return {
    clear: { name: 'smoothpub package (clear)', out: dir('clear'), command: () => smoothpubPackageCommand([p.ism], join(dir('clear'), 'video.ism'), formats), runs: [] },
    cenc: { name: 'smoothpub package --key (cenc)', out: dir('cenc'), command: () => smoothpubPackageCommand([p.ism], join(dir('cenc'), 'video.ism'), [...formats, '--key', `${KID}:${KEY}`]), runs: [] },
    shaka: {
      name: 'shaka-packager cenc dash',
      out: shaka,
      command: inFolder(shaka, () => [
        shakaPackager,
        ...p.files.map((f) => `in=${f},stream=${isAudio(f) ? 'audio' : 'video'},init_segment=${join(shaka, levelName(f), 'init.mp4')},segment_template=${join(shaka, levelName(f), '$Number$.m4s')}`),
        '--segment_duration', String(SEGMENT_SECONDS),
        '--generate_static_live_mpd',
        '--mpd_output', join(shaka, 'manifest.mpd'),
        '--enable_raw_key_encryption',
        '--keys', `label=:key_id=${KID}:key=${KEY}`,
        '--protection_scheme', 'cenc',
        // Every segment encrypted, as smoothpub does (Shaka leaves the first clear by default).
        '--clear_lead', '0',
        '--quiet',
      ]),
      runs: [],
    },
    ffmpeg: {
      name: 'ffmpeg cenc-aes-ctr ismv',
      out: ffmpeg,
      command: inFolder(ffmpeg, () => [
        'ffmpeg', '-hide_banner', '-v', 'error', '-y',
        ...p.files.flatMap((f) => ['-i', f]),
        ...p.files.flatMap((f, i) => ['-map', `${i}:${isAudio(f) ? 'a' : 'v'}:0`, '-c', 'copy', '-encryption_scheme', 'cenc-aes-ctr', '-encryption_key', KEY, '-encryption_kid', KID, '-f', 'ismv', join(ffmpeg, `${levelName(f)}.ismv`)]),
      ]),
      runs: [],
    },
  };
}

async function main(): Promise<void> {
  const reps = argValue('--reps', 3);
  const minutes = argValue('--minutes', 10);
  const settle = settleSeconds();
  const { p, shakaPackager } = packagingBenchInput(minutes, reps, OUT);
  const t = tools(p, shakaPackager);
  const all = [t.clear, t.cenc, t.shaka, t.ffmpeg];
  await runRounds(all, reps, OUT, [...p.files, p.ism], settle);

  const levels = p.files.map(levelName);
  const out = {
    clear: outputOf(t.clear, join(t.clear.out, 'video.ism'), ['Manifest', 'manifest.mpd']),
    cenc: outputOf(t.cenc, join(t.cenc.out, 'video.ism'), ['Manifest', 'manifest.mpd']),
    shaka: outputOf(t.shaka, t.shaka.out, ['manifest.mpd', ...levels.map((l) => join(l, 'init.mp4'))]),
    ffmpeg: outputOf(t.ffmpeg, t.ffmpeg.out, levels.map((l) => `${l}.ismv`)),
  };

  const paired = (a: Tool, b: Tool, f: (x: Run, y: Run) => number): number => median(a.runs.map((r, i) => f(r, b.runs[i]!)));
  const ratio = {
    time: paired(t.cenc, t.clear, (a, b) => a.seconds / b.seconds),
    ofMedians: med(t.cenc) / med(t.clear),
    bestTime: best(t.cenc) / best(t.clear),
    cpu: paired(t.cenc, t.clear, (a, b) => a.cpuSeconds / b.cpuSeconds),
    vsShaka: paired(t.cenc, t.shaka, (a, b) => a.seconds / b.seconds),
    vsFfmpeg: paired(t.cenc, t.ffmpeg, (a, b) => a.seconds / b.seconds),
  };
  // The 1-minute load average as each timed run ended: above the core count, other work competed.
  const loads = all.flatMap((tool) => tool.runs.map((r) => r.loadAverage));

  const mb = (b: number): string => (b / 1e6).toFixed(0);
  console.log(`\nencrypt ${p.seconds / 60} min, ${p.files.length - 1} video levels + audio, ${mb(p.bytes)} MB in`);
  printToolTable((Object.keys(out) as (keyof Tools)[]).map((k) => [t[k], out[k]]), mb);
  const mark = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  console.log(`\ncenc vs clear (median of the rounds' ratios): time ${ratio.time.toFixed(3)}x (goal <= 1.3x: ${mark(ratio.time <= 1.3)}; of the medians ${ratio.ofMedians.toFixed(3)}x, of the best runs ${ratio.bestTime.toFixed(3)}x), cpu ${ratio.cpu.toFixed(3)}x`);
  console.log(`smoothpub cenc vs Shaka Packager ${ratio.vsShaka.toFixed(3)}x, vs ffmpeg ${ratio.vsFfmpeg.toFixed(3)}x the time (goal < 1: ${mark(ratio.vsShaka < 1 && ratio.vsFfmpeg < 1)})`);
  console.log(`load average during the timed runs: median ${median(loads).toFixed(2)}, max ${Math.max(...loads).toFixed(2)} on ${cpus().length} cores`);

  const result = {
    clear_s: round3(med(t.clear)),
    cenc_s: round3(med(t.cenc)),
    shaka_s: round3(med(t.shaka)),
    ffmpeg_s: round3(med(t.ffmpeg)),
    cenc_vs_clear_time: round3(ratio.time),
    cenc_vs_clear_time_of_medians: round3(ratio.ofMedians),
    best_cenc_vs_clear_time: round3(ratio.bestTime),
    cenc_vs_clear_cpu: round3(ratio.cpu),
    cenc_vs_shaka_time: round3(ratio.vsShaka),
    cenc_vs_ffmpeg_time: round3(ratio.vsFfmpeg),
    clear_cpu_s: round3(med(t.clear, cpu)),
    cenc_cpu_s: round3(med(t.cenc, cpu)),
    shaka_cpu_s: round3(med(t.shaka, cpu)),
    ffmpeg_cpu_s: round3(med(t.ffmpeg, cpu)),
    clear_peak_rss_mb: Math.round(rss(t.clear)),
    cenc_peak_rss_mb: Math.round(rss(t.cenc)),
    shaka_peak_rss_mb: Math.round(rss(t.shaka)),
    ffmpeg_peak_rss_mb: Math.round(rss(t.ffmpeg)),
    clear_bytes: out.clear.bytes,
    cenc_bytes: out.cenc.bytes,
    input_bytes: p.bytes,
    load_average_median: round3(median(loads)),
    load_average_max: round3(Math.max(...loads)),
    cores: cpus().length,
    minutes,
    reps,
    settle_s: settle,
  };
  rmSync(OUT, { recursive: true, force: true });
  console.log(`RESULT ${JSON.stringify(result)}`);
}

await main();
