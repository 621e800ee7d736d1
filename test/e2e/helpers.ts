// Shared harness for the end-to-end tests with real Smooth clients (GStreamer, dash.js).
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import type { Format } from '../../src/formats/model.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { findPackageRoot } from '../../src/play/packageRoot.js';
import type { ServedRequest } from '../../src/play/staticServer.js';
import { testVariable } from '../harness/ci.js';

export const repoRoot = findPackageRoot(fileURLToPath(new URL('.', import.meta.url)));
export const fixtures = join(repoRoot, 'test', 'fixtures');

// Whether this is CI, and so whether a missing tool skips or fails, is decided in one place.
export { inCI, requireTools, toolPath } from '../harness/ci.js';

/** A set of fixture files packaged into one presentation. */
export interface FixtureSet {
  name: string;
  inputs: string[];
  /** Video streams as `[file, video stream index]`, for counting frames with ffprobe. */
  videoLevels: [string, number][];
  /** Inputs and `-map` arguments for the ffmpeg `-f smoothstreaming` reference packaging. */
  ffmpegInputs?: string[];
  ffmpegMaps: string[];
}

const ladder = ['v400', 'v250', 'v120'];
const ismlmux = join(fixtures, 'othertools', 'ismlmux.ismv');
export const fixtureSets: Record<'clean' | 'users' | 'multitrack' | 'cleanIsm' | 'usersIsm' | 'ismlmux', FixtureSet> = {
  clean: {
    name: 'clean',
    inputs: [...ladder.map((l) => join(fixtures, 'clean', `${l}.ismv`)), join(fixtures, 'clean', 'audio.isma')],
    videoLevels: ladder.map((l) => [join(fixtures, 'clean', `${l}.ismv`), 0]),
    ffmpegMaps: ['-map', '0:v', '-map', '1:v', '-map', '2:v', '-map', '3:a'],
  },
  users: {
    name: 'users',
    inputs: ladder.map((l) => join(fixtures, 'users', `${l}.ismv`)),
    videoLevels: ladder.map((l) => [join(fixtures, 'users', `${l}.ismv`), 0]),
    ffmpegMaps: ['-map', '0:v', '-map', '1:v', '-map', '2:v', '-map', '0:a'],
  },
  // The same sets named through their SMIL server manifests (.ism) instead of file lists.
  cleanIsm: {
    name: 'clean.ism',
    inputs: [join(fixtures, 'clean', 'clean.ism')],
    ffmpegInputs: [...ladder.map((l) => join(fixtures, 'clean', `${l}.ismv`)), join(fixtures, 'clean', 'audio.isma')],
    videoLevels: ladder.map((l) => [join(fixtures, 'clean', `${l}.ismv`), 0]),
    ffmpegMaps: ['-map', '0:v', '-map', '1:v', '-map', '2:v', '-map', '3:a'],
  },
  usersIsm: {
    name: 'users.ism',
    inputs: [join(fixtures, 'users', 'users.ism')],
    ffmpegInputs: ladder.map((l) => join(fixtures, 'users', `${l}.ismv`)),
    videoLevels: ladder.map((l) => [join(fixtures, 'users', `${l}.ismv`), 0]),
    ffmpegMaps: ['-map', '0:v', '-map', '1:v', '-map', '2:v', '-map', '0:a'],
  },
  multitrack: {
    name: 'multitrack',
    inputs: [join(fixtures, 'multitrack.ismv')],
    videoLevels: [
      [join(fixtures, 'multitrack.ismv'), 0],
      [join(fixtures, 'multitrack.ismv'), 1],
    ],
    ffmpegMaps: ['-map', '0'],
  },
  // GStreamer ismlmux: two levels whose 1-frame fragments start at non-key frames (joined when packaged).
  ismlmux: {
    name: 'ismlmux',
    inputs: [ismlmux],
    videoLevels: [
      [ismlmux, 0],
      [ismlmux, 1],
    ],
    ffmpegMaps: ['-map', '0'],
  },
};

export interface Packaged {
  dir: string;
  /** Which packager made it: smoothpub's own, or the ffmpeg reference (harness bring-up). */
  via: 'smoothpub' | 'ffmpeg';
  cleanup(): Promise<void>;
}

