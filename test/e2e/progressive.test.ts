// Plain MP4 input, judged by a real client: GStreamer decodes the packaged Smooth
// presentation to exactly the frames (checksums and timestamps) it decodes from the
// source MP4 itself, with playbin (mssdemux) and playbin3 (mssdemux2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { startStaticServer } from '../../src/play/staticServer.js';
import { fixtures, requireTools, run } from './helpers.js';

const FRAME_LINE = /^\d+:\d\d:\d\d\.\d+ [0-9a-f]{40}$/;

function frameLines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => FRAME_LINE.test(l));
}

for (const playbin of ['playbin', 'playbin3'] as const) {
  test(`${playbin}: the packaged plain MP4 ladder decodes to the source's frames (lowest level)`, { timeout: 180_000 }, async (t) => {
    if (!requireTools(t, 'gst-launch-1.0')) return;
    const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-e2e-prog-'));
    t.after(() => rm(tmp, { recursive: true, force: true }));
    const levels = ['v300', 'v200', 'v100'].map((n) => join(fixtures, 'progressive', `${n}.mp4`));
    const packaged = await packagePresentation({ inputs: levels, outDir: join(tmp, 'video.ism') });
    const video = packaged.presentation.streams.find((s) => s.type === 'video')!;
    const [low, next] = video.qualityLevels.map((q) => q.bitrate).sort((a, b) => a - b);
    const server = await startStaticServer({ root: join(tmp, 'video.ism'), host: '127.0.0.1', port: 0 });
    let smooth;
    try {
      smooth = await run('gst-launch-1.0', [playbin, `uri=${server.url}video.ism/Manifest`, 'video-sink=checksumsink', 'audio-sink=fakesink', `connection-speed=${Math.floor((low! + next!) / 2 / 1000)}`], 90);
    } finally {
      await server.close();
    }
    const direct = await run('gst-launch-1.0', [playbin, `uri=file://${levels[2]}`, 'video-sink=checksumsink', 'audio-sink=fakesink'], 90);
    assert.equal(smooth.code, 0, smooth.stderr.slice(-2000));
    assert.equal(direct.code, 0, direct.stderr.slice(-2000));
    const want = frameLines(direct.stdout);
    assert.equal(want.length, 240, 'the source decodes to 240 frames');
    // Same frames at the same timestamps: the first presented frame and A/V timing survive the edit lists.
    assert.deepEqual(frameLines(smooth.stdout), want);
  });
}
