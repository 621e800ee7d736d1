// DASH in dash.js and HLS in hls.js, in headless Chromium through the player page, served by
// the static server `smoothpub play` uses: Shaka Packager's DASH and HLS of the fixture sets
// (a second writer: it judges the helpers in chromiumPlayer.ts and the page), and the page's
// format selector over a folder holding Smooth, DASH and HLS of one presentation.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startStaticServer, type StaticServer } from '../../src/play/staticServer.js';
import { FORMATS, type Format } from '../../src/formats/model.js';
import { assertPlayed, playAndAssert, playDashInChromium, playHlsInChromium, playInChromium, type ChromiumPlayResult } from './chromiumPlayer.js';
import { launchChromium, stats, waitFor, watchPageErrors, type PageFormat, type PlayerWindow } from './dashjsPlayer.js';
import { countVideoFrames, failedRequests, fixtureSets, packageFixture, requireTools, type FixtureSet } from './helpers.js';
import { packageWithShakaPackager, type ShakaOutput } from './shakaPackager.js';
import { makeRoot, presentations, startOrigin } from '../origin/helpers.js';

interface Served {
  server: StaticServer;
  shaka?: ShakaOutput;
  /** Frames of every video level of the source (all levels of a fixture set have as many). */
  sourceFrames: number;
  cleanup(): Promise<void>;
}

/**
 * smoothpub's package of `set` in `formats` (default Smooth alone), served, with Shaka
 * Packager's DASH and HLS beside it if asked.
 */
async function serve(set: FixtureSet, withShaka: boolean, formats?: readonly Format[]): Promise<Served> {
  const packaged = await packageFixture(set, formats);
  try {
    const shaka = withShaka ? await packageWithShakaPackager(set.inputs, packaged.dir) : undefined;
    const counts = await Promise.all(set.videoLevels.map(([file, index]) => countVideoFrames(file, index)));
    assert.equal(new Set(counts).size, 1, `every level of ${set.name} has as many frames: ${counts.join(', ')}`);
    const server = await startStaticServer({ root: packaged.dir, host: '127.0.0.1', port: 0 });
    return {
      server,
      ...(shaka && { shaka }),
      sourceFrames: counts[0] ?? 0,
      cleanup: async () => {
        await server.close();
        await packaged.cleanup();
      },
    };
  } catch (e) {
    await packaged.cleanup();
    throw e;
  }
}

function assertSwitchedLevels(r: ChromiumPlayResult, what: string): void {
  const s = r.levelSwitch;
  assert.ok(s, `${what}: a level switch was made`);
  assert.ok(r.levels.length >= 2 && s.from < s.to, `${what}: two levels or more: ${JSON.stringify(r.levels)}`);
  assert.equal(s.fetchingBefore, s.from, `${what}: started on the lowest level`);
  assert.ok(s.accepted, `${what}: switch accepted`);
  assert.ok(s.fetchedAfter && s.rendered, `${what}: the highest level fetched and shown after the switch: ${JSON.stringify(r.end.qualityChanges)}`);
  assert.deepEqual(r.levelsUsed, [s.from, s.to], `${what}: fragments of the lowest, then of the highest level`);
}