/** Packages a fixture set into a fresh temp folder (Smooth alone unless `formats` says more). */
export async function packageFixture(set: FixtureSet, formats?: readonly Format[]): Promise<Packaged> {
  const tmp = await mkdtemp(join(tmpdir(), `smoothpub-e2e-${set.name}-`));
  const dir = join(tmp, 'video.ism');
  const cleanup = () => rm(tmp, { recursive: true, force: true });
  try {
    // SMOOTHPUB_E2E_PACKAGER=ffmpeg runs the same checks on the ffmpeg reference output
    // (to tell a harness fault from a packager fault); refused under CI.
    if (testVariable('SMOOTHPUB_E2E_PACKAGER') === 'ffmpeg') {
      await packageWithFfmpeg(set, dir);
      return { dir, via: 'ffmpeg', cleanup };
    }
    await packagePresentation({ inputs: set.inputs, outDir: dir, ...(formats && { formats }) });
    return { dir, via: 'smoothpub', cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/**
 * ffmpeg's `-f smoothstreaming`, with its Manifest bug fixed: it omits `t` on the first
 * chunk while fragments start at t≠0, so clients request `Fragments(video=0)` (docs/architecture.md).
 */
async function packageWithFfmpeg(set: FixtureSet, dir: string): Promise<void> {
  const args = ['-hide_banner', '-loglevel', 'error', '-y'];
  for (const input of set.ffmpegInputs ?? set.inputs) args.push('-i', input);
  args.push(...set.ffmpegMaps, '-c', 'copy', '-f', 'smoothstreaming', dir);
  const r = await run('ffmpeg', args, 60);
  if (r.code !== 0) throw new Error(`ffmpeg -f smoothstreaming failed: ${r.stderr}`);
  const firstTime = new Map<string, bigint>();
  for (const level of await readdir(dir)) {
    if (!level.startsWith('QualityLevels(')) continue;
    for (const name of await readdir(join(dir, level))) {
      const m = /^Fragments\(([^=]+)=(-?\d+)\)$/.exec(name);
      if (!m || m[1] === undefined || m[2] === undefined) continue;
      const t = BigInt(m[2]);
      const prev = firstTime.get(m[1]);
      if (prev === undefined || t < prev) firstTime.set(m[1], t);
    }
  }
  const manifestPath = join(dir, 'Manifest');
  const manifest = await readFile(manifestPath, 'utf8');
  const fixed = manifest.replace(/(<StreamIndex[^>]*Url="[^"]*Fragments\(([^=]+)=[^"]*"[^>]*>[\s\S]*?)<c (?![^>]*\bt=)/g, (all, head: string, name: string) => {
    const t = firstTime.get(name);
    return t === undefined ? all : `${head}<c t="${t}" `;
  });
  await writeFile(manifestPath, fixed);
}

export interface ManifestSummary {
  duration: number;
  timeScale: number;
  streams: { type: string; name: string; language?: string; bitrates: number[]; firstTime: bigint; chunks: number }[];
}

/** The parts of a client Manifest the tests check against (MS-SSTR 2.2.2). */
export function summarizeManifest(xml: string): ManifestSummary {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['StreamIndex', 'QualityLevel', 'c'].includes(name) });
  const doc = parser.parse(xml) as { SmoothStreamingMedia: Record<string, unknown> };
  const root = doc.SmoothStreamingMedia as { Duration: string; TimeScale?: string; StreamIndex: Record<string, unknown>[] };
  return {
    duration: Number(root.Duration),
    timeScale: Number(root.TimeScale ?? 10_000_000),
    streams: root.StreamIndex.map((s) => {
      const levels = (s.QualityLevel ?? []) as { Bitrate: string }[];
      const chunks = (s.c ?? []) as { t?: string; r?: string }[];
      const language = s.Language as string | undefined;
      const summary = {
        type: String(s.Type),
        name: String(s.Name ?? s.Type),
        bitrates: levels.map((q) => Number(q.Bitrate)).sort((a, b) => a - b),
        firstTime: BigInt(chunks[0]?.t ?? '0'),
        // A compact timeline lists a run of equal chunks once, `r` the run's length.
        chunks: chunks.reduce((n, c) => n + Number(c.r ?? 1), 0),
      };
      return language === undefined ? summary : { ...summary, language };
    }),
  };
}

export async function readManifest(dir: string): Promise<ManifestSummary> {
  return summarizeManifest(await readFile(join(dir, 'Manifest'), 'utf8'));
}

/** Decoded frames of one video stream, counted by ffprobe (not assumed from fps). */
export async function countVideoFrames(file: string, videoIndex: number): Promise<number> {
  const r = await run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', `v:${videoIndex}`, '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file], 60);
  const n = Number(r.stdout.trim());
  if (r.code !== 0 || !Number.isInteger(n)) throw new Error(`ffprobe could not count frames of ${file}: ${r.stderr}`);
  return n;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command under `timeout` (real clients can hang on bad input: docs/architecture.md). */
export function run(cmd: string, args: string[], timeoutSeconds: number): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('timeout', ['-k', '5', String(timeoutSeconds), cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

export interface GstResult extends RunResult {
  /** The output of a first attempt that failed as transientDownloadFailure describes, when the play was run again. */
  retriedAfter?: string;
  /** Lines printed by checksumsink: one per decoded video frame. */
  frames: number;
  eos: boolean;
}

/** `gst-launch-1.0 playbin|playbin3 uri=... video-sink=checksumsink audio-sink=fakesink`. */
export async function playWithGstreamer(opts: { playbin: 'playbin' | 'playbin3'; uri: string; connectionSpeedKbps?: number; timeoutSeconds?: number }): Promise<GstResult> {
  const args = [opts.playbin, `uri=${opts.uri}`, 'video-sink=checksumsink', 'audio-sink=fakesink'];
  if (opts.connectionSpeedKbps !== undefined) args.push(`connection-speed=${opts.connectionSpeedKbps}`);
  return retryTransientFailure(async () => gstResult(await run('gst-launch-1.0', args, opts.timeoutSeconds ?? 90)));
}

/**
 * GStreamer 1.22's adaptive demuxers of `playbin3` (`hlsdemux2`, `mssdemux2`) sometimes
 * give up within a second, before a frame is decoded ("Couldn't download fragments ...
 * Fragment downloading has failed consecutive times") while the server answered every
 * request with 200: about one play in 200 in a full-suite run on a loaded machine, none in
 * 90 plays in a row alone. And `playbin`'s legacy `hlsdemux` now and then stalls mid-play
 * ("buffering... 44%" until the timeout), about once in two full-suite runs of ~100 HLS
 * plays, where the same play alone takes 8 s; `playbin`'s dashdemux once hung after the
 * language script switched its audio, every fragment served (once in four full runs; the
 * same play alone takes under a second). Such a run is played once more; a second
 * failure fails the test, and the server's request log (which callers check) keeps the
 * first attempt's requests, so a server fault cannot hide behind the retry.
 */
export function transientDownloadFailure(r: GstResult): boolean {
  if (r.code === 0 || r.eos) return false;
  const gaveUpEarly = r.frames === 0 && /Couldn't download fragments/.test(r.stderr + r.stdout);
  const stalled = r.code === 124 && /buffering\.\.\. +\d+% *$/.test(r.stdout.trimEnd());
  // test/e2e/gstSelectAudio.py prints no buffering lines: a run of it that timed out after
  // choosing its language, with no error posted, stalled the same way.
  const stalledAfterChoosing = r.code === 124 && /^selected /m.test(r.stdout) && !/ERROR/.test(r.stderr);
  return gaveUpEarly || stalled || stalledAfterChoosing;
}

/** Runs a GStreamer play, and once more after a transientDownloadFailure (the first attempt's output kept in `retriedAfter`). */
export async function retryTransientFailure<R extends GstResult>(play: () => Promise<R>): Promise<R & { retriedAfter?: string }> {
  const first = await play();
  if (!transientDownloadFailure(first)) return first;
  return { ...(await play()), retriedAfter: `${first.stderr.slice(-600)}\n${first.stdout.slice(-300)}` };
}

/**
 * gst-launch's output as lines: its "buffering... N%" progress ends in a carriage return,
 * not a newline, so what follows it (a checksumsink line) shares its line unless split there too.
 */
export function gstLines(stdout: string): string[] {
  return stdout.split(/[\r\n]+/);
}

/** checksumsink's lines in a gst-launch output, `H:MM:SS.nnnnnnnnn <sha1>`: one per decoded video frame. */
export function frameLines(stdout: string): string[] {
  return gstLines(stdout).filter((l) => /^\d+:\d\d:\d\d\.\d+ [0-9a-f]{40}$/.test(l));
}

/** A GStreamer run's output read as gst-launch prints it: checksumsink lines (one a video frame) and the EOS line. */
export function gstResult(r: RunResult): GstResult {
  const frames = frameLines(r.stdout).length;
  return { ...r, frames, eos: /Got EOS from element/.test(r.stdout) };
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Requests not answered 200 (or 206 for a range), for a readable assertion message. The
 * player page asks with HEAD which formats' documents exist (web/player.js): a 404 there
 * just means a format the folder does not hold, so those are left out.
 */
export function failedRequests(requests: readonly ServedRequest[]): ServedRequest[] {
  const probe = (r: ServedRequest): boolean => r.method === 'HEAD' && r.status === 404 && /\/(Manifest|manifest\.mpd|master\.m3u8)$/.test(r.path);
  return requests.filter((r) => r.status !== 200 && r.status !== 206 && !probe(r));
}

/** Bitrates of `QualityLevels(b)` fragments served, per stream name. */
export function servedBitrates(requests: readonly ServedRequest[]): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const r of requests) {
    const m = /QualityLevels\((\d+)\)\/Fragments\(([^=]+)=/.exec(r.path);
    if (!m || m[1] === undefined || m[2] === undefined) continue;
    const set = out.get(m[2]) ?? new Set<number>();
    set.add(Number(m[1]));
    out.set(m[2], set);
  }
  return out;
}
