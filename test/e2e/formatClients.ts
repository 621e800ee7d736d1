// Real DASH and HLS clients on smoothpub's formats, and the sources they are judged against:
// GStreamer (playbin → dashdemux/hlsdemux, playbin3 → dashdemux2/hlsdemux2) and ffmpeg,
// each decoding the video and the audio. Video is counted frame by frame; audio is decoded
// to 48 kHz mono samples and judged by its length and its tone (every fixture's first
// language is a 440 Hz sine, the second language's 660 Hz: scripts/make-fixtures.sh).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStaticServer, type ServedRequest } from '../../src/play/staticServer.js';
import type { ShakaStream } from '../harness/shakaPackager.js';
import { countVideoFrames, fixtures, gstResult, repoRoot, retryTransientFailure, run, type GstResult } from './helpers.js';

export type Playbin = 'playbin' | 'playbin3';
export type StreamingFormat = 'dash' | 'hls';

/** The document each format's clients open, at the presentation root. */
export const documentOf: Record<StreamingFormat, string> = { dash: 'manifest.mpd', hls: 'master.m3u8' };

export interface FormatSource {
  name: string;
  /** What `package`/`publish` take. */
  inputs: string[];
  /** A video level's file and video stream index (ffprobe `v:N`): every level has its frames. */
  video: [string, number];
  /** The first language's audio: file and audio stream index (ffprobe `a:N`). */
  audio: [string, number];
  /** Two-language sets: the second language as DASH and HLS state it (BCP 47), and its stream name. */
  second?: { language: string; streamName: string };
  /** The same presentation for Shaka Packager. */
  shaka: ShakaStream[];
}

const clean = (l: string): string => join(fixtures, 'clean', `${l}.ismv`);
const users = (l: string): string => join(fixtures, 'users', `${l}.ismv`);
const progressive = (l: string): string => join(fixtures, 'progressive', `${l}.mp4`);
const multitrack = join(fixtures, 'multitrack.ismv');
const languages = progressive('languages');
const ladder = ['v400', 'v250', 'v120'];

/** ISMV clean and as users have them, a plain MP4 ladder, and two two-language files. */
export const formatSources: Record<'clean' | 'users' | 'progressive' | 'multitrack' | 'languages', FormatSource> = {
  clean: {
    name: 'clean.ism',
    inputs: [join(fixtures, 'clean', 'clean.ism')],
    video: [clean('v400'), 0],
    audio: [join(fixtures, 'clean', 'audio.isma'), 0],
    shaka: [...ladder.map((l) => ({ input: clean(l), stream: 'video' as const, folder: l })), { input: join(fixtures, 'clean', 'audio.isma'), stream: 'audio', folder: 'audio' }],
  },
  users: {
    name: 'users.ism',
    inputs: [join(fixtures, 'users', 'users.ism')],
    video: [users('v400'), 0],
    audio: [users('v400'), 0],
    shaka: [...ladder.map((l) => ({ input: users(l), stream: 'video' as const, folder: l })), { input: users('v400'), stream: 'audio', folder: 'audio' }],
  },
  progressive: {
    name: 'progressive',
    inputs: ['v300', 'v200', 'v100'].map(progressive),
    video: [progressive('v300'), 0],
    audio: [progressive('v300'), 0],
    shaka: [...['v300', 'v200', 'v100'].map((l) => ({ input: progressive(l), stream: 'video' as const, folder: l })), { input: progressive('v300'), stream: 'audio', folder: 'audio' }],
  },
  multitrack: {
    name: 'multitrack',
    inputs: [multitrack],
    video: [multitrack, 0],
    audio: [multitrack, 0],
    second: { language: 'fr', streamName: 'audio_fra' },
    shaka: [0, 1, 2, 3].map((stream) => ({ input: multitrack, stream, folder: `s${stream}` })),
  },
  languages: {
    name: 'languages',
    inputs: [languages],
    video: [languages, 0],
    audio: [languages, 0],
    second: { language: 'fr', streamName: 'audio_fra' },
    shaka: [0, 1, 2].map((stream) => ({ input: languages, stream, folder: `s${stream}` })),
  },
};

/** What a client must decode of a source: every video frame, and the audio's length. */
export interface Expected {
  frames: number;
  audioSeconds: number;
}

const measured = new Map<FormatSource, Promise<Expected>>();

/** Measured from the source files with ffprobe (once a source), not assumed. */
export function expectedOf(source: FormatSource): Promise<Expected> {
  let e = measured.get(source);
  if (e === undefined) {
    e = measure(source);
    measured.set(source, e);
  }
  return e;
}

