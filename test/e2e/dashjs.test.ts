// dash.js (with its Smooth bundle) in headless Chromium plays what smoothpub packages,
// through the player page in web/, including a forced switch between video levels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startStaticServer } from '../../src/play/staticServer.js';
import { launchChromium, waitFor, type PlayerWindow } from './dashjsPlayer.js';
import { failedRequests, fixtureSets, packageFixture, readManifest, requireTools, servedBitrates, type FixtureSet } from './helpers.js';

/** Audio languages to start with and to switch to mid-play (multi-language sets). */
interface AudioPlan {
  start: string;
  switchTo: string;
}

async function playSet(browser: Browser, set: FixtureSet, log: (m: string) => void, audioPlan?: AudioPlan): Promise<void> {
  const packaged = await packageFixture(set);
  if (packaged.via !== 'smoothpub') log(`${set.name}: packaged with the ffmpeg reference`);
  const server = await startStaticServer({ root: packaged.dir, host: '127.0.0.1', port: 0 });
  const context = await browser.newContext();
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  try {
    const manifest = await readManifest(packaged.dir);
    const video = manifest.streams.find((s) => s.type === 'video');
    assert.ok(video && video.bitrates.length >= 2, 'at least two video levels');
    const lowest = video.bitrates[0] ?? 0;
    const highest = video.bitrates[video.bitrates.length - 1] ?? 0;
    const durationSeconds = manifest.duration / manifest.timeScale;

    // Start on the lowest level with ABR off and a 2 s buffer, so that the later
    // switch to the highest level has fragments left to fetch.
    await page.goto(`${server.url}?quality=0&buffer=2&rate=2${audioPlan ? `&audio=${audioPlan.start}` : ''}`);
    const early = await waitFor(page, 'playback to start', 30_000, (s) => s.currentTime > 1);
    const audioBefore = server.requests.length;
    if (audioPlan) {
      assert.equal(early.audioLanguage, audioPlan.start, 'started with the requested audio language');
      const ok = await page.evaluate((lang) => (window as unknown as PlayerWindow).smoothpubSetAudioLanguage(lang), audioPlan.switchTo);
      assert.ok(ok, `an audio track in ${audioPlan.switchTo}`);
    }
    assert.deepEqual(early.errors, [], 'no player errors before the switch');
    assert.equal(early.videoBitrate, lowest, 'started on the lowest level');
    assert.equal(early.renderedVideoBitrate, lowest, 'showing the lowest level first');
    const switched = await page.evaluate(() => (window as unknown as PlayerWindow).smoothpubSetQuality(Number.MAX_SAFE_INTEGER));
    assert.ok(switched, 'quality switch accepted');

    const end = await waitFor(page, 'the end', 60_000, (s) => s.ended || s.currentTime >= durationSeconds - 0.5);
    assert.deepEqual(end.errors, [], `no player errors (console: ${consoleErrors.join(' | ')})`);
    assert.ok(end.ended || end.currentTime >= durationSeconds - 0.5, `played to the end (${end.currentTime} of ${durationSeconds} s)`);
    assert.ok((end.videoDecodedBytes ?? 0) > 0, 'video decoded');
    assert.ok((end.audioDecodedBytes ?? 0) > 0, 'audio decoded (dash.js drops a bad audio codec silently)');
    assert.equal(end.videoBitrate, highest, 'fetching the highest level at the end');
    assert.equal(end.renderedVideoBitrate, highest, 'showing the highest level at the end');
    assert.ok(end.qualityChanges.some((q) => q.to === highest), `a switch to the highest level was rendered: ${JSON.stringify(end.qualityChanges)}`);

    assert.deepEqual(failedRequests(server.requests), [], 'every request answered 200/206');
    const videoServed = servedBitrates(server.requests).get(video.name) ?? new Set<number>();
    assert.ok(videoServed.has(lowest) && videoServed.has(highest), `fragments of both levels served: ${[...videoServed].join(', ')}`);
    const audioStreams = manifest.streams.filter((s) => s.type === 'audio');
    const audioServed = (lang: string | undefined, requests = server.requests) =>
      audioStreams.filter((s) => lang === undefined || s.language === lang).some((s) => (servedBitrates(requests).get(s.name)?.size ?? 0) > 0);
    assert.ok(audioServed(undefined), 'audio fragments served');
    if (audioPlan) {
      assert.equal(end.audioLanguage, audioPlan.switchTo, 'audio switched');
      assert.ok(audioServed(audioPlan.start, server.requests.slice(0, audioBefore)), `${audioPlan.start} audio served first`);
      assert.ok(audioServed(audioPlan.switchTo, server.requests.slice(audioBefore)), `${audioPlan.switchTo} audio served after the switch`);
    }
  } catch (e) {
    if (consoleErrors.length > 0 && e instanceof Error) e.message += `\n--- page console errors ---\n${consoleErrors.join('\n')}`;
    throw e;
  } finally {
    await context.close();
    await server.close();
    await packaged.cleanup();
  }
}

test('dash.js plays smoothpub presentations in Chromium, switching levels', { timeout: 150_000 }, async (t) => {
  if (!requireTools(t, 'chromium', 'ffmpeg', 'ffprobe', 'timeout')) return;
  const browser = await launchChromium();
  t.after(() => browser.close());
  for (const set of [fixtureSets.clean, fixtureSets.users, fixtureSets.ismlmux]) {
    await t.test(set.name, () => playSet(browser, set, (m) => t.diagnostic(m)));
  }
  await t.test('multitrack, switching audio from fra to eng', () => playSet(browser, fixtureSets.multitrack, (m) => t.diagnostic(m), { start: 'fra', switchTo: 'eng' }));
  // The harness must be able to fail: without one video fragment, dash.js reports error 27
  // (or stalls) instead of ending cleanly, and the page's errors list says so.
  await t.test('harness notices a missing fragment', async () => {
    const packaged = await packageFixture(fixtureSets.clean);
    const server = await startStaticServer({ root: packaged.dir, host: '127.0.0.1', port: 0 });
    const context = await browser.newContext();
    try {
      for (const level of (await readdir(packaged.dir)).filter((d) => d.startsWith('QualityLevels('))) {
        await rm(join(packaged.dir, level, 'Fragments(video=40000000)'), { force: true });
      }
      const page = await context.newPage();
      await page.goto(`${server.url}?rate=2`);
      const end = await waitFor(page, 'an error or the end', 30_000, (s) => s.ended).catch(() => undefined);
      assert.ok(end === undefined || end.errors.length > 0, `a broken presentation must not pass: ${JSON.stringify(end?.errors)}`);
      assert.ok(failedRequests(server.requests).some((r) => r.status === 404), 'the missing fragment was requested');
    } finally {
      await context.close();
      await server.close();
      await packaged.cleanup();
    }
  });
});
