// Formats benchmark: what DASH and HLS cost on top of Smooth. `smoothpub package --formats
// smooth` against `--formats smooth,dash,hls` of the 10-minute 7-level presentation, time and
// bytes written (targets: at most 1.1x the time and 1.01x the bytes, as the fragment objects
// are shared: DASH and HLS add a `tfdt` to each fragment, an init segment per level and a few
// small documents), then that extra cost against peers writing DASH and HLS from the same
// sources with copy codecs: Shaka Packager (one run writing both, one set of segments) and
// ffmpeg (`-f dash`, and `-f hls -hls_segment_type fmp4`: two runs, two copies of the media,
// counted together). Target: well under either peer's time and bytes.
//
//   npm run bench:formats -- [--reps 5] [--minutes 10] [--settle 61]
//   npm run bench:formats -- --minutes 1 --reps 1 --settle 0    (a quick try)
//
// The method is bench/package.ts's: each tool a child process (its own peak RSS and CPU
// seconds), one untimed warm-up round filling the page cache with the inputs, then the tools
// interleaved in a rotating order, `sync`ed before each run, each round starting from outputs
// removed `--settle` seconds earlier (see bench/lib/runRounds.ts). Medians are the headline,
// the best runs and CPU seconds are printed too (the machine is shared and noisy). The extra
// time is the median of each round's difference between the two smoothpub runs, so a slow
// round counts against both; so are the ratios (each round's ratio, their median), with the
// ratio of the medians and of the best runs beside them. The last line is `RESULT {json}`.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, type BenchPresentation } from './media.js';
import { argValue, median, round3 } from './lib/common.js';
import type { Run } from './lib/measure.js';
import { runRounds, settleSeconds, type Tool } from './lib/runRounds.js';
import { smoothpubPackageCommand } from './lib/smoothpubPackage.js';
import { packagingBenchInput, best, cpu, inFolder, isAudio, levelName, med, outputOf, printToolTable, rss, seconds } from './lib/toolRuns.js';

const OUT = join(CACHE, 'formats-out');
/** The sources' fragment length: the peers cut their segments there too. */
const SEGMENT_SECONDS = 2;

/** ffmpeg reading every level and the audio, each input's one stream mapped, copy codecs. */
function ffmpegInputs(p: BenchPresentation): string[] {
  return [...p.files.flatMap((f) => ['-i', f]), ...p.files.flatMap((f, i) => ['-map', `${i}:${isAudio(f) ? 'a' : 'v'}:0`]), '-c', 'copy'];
}

interface Tools {
  smooth: Tool;
  all: Tool;
  shaka: Tool;
  ffmpegDash: Tool;
  ffmpegHls: Tool;
}

function tools(p: BenchPresentation, shakaPackager: string): Tools {
  const dir = (name: string): string => join(OUT, name);
  const ff = ['ffmpeg', '-hide_banner', '-v', 'error', '-y'];
  const smoothOut = join(dir('smooth'), 'video.ism');
  const allOut = join(dir('all'), 'video.ism');
  const shaka = dir('shaka');
  const ffDash = dir('ffmpeg-dash');
  const ffHls = dir('ffmpeg-hls');
  return {
    smooth: { name: 'smoothpub smooth', out: dir('smooth'), command: () => smoothpubPackageCommand([p.ism], smoothOut, ['--formats', 'smooth']), runs: [] },
    all: { name: 'smoothpub smooth,dash,hls', out: dir('all'), command: () => smoothpubPackageCommand([p.ism], allOut, ['--formats', 'smooth,dash,hls']), runs: [] },
    shaka: {
      name: 'shaka-packager dash+hls',
      out: shaka,
      command: inFolder(shaka, () => [
        shakaPackager,
        ...p.files.map((f) => {
          const name = levelName(f);
          const hls = isAudio(f) ? ',hls_group_id=audio,hls_name=audio' : '';
          return `in=${f},stream=${isAudio(f) ? 'audio' : 'video'},init_segment=${join(shaka, name, 'init.mp4')},segment_template=${join(shaka, name, '$Number$.m4s')},playlist_name=${name}.m3u8${hls}`;
        }),
        '--segment_duration', String(SEGMENT_SECONDS),
        // A static MPD, as ours and ffmpeg's (segment templates otherwise make it a live one).
        '--generate_static_live_mpd',
        '--mpd_output', join(shaka, 'manifest.mpd'),
        '--hls_master_playlist_output', join(shaka, 'master.m3u8'),
        '--hls_playlist_type', 'VOD',
        '--quiet',
      ]),
      runs: [],
    },
    ffmpegDash: {
      name: 'ffmpeg -f dash',
      out: ffDash,
      command: inFolder(ffDash, () => [...ff, ...ffmpegInputs(p), '-f', 'dash', '-seg_duration', String(SEGMENT_SECONDS), '-use_template', '1', '-use_timeline', '1', '-adaptation_sets', 'id=0,streams=v id=1,streams=a', join(ffDash, 'manifest.mpd')]),
      runs: [],
    },
    ffmpegHls: {
      name: 'ffmpeg -f hls (fmp4)',
      out: ffHls,
      command: inFolder(ffHls, () => {
        const variants = p.files.map((f, i) => (isAudio(f) ? `a:0,agroup:audio,name:${levelName(f)}` : `v:${i},agroup:audio,name:${levelName(f)}`));
        return [
          ...ff,
          ...ffmpegInputs(p),
          '-f', 'hls', '-hls_segment_type', 'fmp4', '-hls_time', String(SEGMENT_SECONDS), '-hls_playlist_type', 'vod',
          '-master_pl_name', 'master.m3u8', '-var_stream_map', variants.join(' '),
          '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename', join(ffHls, '%v', '%d.m4s'),
          join(ffHls, '%v', 'index.m3u8'),
        ];
      }),
      runs: [],
    },
  };
}