async function measure(source: FormatSource): Promise<Expected> {
  const frames = await countVideoFrames(...source.video);
  const [file, index] = source.audio;
  const r = await run('ffprobe', ['-v', 'error', '-select_streams', `a:${index}`, '-show_entries', 'stream=duration', '-of', 'csv=p=0', file], 60);
  const audioSeconds = Number(r.stdout.trim());
  if (r.code !== 0 || !(audioSeconds > 0)) throw new Error(`ffprobe could not read the audio duration of ${file}: ${r.stderr}`);
  return { frames, audioSeconds };
}

/** Decoded audio: 48 kHz mono S16LE samples, judged by length and by tone. */
export interface DecodedAudio {
  seconds: number;
  /** Upward zero crossings a second: a sine's frequency; 0 for silence, thousands for noise. */
  hz: number;
}

const RATE = 48_000;
/** The decoded raw audio format both clients are asked for. */
const GST_CAPTURE = `audioconvert ! audioresample ! audio/x-raw,format=S16LE,channels=1,rate=${RATE}`;

export function analyzeAudio(raw: Uint8Array): DecodedAudio {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const samples = Math.floor(raw.byteLength / 2);
  let crossings = 0;
  let previous = 0;
  for (let i = 0; i < samples; i++) {
    const s = view.getInt16(i * 2, true);
    if (previous < 0 && s >= 0) crossings++;
    previous = s;
  }
  const seconds = samples / RATE;
  return { seconds, hz: seconds > 0 ? crossings / seconds : 0 };
}

export interface PlayResult extends GstResult {
  audio: DecodedAudio;
  /** The first attempt's output when it was run again (transientDownloadFailure). */
}

const SELECT_AUDIO = join(repoRoot, 'test', 'e2e', 'gstSelectAudio.py');

/**
 * Plays `uri` to the end in GStreamer: video to checksumsink (a line a frame), audio decoded
 * to a file and analysed. With `language` (and the Python that test/harness/ci.ts found), the
 * audio of that language is selected (test/e2e/gstSelectAudio.py), which gst-launch cannot do.
 */
export async function playFormat(opts: { playbin: Playbin; uri: string; connectionSpeedKbps?: number; language?: string; python?: string; timeoutSeconds?: number; beforeAttempt?: () => void }): Promise<PlayResult> {
  return retryTransientFailure(() => {
    opts.beforeAttempt?.();
    return playFormatOnce(opts);
  });
}

