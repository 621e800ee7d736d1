// Real clients play through the origin (node adapter on 127.0.0.1): GStreamer playbin
// (mssdemux) and playbin3 (mssdemux2), and dash.js in headless Chromium on another origin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startStaticServer } from '../../src/play/staticServer.js';
import { waitFor, type PlayerStats } from '../e2e/dashjsPlayer.js';
import { countVideoFrames, failedRequests, playWithGstreamer, servedBitrates } from '../e2e/helpers.js';
import { requireTools, toolPath } from '../harness/ci.js';
import { makeRoot, presentations, startOrigin } from './helpers.js';

const cases = [
  { playbin: 'playbin', presentation: presentations.clean, frames: ['clean', 'v400.ismv'] },
  // users: B-frames and AAC priming (the first audio fragment before 0).
  { playbin: 'playbin3', presentation: presentations.users, frames: ['users', 'v400.ismv'] },
  // Plain MP4 (B-frames, AAC priming, 29.97 fps), fragmented on the fly.
  { playbin: 'playbin', presentation: presentations.progressive, frames: ['prog', 'ladder.ism', 'v300.mp4'] },
  { playbin: 'playbin3', presentation: presentations.progressive, frames: ['prog', 'ladder.ism', 'v300.mp4'] },
] as const;

test('GStreamer plays through the origin to the end, every frame', { timeout: 150_000, concurrency: 2 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'ffprobe', 'timeout')) return;
  const r = await makeRoot();
  const origin = await startOrigin({ root: r.root });
  t.after(async () => {
    await origin.close();
    await r.cleanup();
  });
  await Promise.all(
    cases.map((c) =>
      t.test(`${c.presentation.path} with ${c.playbin}`, async () => {
        const frames = await countVideoFrames(join(r.root, ...c.frames), 0);
        const result = await playWithGstreamer({ playbin: c.playbin, uri: `${origin.url}${c.presentation.path}/Manifest` });
        const tail = `\n--- stderr ---\n${result.stderr.slice(-2000)}\n--- stdout (tail) ---\n${result.stdout.slice(-1500)}`;
        assert.equal(result.code, 0, `gst-launch exit code (124 = timed out)${tail}`);
        assert.ok(result.eos, `reached EOS${tail}`);
        assert.equal(result.frames, frames, `decoded video frames${tail}`);
        const mine = origin.requests.filter((q) => q.path.startsWith(`/${c.presentation.path}/`));
        assert.deepEqual(failedRequests(mine), []);
        assert.ok((servedBitrates(mine).get('audio')?.size ?? 0) > 0, 'audio fragments were requested');
      }),
    ),
  );
});

/** As in test/e2e/dashjs.test.ts: dash.js may pause within half a second of the end instead of ending. */
function atEnd(s: PlayerStats): boolean {
  return s.ended || (s.duration > 0 && s.currentTime >= s.duration - 0.55);
}

test('dash.js plays through the origin from a page on another origin (CORS)', { timeout: 120_000 }, async (t) => {
  if (!requireTools(t, 'chromium')) return;
  const r = await makeRoot();
  const origin = await startOrigin({ root: r.root });
  const page = await startStaticServer({ root: r.root, host: '127.0.0.1', port: 0 });
  const browser = await chromium.launch({ executablePath: toolPath('chromium') ?? 'chromium', args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--disable-gpu'], headless: true });
  t.after(async () => {
    await browser.close();
    await page.close();
    await origin.close();
    await r.cleanup();
  });
  const tab = await browser.newPage();
  const consoleErrors: string[] = [];
  tab.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  const manifest = `${origin.url}${presentations.clean.path}/Manifest`;
  await tab.goto(`${page.url}?rate=2&manifest=${encodeURIComponent(manifest)}`);
  const s = await waitFor(tab, 'the end', 90_000, atEnd);
  assert.deepEqual(s.errors, [], `no player errors (console: ${consoleErrors.join(' | ')})`);
  assert.ok(atEnd(s), `played to the end: ${JSON.stringify(s)}`);
  assert.ok((s.videoDecodedBytes ?? 0) > 0, 'video decoded');
  assert.ok((s.audioDecodedBytes ?? 0) > 0, 'audio decoded');
  assert.deepEqual(failedRequests(origin.requests.filter((q) => q.method !== 'OPTIONS')), []);
  assert.ok(origin.requests.some((q) => q.path.includes('/Fragments(video=')), 'fragments came from the origin');
});