/** Each round's sum over `tools` (ffmpeg's two runs make its DASH+HLS), as runs of one tool. */
function perRound(tools: Tool[], f: (r: Run) => number): number[] {
  return tools[0]!.runs.map((_, i) => tools.reduce((s, t) => s + f(t.runs[i]!), 0));
}

async function main(): Promise<void> {
  const reps = argValue('--reps', 5);
  const minutes = argValue('--minutes', 10);
  const settle = settleSeconds();
  const { p, shakaPackager } = packagingBenchInput(minutes, reps, OUT);
  const t = tools(p, shakaPackager);
  await runRounds([t.smooth, t.all, t.shaka, t.ffmpegDash, t.ffmpegHls], reps, OUT, [...p.files, p.ism], settle);

  const levels = p.files.map(levelName);
  const out = {
    smooth: outputOf(t.smooth, join(t.smooth.out, 'video.ism'), ['Manifest']),
    all: outputOf(t.all, join(t.all.out, 'video.ism'), ['Manifest', 'manifest.mpd', 'master.m3u8']),
    shaka: outputOf(t.shaka, t.shaka.out, ['manifest.mpd', 'master.m3u8', ...levels.map((l) => `${l}.m3u8`)]),
    ffmpegDash: outputOf(t.ffmpegDash, t.ffmpegDash.out, ['manifest.mpd']),
    ffmpegHls: outputOf(t.ffmpegHls, t.ffmpegHls.out, ['master.m3u8', ...levels.map((l) => join(l, 'index.m3u8'))]),
  };
  if (existsSync(join(t.smooth.out, 'video.ism', 'manifest.mpd'))) throw new Error('--formats smooth wrote DASH too');
  const objects = (tool: Tool): number => (JSON.parse(tool.runs.at(-1)!.stdout.trim().split('\n').at(-1)!) as { objects: number }).objects;

  const ffmpeg = { s: median(perRound([t.ffmpegDash, t.ffmpegHls], seconds)), cpu: median(perRound([t.ffmpegDash, t.ffmpegHls], cpu)), bytes: out.ffmpegDash.bytes + out.ffmpegHls.bytes };
  const shaka = { s: med(t.shaka), cpu: med(t.shaka, cpu), bytes: out.shaka.bytes };
  // The two smoothpub runs of a round, paired: a round slowed by the machine's other work counts against both.
  const paired = (f: (all: Run, smooth: Run) => number): number => median(t.all.runs.map((r, i) => f(r, t.smooth.runs[i]!)));
  const extra = { s: paired((a, b) => a.seconds - b.seconds), cpu: paired((a, b) => a.cpuSeconds - b.cpuSeconds), bytes: out.all.bytes - out.smooth.bytes };
  const ratio = {
    time: paired((a, b) => a.seconds / b.seconds),
    ofMedians: med(t.all) / med(t.smooth),
    bestTime: best(t.all) / best(t.smooth),
    cpu: paired((a, b) => a.cpuSeconds / b.cpuSeconds),
    bytes: out.all.bytes / out.smooth.bytes,
  };

  const mb = (b: number): string => (b / 1e6).toFixed(b < 1e7 ? 3 : 0);
  console.log(`\nformats ${p.seconds / 60} min, ${p.files.length - 1} video levels + audio, ${mb(p.bytes)} MB in; smoothpub ${objects(t.smooth)} objects (smooth), ${objects(t.all)} (smooth,dash,hls)`);
  printToolTable((Object.keys(out) as (keyof Tools)[]).map((k) => [t[k], out[k]]), mb);
  const signed = (x: number, digits: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
  const mark = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  console.log(`\nall three vs Smooth alone (medians of the rounds' ratios): time ${ratio.time.toFixed(3)}x (goal <= 1.1x: ${mark(ratio.time <= 1.1)}; ratio of the medians ${ratio.ofMedians.toFixed(3)}x, of the best runs ${ratio.bestTime.toFixed(3)}x), cpu ${ratio.cpu.toFixed(3)}x, bytes ${ratio.bytes.toFixed(5)}x (goal <= 1.01x: ${mark(ratio.bytes <= 1.01)})`);
  console.log(`DASH+HLS on top of Smooth (medians of the rounds' differences): ${signed(extra.s, 2)} s (cpu ${signed(extra.cpu, 2)} s), ${signed(extra.bytes / 1e6, 3)} MB`);
  for (const [name, peer] of [['Shaka Packager', shaka], ['ffmpeg dash + hls', ffmpeg]] as const) {
    console.log(`  vs ${name} writing DASH+HLS (${peer.s.toFixed(2)} s, cpu ${peer.cpu.toFixed(2)} s, ${mb(peer.bytes)} MB): ${(extra.s / peer.s).toFixed(3)}x the time, ${(extra.bytes / peer.bytes).toFixed(5)}x the bytes`);
  }

  const result = {
    smooth_s: round3(med(t.smooth)),
    all_s: round3(med(t.all)),
    shaka_s: round3(shaka.s),
    ffmpeg_dash_s: round3(med(t.ffmpegDash)),
    ffmpeg_hls_s: round3(med(t.ffmpegHls)),
    ffmpeg_s: round3(ffmpeg.s),
    all_vs_smooth_time: round3(ratio.time),
    all_vs_smooth_time_of_medians: round3(ratio.ofMedians),
    best_all_vs_smooth_time: round3(ratio.bestTime),
    all_vs_smooth_cpu: round3(ratio.cpu),
    all_vs_smooth_bytes: Math.round(ratio.bytes * 1e6) / 1e6,
    extra_s: round3(extra.s),
    extra_cpu_s: round3(extra.cpu),
    extra_bytes: extra.bytes,
    extra_vs_shaka_time: round3(extra.s / shaka.s),
    extra_vs_shaka_bytes: Math.round((extra.bytes / shaka.bytes) * 1e6) / 1e6,
    extra_vs_ffmpeg_time: round3(extra.s / ffmpeg.s),
    extra_vs_ffmpeg_bytes: Math.round((extra.bytes / ffmpeg.bytes) * 1e6) / 1e6,
    smooth_bytes: out.smooth.bytes,
    all_bytes: out.all.bytes,
    shaka_bytes: shaka.bytes,
    ffmpeg_bytes: ffmpeg.bytes,
    smooth_cpu_s: round3(med(t.smooth, cpu)),
    all_cpu_s: round3(med(t.all, cpu)),
    shaka_cpu_s: round3(shaka.cpu),
    ffmpeg_cpu_s: round3(ffmpeg.cpu),
    smooth_peak_rss_mb: Math.round(rss(t.smooth)),
    all_peak_rss_mb: Math.round(rss(t.all)),
    shaka_peak_rss_mb: Math.round(rss(t.shaka)),
    ffmpeg_peak_rss_mb: Math.round(Math.max(rss(t.ffmpegDash), rss(t.ffmpegHls))),
    objects_smooth: objects(t.smooth),
    objects_all: objects(t.all),
    input_bytes: p.bytes,
    minutes,
    reps,
    settle_s: settle,
  };
  rmSync(OUT, { recursive: true, force: true });
  console.log(`RESULT ${JSON.stringify(result)}`);
}

await main();
