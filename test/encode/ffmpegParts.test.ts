import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildFfmpegArgs } from '../../src/encode/ffmpegArgs.js';
import { findTools } from '../../src/encode/findTools.js';
import { createLineTail } from '../../src/encode/lineTail.js';
import { createProgressReader, type FfmpegProgress } from '../../src/encode/readProgress.js';
import { presentationName } from '../../src/encode/encodeLadder.js';

test('ffmpeg args: one split, the same keyframe rule in every output, audio once', () => {
  const args = buildFfmpegArgs({
    input: 'in.mov',
    source: { videoStream: 1, duration: 10, width: 1920, height: 1080, sampleAspect: 1, fps: 30000 / 1001, audio: { stream: 2, sampleRate: 96000, channels: 6 } },
    renditions: [
      { width: 1280, height: 720, kbps: 3000, file: 'a.mp4' },
      { width: 640, height: 360, kbps: 800, file: 'b.mp4' },
    ],
    dir: '/o',
    fragmentDuration: 2,
    preset: 'veryfast',
    audioFile: 'audio.m4a',
    audioKbps: 128,
  });
  const fc = args[args.indexOf('-filter_complex') + 1];
  assert.equal(fc, '[0:1]split=2[s0][s1];[s0]scale=1280:720,setsar=1,format=yuv420p[v0];[s1]scale=640:360,setsar=1,format=yuv420p[v1]');
  const valuesOf = (flag: string): string[] => args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));
  assert.deepEqual(valuesOf('-force_key_frames'), ['expr:gte(t,n_forced*2)', 'expr:gte(t,n_forced*2)']);
  // 29.97 fps x 2 s -> a fixed 60-frame GOP, no scene-cut keyframes.
  assert.deepEqual(valuesOf('-g'), ['60', '60']);
  assert.deepEqual(valuesOf('-sc_threshold'), ['0', '0']);
  assert.deepEqual(valuesOf('-b:v'), ['3000k', '800k']);
  assert.deepEqual(valuesOf('-map'), ['[v0]', '[v1]', '0:2']);
  assert.deepEqual(valuesOf('-ac'), ['2']);
  assert.deepEqual(valuesOf('-ar'), ['48000']);
  assert.equal(args.at(-1), '/o/audio.m4a');
  assert.deepEqual(valuesOf('-progress'), ['pipe:1']);
  assert.ok(args.includes('-nostdin') && args.includes('-n'));
});

test('progress reader: one report per block, times never go back, N/A ignored, end flagged', () => {
  const reports: FfmpegProgress[] = [];
  const read = createProgressReader((p) => reports.push(p));
  for (const line of ['frame=0', 'out_time_us=N/A', 'speed=N/A', 'progress=continue', 'out_time_us=1500000', 'speed=2.5x', 'progress=continue', 'out_time_us=1400000', 'progress=continue', 'out_time_us=6000000', 'progress=end']) read(line);
  assert.deepEqual(reports, [
    { seconds: 0, speed: undefined, end: false },
    { seconds: 1.5, speed: 2.5, end: false },
    { seconds: 1.5, speed: 2.5, end: false },
    { seconds: 6, speed: 2.5, end: true },
  ]);
});

test('stderr tail keeps the last lines only, across chunk boundaries', () => {
  const tail = createLineTail(2);
  tail.push('one\ntw');
  tail.push('o\n\nthree\nfo');
  assert.deepEqual(tail.lines(), ['three', 'fo']);
});

test('tools: option, then environment, then PATH; ffprobe beside ffmpeg', () => {
  assert.deepEqual(findTools(undefined, undefined, {}), { ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' });
  assert.deepEqual(findTools(undefined, undefined, { SMOOTHPUB_FFMPEG: '/opt/ff/bin/ffmpeg' }), { ffmpeg: '/opt/ff/bin/ffmpeg', ffprobe: '/opt/ff/bin/ffprobe' });
  assert.deepEqual(findTools('/x/ffmpeg-6', undefined, { SMOOTHPUB_FFMPEG: '/opt/ffmpeg' }), { ffmpeg: '/x/ffmpeg-6', ffprobe: '/x/ffprobe-6' });
  assert.deepEqual(findTools(undefined, undefined, { SMOOTHPUB_FFMPEG: '/a/ffmpeg', SMOOTHPUB_FFPROBE: '/b/probe' }), { ffmpeg: '/a/ffmpeg', ffprobe: '/b/probe' });
});

test('presentation name: the input file name, made URL-safe', () => {
  assert.equal(presentationName('movies/My Film.final.mp4'), 'My_Film.final');
  assert.equal(presentationName('/x/.hidden'), 'hidden');
  assert.equal(presentationName('/x/%%%.mp4'), 'video');
});