test('dash.js and hls.js play Shaka Packager\'s DASH and HLS in Chromium: frames, a level switch, the second audio language', { timeout: 300_000 }, async (t) => {
  if (!requireTools(t, 'chromium', 'ffmpeg', 'ffprobe', 'timeout')) return;
  const browser = await launchChromium();
  t.after(() => browser.close());

  const clean = await serve(fixtureSets.clean, true);
  t.after(() => clean.cleanup());
  for (const [name, play, doc] of [
    ['DASH in dash.js', playDashInChromium, 'manifest.mpd'],
    ['HLS in hls.js', playHlsInChromium, 'master.m3u8'],
  ] as const) {
    await t.test(`clean: ${name}, lowest level then highest`, async () => {
      const before = clean.server.requests.length;
      const r = await play(browser, { pageUrl: clean.server.url, manifestUrl: `/video.ism/${doc}`, switchLevels: true });
      if (r.warnings.length > 0) t.diagnostic(`${name} recovered from: ${JSON.stringify(r.warnings)}`);
      assertPlayed(r, clean.sourceFrames, name);
      assertSwitchedLevels(r, name);
      assert.deepEqual(failedRequests(clean.server.requests.slice(before)), [], 'every request answered 200/206');
    });
  }

  // The helpers must be able to fail: without the third video segment of every level, both
  // players stop instead of ending: dash.js with error 27 at once; hls.js stalls, retrying,
  // and gives up (a fatal fragLoadError) only about 30 s later (docs/architecture.md): a
  // stall past the timeout counts as not passing too.
  await t.test('clean: the helpers notice a missing segment', async () => {
    for (const s of clean.shaka?.streams ?? []) if (s.type === 'video') await rm(join(clean.shaka?.mpd ?? '', '..', s.label, '3.m4s'));
    for (const [play, doc] of [
      [playDashInChromium, 'manifest.mpd'],
      [playHlsInChromium, 'master.m3u8'],
    ] as const) {
      const before = clean.server.requests.length;
      const r = await play(browser, { pageUrl: clean.server.url, manifestUrl: `/video.ism/${doc}`, timeoutMs: 10_000 }).catch(() => undefined);
      assert.ok(r === undefined || (r.errors.length > 0 && !r.finished), `${doc}: a broken presentation must not pass: ${JSON.stringify(r?.errors)}`);
      assert.ok(failedRequests(clean.server.requests.slice(before)).some((q) => q.status === 404 && q.path.endsWith('/3.m4s')), `${doc}: the missing segment was requested`);
    }
  });

  const multi = await serve(fixtureSets.multitrack, true);
  t.after(() => multi.cleanup());
  const audio = multi.shaka?.streams.filter((s) => s.type === 'audio') ?? [];
  assert.deepEqual(audio.map((s) => s.language), ['eng', 'fra'], 'the two-language set has eng and fra audio');
  for (const [name, play, doc] of [
    ['DASH in dash.js', playDashInChromium, 'manifest.mpd'],
    ['HLS in hls.js', playHlsInChromium, 'master.m3u8'],
  ] as const) {
    await t.test(`two languages: ${name}, switching to the second language`, async () => {
      // Shaka Packager announces eng and fra by their two-letter codes (DASH lang, HLS LANGUAGE).
      const r = await play(browser, { pageUrl: multi.server.url, manifestUrl: `/video.ism/${doc}`, switchLevels: true, switchAudio: { start: 'en' } });
      assertPlayed(r, multi.sourceFrames, name);
      assertSwitchedLevels(r, name);
      assert.deepEqual(r.audioTracks.map((a) => a.lang), ['en', 'fr'], `${name}: both audio tracks listed`);
      const s = r.audioSwitch;
      assert.ok(s, 'an audio switch was made');
      assert.equal(s.before, 'en', 'started in the first language');
      assert.equal(s.requested, 'fr', 'asked for the second language listed');
      assert.ok(s.accepted, 'audio switch accepted');
      assert.equal(s.after, 'fr', 'playing the second language at the end');
      const [first, second] = audio.map((a) => `/${a.label}/`);
      assert.ok(s.fragmentsBefore.length > 0 && s.fragmentsBefore.every((u) => first !== undefined && u.includes(first)), `first language's fragments before: ${s.fragmentsBefore.join(' ')}`);
      assert.ok(s.fragmentsAfter.length > 0 && s.fragmentsAfter.every((u) => second !== undefined && u.includes(second)), `second language's fragments after: ${s.fragmentsAfter.join(' ')}`);
    });
  }
});

test('dash.js and hls.js play smoothpub\'s own DASH and HLS in Chromium (ffmpeg ISMV, B-frames and AAC priming, two languages): every frame, a level switch, the second language', { timeout: 300_000 }, async (t) => {
  if (!requireTools(t, 'chromium', 'ffmpeg', 'ffprobe', 'timeout')) return;
  const browser = await launchChromium();
  t.after(() => browser.close());
  for (const set of [fixtureSets.clean, fixtureSets.users, fixtureSets.multitrack]) {
    const served = await serve(set, false, FORMATS);
    t.after(() => served.cleanup());
    // The media-services names for the users set, the canonical ones for the others; and
    // Smooth (dash.js's Smooth support) on the same fragments, each with a tfdt added.
    const users = set === fixtureSets.users;
    for (const [name, format, doc] of [
      ['DASH in dash.js', 'dash', users ? 'manifest(format=mpd-time-csf)' : 'manifest.mpd'],
      ['HLS in hls.js', 'hls', users ? 'manifest(format=m3u8-aapl)' : 'master.m3u8'],
      ...(users ? ([['Smooth in dash.js, tfdt added', 'smooth', 'manifest']] as const) : []),
    ] as const) {
      await t.test(`${set.name}: ${name}`, async () => {
        const before = served.server.requests.length;
        const languages = set === fixtureSets.multitrack;
        const r = await playInChromium(browser, { pageUrl: served.server.url, manifestUrl: `/video.ism/${doc}`, format, switchLevels: true, ...(languages && { switchAudio: { start: 'en' } }) });
        if (r.warnings.length > 0) t.diagnostic(`${name} recovered from: ${JSON.stringify(r.warnings)}`);
        assertPlayed(r, served.sourceFrames, `${set.name} ${name}`);
        assertSwitchedLevels(r, `${set.name} ${name}`);
        const fragments = served.server.requests.slice(before).filter((q) => q.path.includes('/Fragments('));
        assert.ok(fragments.length > 0 && fragments.every((q) => /\/QualityLevels\(\d+\)\/Fragments\([a-z_]+=(\d+|i)\)$/.test(q.path)), 'every segment is a Smooth fragment object or an init segment');
        assert.deepEqual(failedRequests(served.server.requests.slice(before)), [], 'every request answered 200/206');
        if (languages) {
          assert.deepEqual(r.audioTracks.map((a) => a.lang), ['en', 'fr'], `${name}: both audio tracks listed`);
          const s = r.audioSwitch;
          assert.ok(s?.accepted && s.before === 'en' && s.after === 'fr', `${name}: switched to the second language: ${JSON.stringify(s)}`);
          assert.ok(s.fragmentsAfter.length > 0 && s.fragmentsAfter.every((u) => u.includes('Fragments(audio_fra=')), `the second language's fragments after: ${s.fragmentsAfter.join(' ')}`);
        }
      });
    }
  }
});

