// Encrypted DASH in dash.js in headless Chromium with W3C Clear Key (org.w3.clearkey), the
// key handed to the player page: smoothpub's `package --key` output (cenc) played to the end
// with audio, every frame decoded, and Shaka Packager's raw-key cenc DASH of the same
// sources with the same key played the same way (the same client takes both).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { startStaticServer } from '../../src/play/staticServer.js';
import { requireShakaPackager } from '../harness/ci.js';
import { runShakaPackager } from '../harness/shakaPackager.js';
import { assertPlayed, playDashInChromium, type ChromiumPlayResult } from './chromiumPlayer.js';
import { launchChromium } from './dashjsPlayer.js';
import { countVideoFrames, fixtureSets, requireTools } from './helpers.js';

const KID = '9eb4050de44b4802932e27d75083e266';
const KEY = '166634c675823c235a4a9446fad52e4d';

test("dash.js plays smoothpub's cenc DASH and Shaka Packager's with Clear Key in Chromium: to the end, every frame, the audio", { timeout: 300_000 }, async (t) => {
  if (!requireTools(t, 'chromium', 'ffprobe')) return;
  const shaka = requireShakaPackager(t);
  if (shaka === undefined) return;
  const set = fixtureSets.clean;
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-e2e-clearkey-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const ours = join(tmp, 'ours', 'video.ism');
  await packagePresentation({
    inputs: set.inputs,
    outDir: ours,
    formats: ['smooth', 'dash'],
    protection: { signal: { scheme: 'cenc' }, keys: [{ key: { kid: Buffer.from(KID, 'hex'), key: Buffer.from(KEY, 'hex') } }] },
  });
  const theirs = join(tmp, 'shaka');
  await runShakaPackager(
    shaka,
    [...set.videoLevels.map(([input], i) => ({ input, stream: 'video' as const, folder: `video${i}` })), { input: set.inputs.at(-1)!, stream: 'audio' as const, folder: 'audio' }],
    theirs,
    { segmentDuration: 2, encryption: { scheme: 'cenc', kid: KID, key: KEY } },
  );
  const frames = await countVideoFrames(set.videoLevels[0]![0], set.videoLevels[0]![1]);

  const browser = await launchChromium();
  t.after(() => browser.close());
  const server = await startStaticServer({ root: tmp, mount: '/media/', host: '127.0.0.1', port: 0 });
  t.after(() => server.close());
  for (const [who, mpd] of [
    ['Shaka Packager', 'media/shaka/manifest.mpd'],
    ['smoothpub', 'media/ours/video.ism/manifest.mpd'],
  ] as const) {
    const r = await playDashInChromium(browser, { pageUrl: server.url, manifestUrl: `${server.url}${mpd}`, clearKey: { kid: KID, key: KEY } });
    assertPlayed(r, frames, `${who}'s cenc DASH`);
  }
  // Without the key the same page cannot play it: the test sees a failure when there is one.
  const locked: ChromiumPlayResult | Error = await playDashInChromium(browser, { pageUrl: server.url, manifestUrl: `${server.url}media/ours/video.ism/manifest.mpd`, timeoutMs: 20_000 }).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
  assert.ok(locked instanceof Error || (locked.decodedFrames ?? 0) < frames || locked.errors.length > 0, 'without the key nothing plays to the end');
});
