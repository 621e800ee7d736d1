import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeLadder, type EncodeProgress } from '../../src/encode/encodeLadder.js';
import { ErrorCode, SmoothpubError } from '../../src/errors.js';
import { readIsm } from '../../src/smooth/ism.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { startStaticServer } from '../../src/play/staticServer.js';
import { verifyPresentation } from '../../src/verify/verifyPresentation.js';
import { haveTools, requireTools } from '../harness/ci.js';

const LADDER = [
  { width: 320, height: 180, kbps: 400 },
  { width: 256, height: 144, kbps: 250 },
  { width: 160, height: 90, kbps: 120 },
];

let work = '';
let input = '';

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'smoothpub-encode-'));
  input = join(work, 'src.mp4');
  // 6 s, 24 fps, with a tone: small enough to encode a 3-level ladder in about a second.
  if (haveTools('ffmpeg')) {
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=24:duration=6', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=6', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', input]);
  }
});

function keyframeTimes(file: string): number[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-skip_frame', 'nokey', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim() !== '').map((l) => Number(l.replace(/,$/, '')));
}

function probe(file: string): { streams: { codec_type: string; codec_name: string; width?: number; height?: number; channels?: number }[]; format: { duration: string } } {
  return JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_entries', 'format=duration:stream=codec_type,codec_name,width,height,channels', file], { encoding: 'utf8' })) as ReturnType<typeof probe>;
}

test('a 3-level ladder: one MP4 per level, keyframes at the same times in all (every 2 s), AAC stereo once, progress monotonic to 1', async (t) => {
  if (!requireTools(t, 'ffmpeg', 'ffprobe')) return;
  const outDir = join(work, 'ladder');
  const events: EncodeProgress[] = [];
  const result = await encodeLadder({ input, outDir, ladder: LADDER, preset: 'ultrafast', package: false, onProgress: (p) => events.push(p) });
  assert.deepEqual(result.renditions.map((r) => r.file), ['video_320x180_400k.mp4', 'video_256x144_250k.mp4', 'video_160x90_120k.mp4']);
  assert.equal(result.presentation, undefined);
  for (const r of result.renditions) {
    const info = probe(r.path);
    assert.deepEqual(info.streams.map((s) => [s.codec_type, s.codec_name, s.width, s.height]), [['video', 'h264', r.width, r.height]], r.file);
    assert.ok(Math.abs(Number(info.format.duration) - 6) < 0.05, `${r.file}: duration ${info.format.duration}`);
    assert.deepEqual(keyframeTimes(r.path), [0, 2, 4], r.file);
  }
  const audio = probe(result.audio!.path);
  assert.deepEqual(audio.streams.map((s) => [s.codec_type, s.codec_name, s.channels]), [['audio', 'aac', 2]]);
  assert.ok(Math.abs(Number(audio.format.duration) - 6) < 0.1);
  // The server manifest names every file with its ladder bitrate.
  const ism = readIsm(await readFile(result.ism, 'utf8'), result.ism);
  assert.deepEqual(ism.entries.map((e) => [e.kind, e.systemBitrate]), [['video', 400000], ['video', 250000], ['video', 120000], ['audio', 128000]]);
  // Progress: by media time, never backwards, ending at exactly the input's duration.
  const encode = events.filter((e) => e.phase === 'encode');
  assert.ok(encode.length >= 2, `${encode.length} progress events`);
  for (let i = 1; i < encode.length; i++) assert.ok(encode[i]!.seconds >= encode[i - 1]!.seconds, 'progress went backwards');
  assert.deepEqual([encode.at(-1)!.fraction, encode.at(-1)!.seconds, encode.at(-1)!.duration], [1, 6, 6]);
  // Nothing else beside the output: the hidden build folder was renamed away.
  assert.deepEqual((await readdir(work)).sort(), ['ladder', 'src.mp4']);
});