test('dash.js and hls.js play DASH and HLS answered by serve from the sources (tfdt added on the fly), plain MP4 ladder and primed ISMV', { timeout: 240_000 }, async (t) => {
  if (!requireTools(t, 'chromium', 'ffmpeg', 'ffprobe', 'timeout')) return;
  const browser = await launchChromium();
  t.after(() => browser.close());
  const root = await makeRoot();
  t.after(() => root.cleanup());
  const origin = await startOrigin({ root: root.root });
  t.after(() => origin.close());
  // The player page from the static server, the presentation from the origin (CORS).
  const page = await startStaticServer({ root: root.root, host: '127.0.0.1', port: 0 });
  t.after(() => page.close());
  for (const [name, p] of [
    ['users.ism', presentations.users],
    ['plain MP4 ladder', presentations.progressive],
  ] as const) {
    const frames = await countVideoFrames(...(name === 'users.ism' ? (fixtureSets.users.videoLevels[0] as [string, number]) : ([p.inputs(root.root)[0]!, 0] as [string, number])));
    for (const [format, doc] of [
      ['dash', 'manifest(format=mpd-time-cmaf)'],
      ['hls', 'manifest(format=m3u8-cmaf)'],
    ] as const) {
      await t.test(`${name}: ${format}`, async (tt) => {
        const before = origin.requests.length;
        const r = await playAndAssert(browser, { pageUrl: page.url, manifestUrl: `${origin.url}${p.path}/${doc}`, format, switchLevels: true }, frames, `${name} ${format} through serve`, (l) => tt.diagnostic(l));
        assertSwitchedLevels(r, `${name} ${format} through serve`);
        assert.deepEqual(failedRequests(origin.requests.slice(before).filter((q) => q.method !== 'OPTIONS')), [], 'every request answered 200/206');
      });
    }
  }
});

async function openPage(browser: Browser, url: string): Promise<{ page: Page; consoleErrors: string[]; close(): Promise<void> }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const consoleErrors = watchPageErrors(page);
  await page.goto(url);
  return { page, consoleErrors, close: () => context.close() };
}

async function offered(page: Page): Promise<{ formats: PageFormat[]; options: string[] }> {
  const s = await waitFor(page, 'the formats probed', 10_000, (x) => x.formatsProbed);
  const options = await page.$$eval('#format option', (els) => els.map((e) => (e as HTMLOptionElement).value));
  return { formats: s.formats, options };
}

