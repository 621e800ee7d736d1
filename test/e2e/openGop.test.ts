// Open GOP (x264 open-gop=1) as ffmpeg users make it, packaged and played by the real
// clients: the -f ismv ladder (whose tfxd disagree with the samples) and plain MP4
// renditions with 3, 2 and 1 B-frames (cut where their keyframes are presented together).
// Played from the start on one level, GStreamer decodes the source's frames at the
// source's times and dash.js plays to the end. A level switch is where open GOP shows: the
// frames after a keyframe may refer to frames before it, which came from another level,
// and renditions with different B-frame delays hold different frames ahead of each
// keyframe. The switch tests record what each client then does (README "Open GOP").
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findChild, readBoxHeader, requireChild } from '../../src/bmff/box.js';
import { Cursor } from '../../src/bmff/cursor.js';
import { readTfdt } from '../../src/bmff/tfdt.js';
import { readTrun } from '../../src/bmff/trun.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { startStaticServer, type StaticServer } from '../../src/play/staticServer.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import type { Presentation } from '../../src/smooth/model.js';
import { launchChromium, stats, waitFor, type PlayerWindow } from './dashjsPlayer.js';
import { failedRequests, fixtures, frameLines, playWithGstreamer, requireTools } from './helpers.js';
import { waitUntil } from '../harness/waitUntil.js';

const G = join(fixtures, 'opengop');
const ladders = {
  ismv: { name: 'open GOP -f ismv ladder', inputs: ['v300', 'v200', 'v100'].map((n) => join(G, `${n}.ismv`)) },
  mp4: { name: 'open GOP plain MP4 renditions (3, 2, 1 B-frames)', inputs: ['v300', 'v200', 'v100'].map((n) => join(G, 'mp4', `${n}.mp4`)) },
};
type Ladder = (typeof ladders)[keyof typeof ladders];

interface Packaged {
  dir: string;
  presentation: Presentation;
  server: StaticServer;
}

async function packageLadder(t: TestContext, ladder: Ladder): Promise<Packaged> {
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-e2e-opengop-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const dir = join(tmp, 'video.ism');
  await packagePresentation({ inputs: ladder.inputs, outDir: dir });
  const server = await startStaticServer({ root: dir, host: '127.0.0.1', port: 0 });
  t.after(() => server.close());
  return { dir, presentation: readManifest(await readFile(join(dir, 'Manifest'), 'utf8')), server };
}

function nanoseconds(line: string): number {
  const [h, m, s] = line.split(' ')[0]!.split(':');
  return Math.round((Number(h) * 3600 + Number(m) * 60 + Number(s)) * 1e9);
}

/** Presentation times (stream timescale) of the samples a fragment holds; `t` is its decode time when it has no tfdt. */
function heldTimes(body: Uint8Array, t: bigint): number[] {
  const c = new Cursor(body);
  const moofH = readBoxHeader(c, body.length);
  const traf = requireChild(c.sub(moofH.size - moofH.headerSize, 'moof'), 'moof', 'traf').payload;
  const tfdt = findChild(traf, 'traf', 'tfdt');
  let dts = Number(tfdt ? readTfdt(tfdt.payload).baseMediaDecodeTime : t);
  return readTrun(requireChild(traf, 'traf', 'trun').payload).samples.map((s) => {
    const pts = dts + (s.compositionTimeOffset ?? 0);
    dts += s.duration!;
    return pts;
  });
}

/**
 * A proxy in front of `target` that sends the body of the first video fragment slowly
 * (`kbps`): the client measures a slow link and switches down, then, the rest coming at
 * full speed, back up. It records the video fragments it answered.
 */
