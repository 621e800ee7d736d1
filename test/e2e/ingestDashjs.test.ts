// dash.js's Smooth support playing what `smoothpub ingest` stores while ffmpeg pushes: it
// loads the live Manifest once and grows its timeline only from each fragment's tfrf
// (docs/architecture.md, "Live presentations from static objects"); without the look-ahead
// it stopped with error 200 (MSS_NO_TFRF) at the end of its first Manifest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { readMpd } from '../../src/formats/dash/readMpd.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { parseSmoothUrl } from '../../src/smooth/url.js';
import { startLiveFixture, type LiveFixture } from '../harness/livePush.js';
import { waitUntil } from '../harness/waitUntil.js';
import { AUDIO, V120 } from '../live/helpers.js';
import { launchChromium, stats, type PlayerStats } from './dashjsPlayer.js';
import { requireTools } from './helpers.js';

test('dash.js (Smooth) plays the ingest output live from the tfrf look-ahead, past its first Manifest, to the end of the push', { timeout: 180_000 }, async (t) => {
  if (!requireTools(t, 'ffmpeg', 'chromium')) return;
  // 32 s of event: the 8 s fixtures looped 3 more times.
  const live = await startLiveFixture([V120, AUDIO], { loop: 3, name: 'dj', ingest: { finalizeAfterMs: 60_000 } });
  let browser: Browser | undefined;
  try {
    const root = join(live.folder, 'dj.ism');
    const first = await waitUntil('a live Manifest with a video chunk', async () => {
      try {
        const m = readManifest(await readFile(join(root, 'Manifest'), 'utf8'));
        return m.isLive === true && m.streams.find((s) => s.type === 'video')!.chunks.length >= 1 ? m : undefined;
      } catch {
        return undefined;
      }
    }, { timeoutMs: 30_000, intervalMs: 100 });
    browser = await launchChromium();
    const known = first.streams.find((s) => s.type === 'video')!.chunks;
    const knownEnd = known.at(-1)!.t + known.at(-1)!.d;
    const { s, videoTimes } = await watchUntilPushEnds(browser, live, live.manifestUrl, 'dj.ism', 'no player error (no MSS_NO_TFRF)');
    const beyond = videoTimes.filter((time) => time >= knownEnd + 20_000_000n);
    assert.ok(beyond.length >= 3, `fetched video fragments well past its first Manifest's timeline (ended at ${knownEnd}): ${videoTimes.join(', ')}`);
    assert.ok(s.currentTime > Number(knownEnd) / 1e7, `played past the first Manifest's end (${s.currentTime} s; it ended at ${Number(knownEnd) / 1e7} s)`);
    assert.ok((s.totalFrames ?? 0) > 200, `decoded frames while live: ${s.totalFrames}`);
  } finally {
    await browser?.close();
    await live.close();
  }
});

test('dash.js (DASH) plays the dynamic MPD of ingest --formats smooth,dash live, past its first MPD, to the end of the push', { timeout: 180_000 }, async (t) => {
  if (!requireTools(t, 'ffmpeg', 'chromium')) return;
  const live = await startLiveFixture([V120, AUDIO], { loop: 3, name: 'dd', ingest: { finalizeAfterMs: 60_000, formats: ['smooth', 'dash'] } });
  let browser: Browser | undefined;
  try {
    const root = join(live.folder, 'dd.ism');
    const first = await waitUntil('a dynamic MPD with a video segment', async () => {
      try {
        const mpd = readMpd(await readFile(join(root, 'manifest.mpd'), 'utf8'));
        const video = mpd.periods[0]?.adaptationSets.find((s) => s.contentType === 'video');
        return mpd.type === 'dynamic' && (video?.representations[0]?.segments.length ?? 0) >= 1 ? video!.representations[0]!.segments : undefined;
      } catch {
        return undefined;
      }
    }, { timeoutMs: 30_000, intervalMs: 100 });
    browser = await launchChromium();
    const knownEnd = first.at(-1)!.time + first.at(-1)!.duration;
    // No error 16 either: the MPD names a UTCTiming (a HEAD of itself), so dash.js asks no time server.
    const { s, videoTimes } = await watchUntilPushEnds(browser, live, `${live.web.url}dd.ism/manifest.mpd`, 'dd.ism', 'no player error', false);
    const beyond = videoTimes.filter((time) => time >= knownEnd + 20_000_000n);
    assert.ok(beyond.length >= 3, `fetched video segments well past its first MPD's timeline (ended at ${knownEnd}): ${videoTimes.join(', ')}`);
    assert.ok((s.totalFrames ?? 0) > 200, `decoded frames while live: ${s.totalFrames}`);
  } finally {
    await browser?.close();
    await live.close();
  }
});

/**
 * The player page on `manifestUrl` until the push ends: its stats then (no player error but,
 * `withoutTimeServer`, 16: dash.js's Smooth support has no UTCTiming and off line reports it,
 * playing on its own clock) and the
 * times of the video fragments it fetched under `/<presentation>/`.
 */
async function watchUntilPushEnds(browser: Browser, live: LiveFixture, manifestUrl: string, presentation: string, what: string, withoutTimeServer = true): Promise<{ s: PlayerStats; videoTimes: bigint[] }> {
  const page = await (await browser.newContext()).newPage();
  const url = new URL(live.web.url);
  url.searchParams.set('manifest', manifestUrl);
  await page.goto(url.href);
  let pushEnded = false;
  void live.push.done.then(() => (pushEnded = true));
  const harmless = (e: PlayerStats['errors'][number]): boolean => withoutTimeServer && e.source === 'dashjs' && e.code === 16;
  const s = await waitUntil('the push to end', async () => {
    const now = await stats(page);
    if (now.errors.some((e) => !harmless(e))) return now;
    return pushEnded ? now : undefined;
  }, { timeoutMs: 90_000, intervalMs: 500 });
  assert.deepEqual(s.errors.filter((e) => !harmless(e)), [], what);
  const videoTimes = s.fragments.flatMap((f) => {
    const u = parseSmoothUrl(decodeURIComponent(new URL(f.url).pathname).slice(`/${presentation}/`.length));
    return u?.kind === 'fragment' && u.streamName === 'video' ? [u.time] : [];
  });
  return { s, videoTimes };
}
