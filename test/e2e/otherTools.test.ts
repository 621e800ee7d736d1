// Files made by other tools, packaged and played to the end by real clients: GStreamer's
// qtmux, mp4mux and ismlmux, ffmpeg's .mov (QuickTime sound descriptions), avc3. GStreamer
// (playbin → mssdemux, playbin3 → mssdemux2) must decode from the Smooth presentation the
// very frames it decodes from the source file; ismlmux's two levels are switched by force
// (a slow first fragment drives mssdemux down a level and back), and every frame shown must
// be a frame of one level decoded alone: a switch into a fragment that starts at a
// non-key frame would show a picture decoded from the other level's references.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { startStaticServer, type StaticServer } from '../../src/play/staticServer.js';
import { AVCC_FIX } from '../../src/smooth/fourCCFor.js';
import { launchChromium, playWithDashjs } from './dashjsPlayer.js';
import { countVideoFrames, failedRequests, fixtures, gstLines, mapLimit, readManifest, requireTools, run, servedBitrates, type RunResult } from './helpers.js';

const DIR = join(fixtures, 'othertools');

interface Decoded {
  result: RunResult;
  /** Video frames (SHA-1 lines of checksumsink): PTS text and hash. */
  video: { pts: string; hash: string }[];
  /** Audio buffers (MD5 lines). */
  audio: string[];
  eos: boolean;
}

/** Decodes `uri` as fast as it can (sinks not synchronised to the clock), a checksum per buffer. */
async function decode(playbin: 'playbin' | 'playbin3', uri: string, extra: string[] = []): Promise<Decoded> {
  const result = await run('gst-launch-1.0', [playbin, `uri=${uri}`, 'video-sink=checksumsink sync=false', 'audio-sink=checksumsink hash=md5 sync=false', ...extra], 90);
  const lines = gstLines(result.stdout);
  const video = lines.flatMap((l) => {
    const m = /^(\d+:\d\d:\d\d\.\d+) ([0-9a-f]{40})$/.exec(l);
    return m?.[1] === undefined || m[2] === undefined ? [] : [{ pts: m[1], hash: m[2] }];
  });
  const audio = lines.flatMap((l) => /^\d+:\d\d:\d\d\.\d+ ([0-9a-f]{32})$/.exec(l)?.[1] ?? []);
  return { result, video, audio, eos: /Got EOS from element/.test(result.stdout) };
}

function assertPlayed(d: Decoded, what: string): void {
  const tail = `\n--- stderr ---\n${d.result.stderr.slice(-1500)}\n--- stdout (tail) ---\n${d.result.stdout.slice(-800)}`;
  assert.equal(d.result.code, 0, `${what}: gst-launch exit code (124 = timed out)${tail}`);
  assert.ok(d.eos, `${what}: reached EOS${tail}`);
}

/** Packages `inputs` into a fresh folder and serves it; cleaned up after the test. */
async function packageAndServe(t: TestContext, inputs: string[]): Promise<{ server: StaticServer; manifestUrl: string; dir: string }> {
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-e2e-othertools-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const dir = join(tmp, 'video.ism');
  await packagePresentation({ inputs, outDir: dir });
  const server = await startStaticServer({ root: dir, host: '127.0.0.1', port: 0 });
  t.after(() => server.close());
  return { server, manifestUrl: `${server.url}video.ism/Manifest`, dir };
}

/** GStreamer's avc3.mp4 put right by the command its refusal names (AVCC_FIX), run as written. */
async function fixedAvc3(t: TestContext): Promise<string> {
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-e2e-avc3-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const out = join(tmp, 'avc3-fixed.mp4');
  const [cmd, ...args] = AVCC_FIX.split(' ').map((a) => (a === 'IN' ? join(DIR, 'avc3.mp4') : a === 'OUT.mp4' ? out : a));
  const r = await run(cmd!, ['-v', 'error', '-y', ...args], 60);
  assert.equal(r.code, 0, `${AVCC_FIX}: ${r.stderr}`);
  return out;
}

const singleLevel = ['qtmux.mov', 'mp4mux.mp4', 'ffmpeg.mov', 'ffmpeg-96k.mov', 'avc3-avcc.mp4', 'avc3.mp4 (fixed as its refusal says)'];

async function sourceOf(t: TestContext, name: string): Promise<string> {
  return name.startsWith('avc3.mp4') ? fixedAvc3(t) : join(DIR, name);
}