async function startSlowStartProxy(target: StaticServer, kbps: number): Promise<{ url: string; served: string[]; reset(): void; close(): Promise<void> }> {
  const served: string[] = [];
  let videoSeen = 0;
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    const video = /\/Fragments\(video=/.test(path);
    const slow = video && videoSeen++ === 0;
    const upstream = request({ host: '127.0.0.1', port: target.port, path, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      res.on('finish', () => {
        if (video && r.statusCode === 200) served.push(decodeURIComponent(path));
      });
      if (!slow) return void r.pipe(res);
      const chunks: Buffer[] = [];
      r.on('data', (d: Buffer) => chunks.push(d));
      r.on('end', () => {
        // Paced at `kbps`: the slowness is what makes the player switch, not a wait.
        const body = Buffer.concat(chunks);
        const piece = 1024;
        const send = (at: number): void => {
          if (res.destroyed) return;
          if (at >= body.length) return void res.end();
          res.write(body.subarray(at, at + piece));
          setTimeout(() => send(at + piece), (piece * 8) / kbps);
        };
        send(0);
      });
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    served,
    reset: () => {
      served.length = 0;
      videoSeen = 0;
    },
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

for (const ladder of Object.values(ladders)) {
  test(`GStreamer: ${ladder.name} decodes to the source's frames at the source's times, and through a level switch`, { timeout: 240_000, concurrency: 2 }, async (t) => {
    if (!requireTools(t, 'gst-launch-1.0', 'timeout')) return;
    const p = await packageLadder(t, ladder);
    const video = p.presentation.streams.find((s) => s.type === 'video')!;
    const top = Math.max(...video.qualityLevels.map((q) => q.bitrate));
    const sourceFrames = 240;

    await Promise.all(
      (['playbin', 'playbin3'] as const).map((playbin) =>
        t.test(playbin, async (st) => {
          // The top level alone, against the source file decoded by the same pipeline.
          const [smooth, direct] = await Promise.all([
            playWithGstreamer({ playbin, uri: `${p.server.url}video.ism/Manifest`, connectionSpeedKbps: 100_000 }),
            playWithGstreamer({ playbin, uri: `file://${ladder.inputs[0]}` }),
          ]);
          assert.equal(smooth.code, 0, `Smooth: exit code${smooth.stderr.slice(-1500)}`);
          assert.equal(direct.code, 0, `source: exit code${direct.stderr.slice(-1500)}`);
          const s = frameLines(smooth.stdout);
          const d = frameLines(direct.stdout);
          assert.equal(d.length, sourceFrames);
          assert.deepEqual(s.map((l) => l.split(' ')[1]), d.map((l) => l.split(' ')[1]), 'the source\'s frames, in its order');
          // Both run on the source's clock, give or take a constant (plain MP4: the AAC priming).
          const offsets = new Set(s.map((l, i) => Math.round((nanoseconds(l) - nanoseconds(d[i]!)) / 1000)));
          assert.equal(offsets.size, 1, `every frame at the source's time plus one constant, found offsets (µs) ${[...offsets].join(', ')}`);
          st.diagnostic(`${playbin}: ${s.length} frames, ${[...offsets][0]} µs after the source's`);

          // A switch: a slow first fragment, then full speed.
          const proxy = await startSlowStartProxy(p.server, 100);
          try {
            const r = await playWithGstreamer({ playbin, uri: `${proxy.url}video.ism/Manifest` });
            assert.equal(r.code, 0, `switching: exit code${r.stderr.slice(-1500)}`);
            assert.ok(r.eos, 'switching: reached EOS');
            const fetched = proxy.served.map((path) => /QualityLevels\((\d+)\)\/Fragments\(video=(\d+)\)/.exec(path)!);
            const levels = fetched.map((m) => Number(m[1]));
            assert.ok(new Set(levels).size >= 2, `switched levels: ${levels.join(' -> ')}`);
            assert.ok(levels.includes(top), 'back on the top level');
            // What the fragments fetched hold: renditions with different B-frame delays hold
            // different frames ahead of each keyframe, so across a switch some presentation
            // times are held by no fragment and some by two.
            const held = new Map<number, number>();
            for (const m of fetched) {
              const body = await readFile(join(p.dir, `QualityLevels(${m[1]})`, `Fragments(video=${m[2]})`));
              for (const pts of heldTimes(body, BigInt(m[2]!))) held.set(pts, (held.get(pts) ?? 0) + 1);
            }
            const twice = [...held.values()].filter((n) => n > 1).length;
            const missing = sourceFrames - held.size;
            const frames = frameLines(r.stdout).length;
            st.diagnostic(`${playbin} switching ${levels.join(' -> ')}: ${frames} frames decoded; ${missing} of the source's ${sourceFrames} held by no fragment fetched, ${twice} by two`);
            assert.ok(Math.abs(frames - held.size) <= twice, `${frames} frames decoded: the ${held.size} distinct times held, within the ${twice} held twice`);
            if (ladder === ladders.ismv) assert.equal(frames, sourceFrames, 'the ladder\'s levels hold the same frames ahead of every keyframe: every frame decoded');
          } finally {
            await proxy.close();
          }
        }),
      ),
    );
  });

  test(`dash.js: ${ladder.name} plays to the end on one level; a forced switch shows what open GOP does`, { timeout: 180_000 }, async (t) => {
    if (!requireTools(t, 'chromium')) return;
    const p = await packageLadder(t, ladder);
    const video = p.presentation.streams.find((s) => s.type === 'video')!;
    const durationSeconds = Number(p.presentation.duration) / p.presentation.timeScale;
    const browser = await launchChromium();
    t.after(() => browser.close());
    const near = (s: { ended: boolean; currentTime: number }): boolean => s.ended || s.currentTime >= durationSeconds - 0.5;

    // The top level from the start: the Manifest describes its samples, so it plays.
    {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${p.server.url}?rate=2&quality=${video.qualityLevels.length - 1}`);
      const end = await waitFor(page, 'the end', 60_000, near);
      await context.close();
      assert.deepEqual(end.errors, [], 'no player errors');
      assert.ok(near(end), `played to the end (${end.currentTime} of ${durationSeconds} s)`);
      assert.ok((end.videoDecodedBytes ?? 0) > 0 && (end.audioDecodedBytes ?? 0) > 0, 'video and audio decoded');
    }

    // From the lowest level to the highest, mid-play.
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    await page.goto(`${p.server.url}?rate=2&quality=0&buffer=2`);
    const early = await waitFor(page, 'playback to start', 30_000, (s) => s.currentTime > 1);
    assert.deepEqual(early.errors, [], 'no player errors before the switch');
    assert.ok(await page.evaluate(() => (window as unknown as PlayerWindow).smoothpubSetQuality(Number.MAX_SAFE_INTEGER)), 'switch accepted');
    // The end, an error, or a stall: no progress for 10 s (Chromium sometimes neither errs nor plays on).
    let moved = { at: Date.now(), time: -1 };
    const stalled = (s: { currentTime: number }): boolean => {
      if (s.currentTime !== moved.time) moved = { at: Date.now(), time: s.currentTime };
      return Date.now() - moved.at > 10_000;
    };
    let end = await waitFor(page, 'the end, an error or a stall', 60_000, (s) => near(s) || stalled(s));
    const stall = !near(end) && end.errors.length === 0;
    if (end.errors.length > 0) {
      // dash.js resets the MediaSource and retries; give it the time to show whether it recovers
      // (not recovering is a result here, not a failure: the assertions below tell).
      await waitUntil('dash.js to recover and play to the end', async () => near((end = await stats(page))), { timeoutMs: 10_000, intervalMs: 500 }).catch(() => undefined);
    }
    const first = end.errors[0];
    t.diagnostic(`switching ${JSON.stringify(end.qualityChanges)}: ${near(end) ? 'played to the end' : `stopped at ${end.currentTime} s${stall ? ' (stalled)' : ''}`}, ${end.errors.length} errors${first ? `, first: ${first.message}` : ''}`);
    assert.deepEqual(failedRequests(p.server.requests), [], 'every request answered 200/206');
    // Chromium's decoder, reset for the new picture size at the keyframe, is handed frames
    // that refer to the level's previous GOP, which it never decoded: it refuses them (a
    // seek into open GOP video does the same). Not always: once, on a loaded machine, the
    // switch was taken 3 s in and Chromium played on to the end without an error; then it
    // must have played through as the other ladder does.
    if (ladder === ladders.ismv && (first !== undefined || stall)) {
      if (first) assert.match(first.message, /PIPELINE_ERROR_DECODE.*is_key_frame=0/, 'a decode error on a frame that is not a keyframe');
      assert.ok(!near(end), 'and it does not recover');
    } else {
      assert.deepEqual(end.errors, [], 'here the switch (from 1 to 3 B-frames, where frames overlap) plays on');
      assert.ok(near(end), `played to the end (${end.currentTime} of ${durationSeconds} s)`);
      assert.ok(end.qualityChanges.some((q) => q.to === Math.max(...video.qualityLevels.map((x) => x.bitrate))), 'the top level was shown');
    }
  });
}