test('end to end: encoded and packaged; the Manifest announces the ladder with 2 s chunks, and verify fetches every fragment', async (t) => {
  if (!requireTools(t, 'ffmpeg', 'ffprobe')) return;
  const outDir = join(work, 'packaged');
  const phases = new Set<string>();
  const result = await encodeLadder({ input, outDir, ladder: LADDER, preset: 'ultrafast', onProgress: (p) => phases.add(p.phase) });
  assert.deepEqual([...phases], ['encode', 'package']);
  assert.equal(result.presentation?.dir, join(outDir, 'src.ism'));
  const manifest = readManifest(await readFile(result.presentation.manifest, 'utf8'));
  const video = manifest.streams.find((s) => s.type === 'video')!;
  const audio = manifest.streams.find((s) => s.type === 'audio')!;
  assert.deepEqual(video.qualityLevels.map((q) => [q.bitrate, q.maxWidth, q.maxHeight]), [[400000, 320, 180], [250000, 256, 144], [120000, 160, 90]]);
  assert.deepEqual(audio.qualityLevels.map((q) => [q.bitrate, q.channels, q.fourCC]), [[128000, 2, 'AACL']]);
  // One chunk list for all levels: the fragments were cut at the shared keyframes.
  const scale = Number(video.timeScale ?? manifest.timeScale);
  // Every track starts 1024 samples (the AAC priming Smooth cannot skip) late: 44.1 kHz here.
  const start = Number(video.chunks[0]!.t);
  assert.ok(Math.abs(start / scale - 1024 / 44100) < 1 / scale, `video starts at ${start / scale} s`);
  assert.deepEqual(video.chunks.map((c) => (Number(c.t) - start) / scale), [0, 2, 4]);
  assert.deepEqual(video.chunks.map((c) => Number(c.d) / scale), [2, 2, 2]);
  const server = await startStaticServer({ root: result.presentation.dir });
  try {
    const report = await verifyPresentation(`${server.url}video.ism/Manifest`);
    assert.deepEqual(report.problems, []);
    assert.ok(report.ok);
  } finally {
    await server.close();
  }
  assert.ok(!(await readdir(work)).some((f) => f.startsWith('.packaged')));
});

test('missing ffmpeg: encode.ffmpeg-missing naming the path and the way out; nothing written', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const outDir = join(work, 'missing');
  await assert.rejects(
    encodeLadder({ input, outDir, ffmpeg: '/nonexistent/ffmpeg', ffprobe: 'ffprobe', package: false }),
    (e: unknown) => e instanceof SmoothpubError && e.code === ErrorCode.ENCODE_FFMPEG_MISSING && /ffmpeg not found \('\/nonexistent\/ffmpeg'\).*--ffmpeg/.test(e.message),
  );
  await assert.rejects(
    encodeLadder({ input, outDir, ffmpeg: '/nonexistent/ffmpeg', package: false }),
    (e: unknown) => e instanceof SmoothpubError && e.code === ErrorCode.ENCODE_FFMPEG_MISSING && /ffprobe not found \('\/nonexistent\/ffprobe'\)/.test(e.message),
  );
  assert.ok(!(await readdir(work)).some((f) => f.includes('missing')));
});

test('ffmpeg failing: encode.failed with its last stderr lines; the partial outputs are removed', async (t) => {
  if (!requireTools(t, 'ffmpeg', 'ffprobe')) return;
  const outDir = join(work, 'failed');
  await assert.rejects(
    encodeLadder({ input, outDir, ladder: LADDER, preset: 'no-such-preset', package: false }),
    (e: unknown) => e instanceof SmoothpubError && e.code === ErrorCode.ENCODE_FAILED && /ffmpeg failed:\n.*invalid preset 'no-such-preset'/.test(e.message) && e.context.file === input,
  );
  assert.ok(!(await readdir(work)).some((f) => f.includes('failed')));
  // An input ffprobe cannot read fails the same way, before anything is made.
  const junk = join(work, 'junk.mp4');
  await import('node:fs/promises').then((fs) => fs.writeFile(junk, 'not a video'));
  await assert.rejects(encodeLadder({ input: junk, outDir, package: false }), (e: unknown) => e instanceof SmoothpubError && e.code === ErrorCode.ENCODE_FAILED && /^ffprobe failed:/.test(e.message));
  assert.ok(!existsSync(outDir));
});

test('abort: ffmpeg is killed at once and nothing is left', async (t) => {
  if (!requireTools(t, 'ffmpeg', 'ffprobe')) return;
  const outDir = join(work, 'aborted-run');
  const controller = new AbortController();
  const started = Date.now();
  // An upscaled 720p level at 'medium' takes seconds: long enough to be interrupted.
  const run = encodeLadder({ input, outDir, ladder: [{ width: 1280, height: 720, kbps: 3000 }], package: false, signal: controller.signal, onProgress: () => controller.abort() });
  await assert.rejects(run, (e: unknown) => e instanceof Error && e.name === 'AbortError');
  assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
  assert.ok(!(await readdir(work)).some((f) => f.includes('aborted-run')));
  const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  assert.ok(!ps.includes('aborted-run'), 'ffmpeg still running');
});