async function playFormatOnce(opts: { playbin: Playbin; uri: string; connectionSpeedKbps?: number; language?: string; python?: string; timeoutSeconds?: number }): Promise<PlayResult> {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-gst-audio-'));
  const raw = join(dir, 'audio.raw');
  try {
    let r;
    if (opts.language !== undefined) {
      if (opts.python === undefined) throw new Error('choosing an audio language needs the Python with GStreamer bindings (requireGstPython)');
      r = await run(opts.python, [SELECT_AUDIO, opts.playbin, opts.uri, opts.language, raw], opts.timeoutSeconds ?? 60);
    } else {
      const args = [opts.playbin, `uri=${opts.uri}`, 'video-sink=checksumsink', `audio-sink=${GST_CAPTURE} ! filesink location=${raw}`];
      if (opts.connectionSpeedKbps !== undefined) args.push(`connection-speed=${opts.connectionSpeedKbps}`);
      r = await run('gst-launch-1.0', args, opts.timeoutSeconds ?? 60);
    }
    const audio = analyzeAudio(await readFile(raw).catch(() => new Uint8Array()));
    return { ...gstResult(r), audio };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface FfmpegResult {
  code: number | null;
  stderr: string;
  ms: number;
  frames: number;
  audio: DecodedAudio;
}

/**
 * ffmpeg reading an MPD or a multivariant playlist over HTTP: the first video stream
 * decoded frame by frame (`framecrc`), and the audio (the first, or the one of `language`)
 * decoded to samples.
 *
 * HLS needs `-extension_picky 0`: ffmpeg 5.1 (Debian's, with the later HLS hardening)
 * refuses segment URIs without a media extension, and Smooth fragment keys have none.
 * DASH is read as two inputs, one for the video and one for the audio: ffmpeg 5.1's DASH
 * demuxer reads the representation whose last packet has the lowest presentation time and
 * ends the whole input when that one ends, so B-frames still to come after the audio's end
 * are lost (docs/architecture.md: Shaka Packager's output loses the same frames).
 */
export async function readWithFfmpeg(opts: { url: string; format: StreamingFormat; language?: string; timeoutSeconds?: number }): Promise<FfmpegResult> {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-ffmpeg-'));
  const frames = join(dir, 'video.framecrc');
  const raw = join(dir, 'audio.raw');
  try {
    const audioStream = opts.language === undefined ? 'a:0' : `a:m:language:${opts.language}`;
    const input = opts.format === 'hls' ? ['-extension_picky', '0', '-i', opts.url] : ['-i', opts.url, '-i', opts.url];
    const audioInput = opts.format === 'hls' ? 0 : 1;
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', ...input];
    args.push('-map', '0:v:0', '-fps_mode', 'passthrough', '-f', 'framecrc', frames);
    args.push('-map', `${audioInput}:${audioStream}`, '-ac', '1', '-ar', String(RATE), '-f', 's16le', raw);
    const r = await run('ffmpeg', args, opts.timeoutSeconds ?? 60);
    const crc = await readFile(frames, 'utf8').catch(() => '');
    const audio = analyzeAudio(await readFile(raw).catch(() => new Uint8Array()));
    return { code: r.code, stderr: r.stderr, ms: r.ms, frames: crc.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length, audio };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** An AAC frame is 1024 samples: decoded audio may differ from the source's length by the priming frame and a frame of rounding. */
const AUDIO_SLACK_SECONDS = (2 * 1024) / RATE;

/** Every video frame, the audio's whole length, the expected tone; `gst` results also reached EOS. */
export function assertPlayed(r: PlayResult | FfmpegResult, expected: Expected, what: string, hz = 440, requests?: readonly ServedRequest[]): void {
  const log = requests === undefined ? '' : `\n--- requests ---\n${requests.map((q) => `${q.status} ${q.method} ${q.path}`).join('\n')}`;
  const tail = `${what}\n--- stderr ---\n${r.stderr.slice(-2000)}${'stdout' in r ? `\n--- stdout (tail) ---\n${r.stdout.slice(-800)}` : ''}${'retriedAfter' in r ? `\n--- first attempt (retried) ---\n${r.retriedAfter}` : ''}${log}`;
  assert.equal(r.code, 0, `exit code (124 = timed out): ${tail}`);
  if ('eos' in r) assert.ok(r.eos, `reached EOS: ${tail}`);
  else assert.deepEqual(ffmpegErrors(r.stderr), [], `ffmpeg reported no errors: ${tail}`);
  assert.equal(r.frames, expected.frames, `decoded video frames: ${tail}`);
  const { seconds, hz: tone } = r.audio;
  assert.ok(Math.abs(seconds - expected.audioSeconds) <= AUDIO_SLACK_SECONDS, `decoded ${seconds.toFixed(4)} s of audio, the source has ${expected.audioSeconds} s: ${tail}`);
  assert.ok(Math.abs(tone - hz) <= hz * 0.02, `decoded audio is a ${tone.toFixed(1)} Hz tone, expected ${hz} Hz: ${tail}`);
}

/**
 * ffmpeg's error lines but one it prints for primed AAC: the first audio fragment, which
 * starts at tfdt 0 with its priming frame, runs one frame into the second, so two decoded
 * frames end up at the second fragment's start and our raw-audio output (not the reader)
 * drops one ("non monotonically increasing dts ... N >= N", once per audio stream).
 */
function ffmpegErrors(stderr: string): string[] {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  const overlap = /^\[s16le @ 0x[0-9a-f]+\] Application provided invalid, non monotonically increasing dts to muxer in stream \d+: (\d+) >= \1$/;
  const first = lines.findIndex((l) => overlap.test(l));
  return first < 0 ? lines : lines.filter((_, i) => i !== first);
}

/** Fragments (and init segments) requested per `QualityLevels(b)/Fragments(stream=...)`, as `stream@bitrate` → count. */
export function fragmentRequests(requests: readonly ServedRequest[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of requests) {
    const m = /QualityLevels\((\d+)\)\/Fragments\(([^=]+)=/.exec(r.path);
    if (!m) continue;
    const key = `${m[2]}@${m[1]}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

/** Requests for one stream's fragments and init segments, whatever the bitrate. */
export function requestsOf(counts: Map<string, number>, streamName: string): number {
  let n = 0;
  for (const [key, count] of counts) if (key.startsWith(`${streamName}@`)) n += count;
  return n;
}

/** Serves one folder for one client run, so that the request log is that run's alone; `base` is its `video.ism/`. */
export async function withStaticServer<T>(dir: string, fn: (base: string, requests: readonly ServedRequest[]) => Promise<T>): Promise<{ result: T; requests: ServedRequest[] }> {
  const server = await startStaticServer({ root: dir, host: '127.0.0.1', port: 0 });
  try {
    return { result: await fn(`${server.url}video.ism/`, server.requests), requests: server.requests };
  } finally {
    await server.close();
  }
}