test('the player page offers the formats present and plays each with its player', { timeout: 240_000 }, async (t: TestContext) => {
  if (!requireTools(t, 'chromium', 'ffmpeg', 'ffprobe', 'timeout')) return;
  const browser = await launchChromium();
  t.after(() => browser.close());
  const all = await serve(fixtureSets.clean, true);
  t.after(() => all.cleanup());
  const smoothOnly = await serve(fixtureSets.clean, false);
  t.after(() => smoothOnly.cleanup());

  await t.test('Smooth, DASH and HLS one after the other through the selector', async () => {
    const { page, consoleErrors, close } = await openPage(browser, `${all.server.url}?rate=2`);
    try {
      assert.deepEqual(await offered(page), { formats: ['smooth', 'dash', 'hls'], options: ['smooth', 'dash', 'hls'] });
      const expected = { smooth: ['Manifest', 'dash.js'], dash: ['manifest.mpd', 'dash.js'], hls: ['master.m3u8', 'hls.js'] } as const;
      for (const format of ['smooth', 'dash', 'hls'] as const) {
        // The selector itself, as a user changes it (Smooth plays first, from the default URL).
        if (format !== 'smooth') await page.selectOption('#format', format);
        const end = await waitFor(page, `${format} to the end`, 60_000, (s) => s.format === format && s.ended);
        assert.deepEqual(end.errors, [], `${format}: no player errors (console: ${consoleErrors.join(' | ')})`);
        assert.equal(end.format, format);
        assert.equal(end.library, expected[format][1]);
        assert.equal(end.manifestUrl, `${all.server.url}video.ism/${expected[format][0]}`);
        assert.equal(end.totalFrames, all.sourceFrames, `${format}: every frame decoded`);
        assert.ok((end.audioDecodedBytes ?? 0) > 0, `${format}: audio decoded`);
        assert.ok(end.videoQualities.length === 3 && end.audioTracks.length === 1, `${format}: 3 levels and 1 audio track listed`);
        // The page shows the level and the audio language of every format.
        const shown = await page.$eval('#stat-video', (e) => e.textContent ?? '');
        assert.match(shown, new RegExp(`showing ${Math.round((end.renderedVideoBitrate ?? 0) / 1000)} kbit/s`), `${format}: level shown`);
        assert.equal(await page.$eval('#stat-format', (e) => e.textContent), `${{ smooth: 'Smooth', dash: 'DASH', hls: 'HLS' }[format]} with ${expected[format][1]}`);
        // A reload plays the same format: the URL says which.
        const params = new URL(page.url()).searchParams;
        assert.equal(new URL(params.get('manifest') ?? '', all.server.url).pathname, `/video.ism/${expected[format][0]}`);
      }
      assert.deepEqual(failedRequests(all.server.requests), [], 'every request answered 200/206');
    } finally {
      await close();
    }
  });

  await t.test('a folder with the Smooth Manifest only offers Smooth', async () => {
    const { page, close } = await openPage(browser, `${smoothOnly.server.url}?autoplay=0`);
    try {
      assert.deepEqual(await offered(page), { formats: ['smooth'], options: ['smooth'] });
      assert.equal(await page.evaluate(() => (window as unknown as PlayerWindow).smoothpubSetFormat('hls')), false, 'HLS is refused');
    } finally {
      await close();
    }
  });

  await t.test('URL parameters: manifest= names the format, format= picks a sibling document', async () => {
    const cases: [string, PageFormat, string][] = [
      ['manifest=/video.ism/Manifest&quality=0', 'smooth', 'Manifest'],
      ['manifest=/video.ism/manifest.mpd', 'dash', 'manifest.mpd'],
      ['manifest=/video.ism/master.m3u8', 'hls', 'master.m3u8'],
      ['format=dash', 'dash', 'manifest.mpd'],
      ['manifest=/video.ism/Manifest&format=hls', 'hls', 'master.m3u8'],
      ['manifest=/video.ism/master.m3u8&format=dash', 'dash', 'manifest.mpd'],
    ];
    for (const [query, format, name] of cases) {
      const { page, close } = await openPage(browser, `${all.server.url}?${query}`);
      try {
        const s = await waitFor(page, `${query} to start`, 30_000, (x) => x.videoBitrate !== null && x.currentTime > 0);
        assert.deepEqual(s.errors, [], `${query}: no errors`);
        assert.equal(s.format, format, `${query}: format`);
        assert.equal(s.manifestUrl, `${all.server.url}video.ism/${name}`, `${query}: document`);
        if (query.includes('quality=0')) assert.equal(s.videoBitrate, s.videoQualities[0]?.bitrate, 'quality=0 still starts on the lowest level');
      } finally {
        await close();
      }
    }
  });

  await t.test('errors are shown on the page', async () => {
    // No master.m3u8 here: hls.js fails to load it.
    const missing = await openPage(browser, `${smoothOnly.server.url}?format=hls`);
    try {
      const s = await waitFor(missing.page, 'an error', 30_000, () => false).catch(() => stats(missing.page));
      assert.ok(s.errors.some((e) => /manifestLoadError/.test(e.message)), `a manifest load error: ${JSON.stringify(s.errors)}`);
      assert.match(await missing.page.$eval('#errors', (e) => e.textContent ?? ''), /hlsjs networkError: manifestLoadError/);
    } finally {
      await missing.close();
    }
    // hls.js not served (a checkout that was not built): the page says what to do.
    const empty = await mkdtemp(join(tmpdir(), 'smoothpub-nohls-'));
    const server = await startStaticServer({ root: join(empty, 'none'), host: '127.0.0.1', port: 0, hlsDir: empty });
    const page = await openPage(browser, `${server.url}?format=hls`);
    try {
      assert.match(await page.page.$eval('#errors', (e) => e.textContent ?? ''), /hls\.js did not load from \/hls\/hls\.min\.js/);
      const bad = await openPage(browser, `${server.url}?format=mp4`);
      try {
        assert.match(await bad.page.$eval('#errors', (e) => e.textContent ?? ''), /format=mp4: expected smooth, dash or hls/);
      } finally {
        await bad.close();
      }
    } finally {
      await page.close();
      await server.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
