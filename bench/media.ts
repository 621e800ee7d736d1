// Benchmark media: a Big Buck Bunny-like Smooth presentation (7 H.264 levels + AAC),
// generated once into the git-ignored .cache/bench/. A short ladder is encoded once and
// looped with `-stream_loop ... -c copy -f ismv` (docs/architecture.md: a 10-minute level in under a
// second), instead of encoding 10 minutes x 7 levels. The benchmarks use 2- and 10-minute
// presentations and a 2-hour one (LONG_MINUTES: 8.5 GB, 28,800 fragments, looped in about a
// minute), where a packager's fixed costs fade and its cost per fragment and byte shows.
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { removeStaleTemps } from './lib/removeStaleTemps.js';
import { runFfmpeg } from './lib/runFfmpeg.js';

export const CACHE = resolve('.cache/bench');
/** The long presentation bench:package times besides the 10-minute one. */
export const LONG_MINUTES = 120;
/** Seconds of the encoded ladder; every presentation is a whole number of repeats of it. */
const SHORT_SECONDS = 20;

export interface Level {
  bitrate: number;
  width: number;
  height: number;
}

/** The classic 7-level Smooth ladder's bitrates, at today's sizes. */
export const LEVELS: Level[] = [
  { bitrate: 2_962_000, width: 1920, height: 1080 },
  { bitrate: 2_056_000, width: 1280, height: 720 },
  { bitrate: 1_427_000, width: 1024, height: 576 },
  { bitrate: 991_000, width: 848, height: 480 },
  { bitrate: 688_000, width: 640, height: 360 },
  { bitrate: 477_000, width: 480, height: 270 },
  { bitrate: 331_000, width: 320, height: 180 },
];
const AUDIO_BITRATE = 128_000;

export interface BenchPresentation {
  dir: string;
  /** The SMIL server manifest naming every level and the audio. */
  ism: string;
  /** The media files, video levels first (highest bitrate first), audio last. */
  files: string[];
  bytes: number;
  seconds: number;
}

function videoName(l: Level): string {
  return `video_${l.bitrate / 1000}k.ismv`;
}

function log(msg: string): void {
  process.stderr.write(`[media] ${msg}\n`);
}

/** The short ladder (`short/`), encoded once: fixed 2 s GOP, no B-frames, AAC read back without priming edit. */
function ensureShortLadder(): string {
  const dir = join(CACHE, 'short');
  const done = join(dir, 'complete');
  if (existsSync(done)) return dir;
  rmSync(dir, { recursive: true, force: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const t0 = performance.now();
  log(`encoding a ${SHORT_SECONDS} s ladder of ${LEVELS.length} levels (x264 ultrafast, 2 s GOP) into ${dir}`);
  const split = `[0:v]split=${LEVELS.length}${LEVELS.map((_, i) => `[s${i}]`).join('')}`;
  const scales = LEVELS.map((l, i) => `[s${i}]scale=${l.width}:${l.height}[v${i}]`);
  const outputs = LEVELS.flatMap((l, i) => [
    '-map', `[v${i}]`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
    '-b:v', `${l.bitrate / 1000}k`, '-maxrate', `${l.bitrate / 1000}k`, '-bufsize', `${(2 * l.bitrate) / 1000}k`,
    '-g', '48', '-keyint_min', '48', '-sc_threshold', '0', '-r', '24', '-bf', '0',
    join(tmp, `short_${l.bitrate / 1000}k.mp4`),
  ]);
  runFfmpeg(['-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=24:duration=${SHORT_SECONDS}`, '-filter_complex', [split, ...scales].join(';'), ...outputs]);
  runFfmpeg(['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${SHORT_SECONDS}`, '-ac', '2', '-c:a', 'aac', '-b:a', `${AUDIO_BITRATE / 1000}k`, join(tmp, 'audio.m4a')]);
  writeFileSync(join(tmp, 'complete'), '');
  renameSync(tmp, dir);
  log(`ladder encoded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return dir;
}

function writeIsm(path: string): void {
  const entry = (tag: string, src: string, bitrate: number): string =>
    `      <${tag} src="${src}" systemBitrate="${bitrate}">\n        <param name="trackID" value="1" valuetype="data"/>\n      </${tag}>`;
  const body = [...LEVELS.map((l) => entry('video', videoName(l), l.bitrate)), entry('audio', 'audio.isma', AUDIO_BITRATE)].join('\n');
  writeFileSync(
    path,
    `<?xml version="1.0" encoding="utf-8"?>\n<smil xmlns="http://www.w3.org/2001/SMIL20/Language">\n  <head>\n    <meta name="clientManifestRelativePath" content="presentation.ismc"/>\n  </head>\n  <body>\n    <switch>\n${body}\n    </switch>\n  </body>\n</smil>\n`,
  );
}

/**
 * A presentation of `minutes` minutes in `.cache/bench/bbb<minutes>min/`, reused when
 * complete; built in a temp folder and renamed, so an interrupted run is never reused.
 */
export function ensurePresentation(minutes: number): BenchPresentation {
  const seconds = minutes * 60;
  const repeats = seconds / SHORT_SECONDS;
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`${minutes} min is not a whole number of ${SHORT_SECONDS} s repeats`);
  const dir = join(CACHE, `bbb${minutes}min`);
  const ism = join(dir, 'presentation.ism');
  const files = [...LEVELS.map((l) => join(dir, videoName(l))), join(dir, 'audio.isma')];
  if (!existsSync(ism)) {
    const short = ensureShortLadder();
    rmSync(dir, { recursive: true, force: true });
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const t0 = performance.now();
    log(`looping the ladder ${repeats}x into a ${minutes}-minute presentation in ${dir}`);
    for (const l of LEVELS) {
      runFfmpeg(['-stream_loop', String(repeats - 1), '-i', join(short, `short_${l.bitrate / 1000}k.mp4`), '-map', '0:v:0', '-c', 'copy', '-f', 'ismv', join(tmp, videoName(l))]);
    }
    // -ignore_editlist keeps the AAC priming samples instead of an edit list, so the
    // audio starts at 0 like the video (docs/architecture.md: clean test media).
    runFfmpeg(['-ignore_editlist', '1', '-stream_loop', String(repeats - 1), '-i', join(short, 'audio.m4a'), '-map', '0:a:0', '-c', 'copy', '-frag_duration', '2000000', '-f', 'ismv', join(tmp, 'audio.isma')]);
    writeIsm(join(tmp, 'presentation.ism'));
    renameSync(tmp, dir);
    log(`looped in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const bytes = files.reduce((s, f) => s + statSync(f).size, 0);
  return { dir, ism, files, bytes, seconds };
}

/** Temp folders left by interrupted runs (whose process is gone). */
export function cleanStaleTemps(): void {
  removeStaleTemps(CACHE, /^(?:short|bbb\d+min)\.tmp-(\d+)$/); // only this file's temp folders
}

if (import.meta.url === `file://${process.argv[1]}`) {
  cleanStaleTemps();
  for (const m of [2, 10, LONG_MINUTES]) {
    const p = ensurePresentation(m);
    log(`${m} min: ${p.files.length} files, ${(p.bytes / 1e6).toFixed(0)} MB, ${p.ism}`);
  }
}