test('GStreamer plays each single-level file from other tools: the source\'s frames and sound', { timeout: 240_000, concurrency: 2 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'ffmpeg', 'ffprobe', 'timeout')) return;
  await Promise.all(
    singleLevel.map((name) =>
      t.test(name, { concurrency: 1 }, async (st) => {
        const file = await sourceOf(st, name);
        const { server, manifestUrl } = await packageAndServe(st, [file]);
        const frames = await countVideoFrames(file, 0);
        for (const playbin of ['playbin', 'playbin3'] as const) {
          const [smooth, direct] = await mapLimit([manifestUrl, `file://${file}`], 2, (uri) => decode(playbin, uri));
          assertPlayed(smooth!, `${playbin} Smooth`);
          assertPlayed(direct!, `${playbin} source`);
          assert.equal(direct!.video.length, frames, `${playbin}: GStreamer decodes the source's ${frames} frames (ffprobe)`);
          assert.deepEqual(smooth!.video.map((f) => f.hash), direct!.video.map((f) => f.hash), `${playbin}: the source's frames, in its order`);
          // Smooth has no edit lists: AAC priming before the source's start and padding after its
          // end are decoded too, and the source's first and last buffers may be clipped by its
          // edit list. Everything between is the source's sound, buffer for buffer.
          const core = direct!.audio.slice(1, -1);
          const at = smooth!.audio.indexOf(core[0]!);
          assert.ok(core.length > 50 && at >= 0 && at <= 2, `${playbin}: the source's sound starts within two buffers of the start (at ${at})`);
          assert.deepEqual(smooth!.audio.slice(at, at + core.length), core, `${playbin}: the source's sound`);
          assert.ok(smooth!.audio.length - (at + core.length) <= 2, `${playbin}: at most two buffers after the source's sound`);
        }
        assert.deepEqual(failedRequests(server.requests), [], 'every request answered 200/206');
      }),
    ),
  );
});

/** An HTTP relay to `target` that holds the response to `slowPath` for `delayMs`. */
async function startSlowRelay(target: string, slowPath: string, delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const forward = (): void => {
      const up = httpRequest(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    // The delay is the fault under test (a slow fragment makes the player switch), not a wait.
    if (decodeURIComponent(req.url ?? '').endsWith(slowPath)) setTimeout(() => forward(), delayMs);
    else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

test('GStreamer switches levels of GStreamer ismlmux output cleanly: every frame is one level\'s own', { timeout: 180_000, concurrency: 2 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'ffprobe', 'timeout')) return;
  const file = join(DIR, 'ismlmux.ismv');
  const { server, manifestUrl, dir } = await packageAndServe(t, [file]);
  const manifest = await readManifest(dir);
  const video = manifest.streams.find((s) => s.type === 'video')!;
  assert.equal(video.chunks, 4, 'one fragment a keyframe: the 1-frame fragments joined to the ones before');
  const [low, high] = video.bitrates;
  assert.ok(low !== undefined && high !== undefined);
  const frames = await countVideoFrames(file, 0);
  const slow = `QualityLevels(${high})/Fragments(video=0)`;
  const relay = await startSlowRelay(server.url, slow, 3000);
  t.after(() => relay.close());

  await Promise.all(
    (['playbin', 'playbin3'] as const).map((playbin) =>
      t.test(playbin, async () => {
        // Each level alone (connection-speed pins it), then with the forced switch.
        const lowOnly = await decode(playbin, manifestUrl, [`connection-speed=${Math.floor((low + high) / 2 / 1000)}`]);
        const highOnly = await decode(playbin, manifestUrl, ['connection-speed=100000']);
        const before = server.requests.length;
        const switched = await decode(playbin, `${relay.url}video.ism/Manifest`);
        for (const [d, what] of [[lowOnly, 'low level'], [highOnly, 'high level'], [switched, 'switching']] as const) {
          assertPlayed(d, `${playbin} ${what}`);
          assert.equal(d.video.length, frames, `${playbin} ${what}: every frame`);
          assert.ok(d.audio.length > 0, `${playbin} ${what}: sound`);
        }
        const served = servedBitrates(server.requests.slice(before)).get('video');
        assert.deepEqual([...(served ?? [])].sort(), [low, high].sort(), `${playbin}: fragments of both levels fetched (a switch happened)`);
        const lowAt = new Map(lowOnly.video.map((f) => [f.pts, f.hash]));
        const highAt = new Map(highOnly.video.map((f) => [f.pts, f.hash]));
        const from = switched.video.map((f) => (f.hash === highAt.get(f.pts) ? 'high' : f.hash === lowAt.get(f.pts) ? 'low' : `neither (${f.pts})`));
        const foreign = from.filter((w) => w.startsWith('neither'));
        assert.deepEqual(foreign, [], `${playbin}: frames that are no level's own: a switch into a fragment that does not start at a keyframe`);
        assert.ok(from.includes('low') && from.includes('high'), `${playbin}: frames of both levels shown`);
      }),
    ),
  );
});

test('dash.js plays the single-level files from other tools to the end with audio (ismlmux, switching levels: dashjs.test.ts)', { timeout: 240_000 }, async (t) => {
  if (!requireTools(t, 'chromium', 'ffmpeg')) return;
  const browser: Browser = await launchChromium();
  t.after(() => browser.close());
  for (const name of singleLevel) {
    await t.test(name, async (st) => {
      const { server, manifestUrl, dir } = await packageAndServe(st, [await sourceOf(st, name)]);
      const manifest = await readManifest(dir);
      const durationSeconds = manifest.duration / manifest.timeScale;
      const { end, finished, consoleErrors } = await playWithDashjs(browser, { pageUrl: server.url, manifestUrl, durationSeconds });
      assert.deepEqual(end.errors, [], `no player errors (console: ${consoleErrors.join(' | ')})`);
      assert.ok(finished, `played to the end (${end.currentTime} of ${durationSeconds} s)`);
      assert.ok((end.videoDecodedBytes ?? 0) > 0, 'video decoded');
      assert.ok((end.audioDecodedBytes ?? 0) > 0, 'audio decoded (dash.js drops a bad audio codec silently)');
      assert.deepEqual(failedRequests(server.requests), [], 'every request answered 200/206');
    });
  }
});
