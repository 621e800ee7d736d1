// Plain MP4 input, judged by real clients: GStreamer decodes the packaged Smooth
// presentation to exactly the frames and sound (checksums) it decodes from the source MP4
// itself, with playbin (mssdemux) and playbin3 (mssdemux2), all at the source's running
// times plus the AAC priming that Smooth cannot skip (1024 samples, within one frame); a
// variable-frame-rate source keeps its frames and duration; dash.js plays the ladder to
// the end with audio. Fragmented input on other clocks (CMAF at 12288 and 48000 Hz), its
// moofs rebuilt at 10 MHz, decodes to the source's frames and sound at its times too.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { startStaticServer } from '../../src/play/staticServer.js';
import { launchChromium, playWithDashjs } from './dashjsPlayer.js';
import { failedRequests, fixtures, gstLines, mapLimit, readManifest, requireTools, run, type RunResult } from './helpers.js';

const ONE_FRAME = 1001 / 30000; // seconds, at 29.97 fps
const ms = (s: number): string => `${(s * 1000).toFixed(1)} ms`;
const ladder = ['v300', 'v200', 'v100'].map((n) => join(fixtures, 'progressive', `${n}.mp4`));

/** One decoded buffer as printed by checksumsink (`H:MM:SS.nnnnnnnnn <hex>`), with its running time. */
interface Printed {
  pts: number;
  hash: string;
  /** pts − segment start + segment base, seconds. */
  running: number;
}

/** What one gst-launch run decoded: video (sha1 checksumsink) and audio (md5) buffers, and where each sink's first segment starts. */
interface Decoded {
  result: RunResult;
  video: Printed[];
  audio: Printed[];
  /** First running time of each sink: pts of its first buffer − segment start + segment base. */
  firstVideo: number;
  firstAudio: number;
}

function seconds(clock: string): number {
  const [h, m, s] = clock.split(':');
  return Number(h) * 3600 + Number(m) * 60 + Number(s);
}

function buffers(stdout: string, hexLength: number, segment: { start: number; base: number } | undefined): Printed[] {
  const re = new RegExp(`^(\\d+:\\d\\d:\\d\\d\\.\\d+) ([0-9a-f]{${hexLength}})$`);
  return gstLines(stdout).flatMap((line) => {
    const m = re.exec(line);
    if (m?.[1] === undefined || m[2] === undefined) return [];
    const pts = seconds(m[1]);
    return [{ pts, hash: m[2], running: segment === undefined ? Number.NaN : pts - segment.start + segment.base }];
  });
}

/** A frame as compared between two runs: its running time (to the µs) and checksum. */
const shown = (b: Printed): string => `${b.running.toFixed(6)} ${b.hash}`;

/** The same buffers (checksums), in the same order, each `later` seconds (±1 µs) after the source's: A/V sync is the source's. */
function assertSameLater(smooth: Printed[], source: Printed[], later: number, what: string): void {
  assert.deepEqual(smooth.map((b) => b.hash), source.map((b) => b.hash), `${what}: the source's, in its order`);
  const offsets = smooth.map((b, i) => b.running - source[i]!.running);
  const [min, max] = [Math.min(...offsets), Math.max(...offsets)];
  assert.ok(Math.abs(min - later) < 1e-6 && Math.abs(max - later) < 1e-6, `${what}: ${ms(min)} to ${ms(max)} after the source's, expected ${ms(later)}`);
}

/** basesink's "configured segment" debug line for a sink (GST_DEBUG=basesink:5): the segment its first buffer is timed against. */
function firstSegment(stderr: string, sink: string): { start: number; base: number } | undefined {
  const re = new RegExp(`<${sink}> configured segment time segment start=([\\d:.]+),.* base=([\\d:.]+)`);
  const m = re.exec(stderr);
  return m?.[1] === undefined || m[2] === undefined ? undefined : { start: seconds(m[1]), base: seconds(m[2]) };
}

/**
 * Decodes `uri` with a checksumsink per stream: SHA-1 lines are video frames, MD5 lines audio
 * buffers (the hash length tells them apart on one stdout). Printed PTS alone would mislead:
 * qtdemux playing an MP4 with edit lists keeps media times in PTS and moves the segment
 * start instead, so timing is compared as running time.
 */
async function decode(playbin: 'playbin' | 'playbin3', uri: string, extra: string[] = []): Promise<Decoded> {
  const args = [playbin, `uri=${uri}`, 'video-sink=checksumsink name=vsink', 'audio-sink=checksumsink hash=md5 name=asink', ...extra];
  // env(1) sets the debug variables for this run only (basesink logs each sink's segment).
  const result = await run('env', ['GST_DEBUG=basesink:5', 'GST_DEBUG_NO_COLOR=1', 'gst-launch-1.0', ...args], 90);
  const video = buffers(result.stdout, 40, firstSegment(result.stderr, 'vsink'));
  const audio = buffers(result.stdout, 32, firstSegment(result.stderr, 'asink'));
  const earliest = (bs: Printed[]): number => Math.min(...bs.map((b) => b.running));
  return { result, video, audio, firstVideo: earliest(video), firstAudio: earliest(audio) };
}

/** First decoded video and audio timestamps of a file, by ffprobe (edit lists applied). */
async function probeFirstTimes(file: string): Promise<{ video: number; audio: number }> {
  const first = async (stream: string): Promise<number> => {
    const r = await run('ffprobe', ['-v', 'error', '-select_streams', stream, '-read_intervals', '%+#5', '-show_entries', 'frame=best_effort_timestamp_time', '-of', 'csv=p=0', file], 30);
    const times = r.stdout.split('\n').map((l) => Number.parseFloat(l)).filter((v) => Number.isFinite(v)); // lines may carry side data after a comma
    assert.ok(r.code === 0 && times.length > 0, `ffprobe ${stream} of ${file}: ${r.stderr}`);
    return Math.min(...times);
  };
  return { video: await first('v:0'), audio: await first('a:0') };
}

/** The same buffers (checksums), in the same order, each at the source's media time (±1 µs). */
function assertSamePts(smooth: Printed[], source: Printed[], what: string): void {
  assert.deepEqual(smooth.map((b) => b.hash), source.map((b) => b.hash), `${what}: the source's, in its order`);
  const worst = Math.max(...smooth.map((b, i) => Math.abs(b.pts - source[i]!.pts)));
  assert.ok(worst < 1e-6, `${what}: up to ${(worst * 1e9).toFixed(0)} ns from the source's times`);
}

function assertPlayed(d: Decoded, what: string): void {
  const tail = `\n--- stderr (tail) ---\n${d.result.stderr.split('\n').filter((l) => !l.includes('basesink')).join('\n').slice(-1500)}`;
  assert.equal(d.result.code, 0, `${what}: gst-launch exit code (124 = timed out)${tail}`);
}


test('GStreamer: the packaged plain MP4 ladder decodes to the source\'s frames, A/V timed as the source', { timeout: 180_000, concurrency: 2 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'ffprobe', 'timeout')) return;
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-e2e-prog-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const packaged = await packagePresentation({ inputs: ladder, outDir: join(tmp, 'video.ism') });
  const video = packaged.presentation.streams.find((s) => s.type === 'video')!;
  const [low, next] = video.qualityLevels.map((q) => q.bitrate).sort((a, b) => a - b);
  const lowest = ladder[2]!;
  const server = await startStaticServer({ root: join(tmp, 'video.ism'), host: '127.0.0.1', port: 0 });
  t.after(() => server.close());
  const source = await probeFirstTimes(lowest);
  t.diagnostic(`source (ffprobe): first video ${ms(source.video)}, first audio ${ms(source.audio)}`);

  await Promise.all(
    (['playbin', 'playbin3'] as const).map((playbin) =>
      t.test(playbin, async (st: TestContext) => {
        const [smooth, direct] = await mapLimit(['smooth', 'direct'] as const, 2, (which) =>
          which === 'smooth'
            ? decode(playbin, `${server.url}video.ism/Manifest`, [`connection-speed=${Math.floor((low! + next!) / 2 / 1000)}`])
            : decode(playbin, `file://${lowest}`),
        );
        assertPlayed(smooth!, 'Smooth');
        assertPlayed(direct!, 'source MP4');
        const s = smooth!;
        const d = direct!;
        assert.equal(d.video.length, 240, 'the source decodes to 240 frames');
        assert.ok(d.audio.length > 300, `the source decodes audio (${d.audio.length} buffers)`);
        st.diagnostic(`${playbin} source MP4: first video ${ms(d.firstVideo)}, first audio ${ms(d.firstAudio)} (running time)`);
        st.diagnostic(`${playbin} Smooth: first video ${ms(s.firstVideo)}, first audio ${ms(s.firstAudio)} (running time)`);
        // The method is sound: GStreamer times the source as ffprobe does (edit lists honoured).
        assert.ok(Math.abs(d.firstVideo - source.video) < 0.001, `source video starts at ${ms(d.firstVideo)} in GStreamer, ${ms(source.video)} in ffprobe`);
        assert.ok(Math.abs(d.firstAudio - source.audio) < 0.001, `source audio starts at ${ms(d.firstAudio)} in GStreamer, ${ms(source.audio)} in ffprobe`);
        // Smooth cannot skip the AAC priming the source's edit list hides, nor start a
        // fragment before 0: the priming is decoded at 0 and everything else is presented as
        // in the source, 1024 samples (21.3 ms) later. B-frame video included: its first
        // samples decode between its first frame's time and the next (unsigned offsets).
        const delay = 1024 / 48000;
        const firstSound = s.audio.find((b) => b.hash === d.audio[0]!.hash);
        assert.ok(firstSound, 'the source\'s first audio buffer is decoded from the Smooth presentation');
        const sound = s.audio.slice(s.audio.indexOf(firstSound));
        st.diagnostic(`${playbin} Smooth: the source's first audio buffer at ${ms(firstSound.running)} (running time)`);
        assert.equal(s.audio.indexOf(firstSound), 1, 'one buffer of priming before it');
        assert.ok(Math.abs(s.firstAudio - source.audio) < 0.001, `the priming decoded where the source's sound starts: ${ms(s.firstAudio)}`);
        assertSameLater(s.video, d.video, delay, 'video frames');
        assertSameLater(sound, d.audio, delay, 'audio buffers after the priming');
        await st.test('first video and audio within one frame of the source (absolute)', () => {
          assert.ok(Math.abs(s.firstVideo - source.video) <= ONE_FRAME, `Smooth video starts at ${ms(s.firstVideo)}, source at ${ms(source.video)}`);
          assert.ok(Math.abs(s.firstAudio - source.audio) <= ONE_FRAME, `Smooth audio starts at ${ms(s.firstAudio)}, source at ${ms(source.audio)}`);
          assert.ok(Math.abs(firstSound.running - source.audio) <= ONE_FRAME, `the first sound plays at ${ms(firstSound.running)}, source at ${ms(source.audio)}`);
        });
      }),
    ),
  );
});

test('GStreamer: a variable-frame-rate plain MP4 keeps its frames and its duration', { timeout: 120_000, concurrency: 2 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'ffprobe', 'timeout')) return;
  const vfr = join(fixtures, 'progressive', 'vfr.mp4');
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-e2e-vfr-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  await packagePresentation({ inputs: [vfr], outDir: join(tmp, 'video.ism') });
  const manifest = await readManifest(join(tmp, 'video.ism'));
  const video = manifest.streams.find((s) => s.type === 'video');
  assert.ok(video && video.chunks === 2, 'two 2 s fragments');

  // The source really is variable: decode-time steps of one and two frames.
  const packets = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=dts', '-of', 'csv=p=0', vfr], 30);
  const dts = packets.stdout.split('\n').filter((l) => l !== '').map(Number);
  const steps = new Set(dts.slice(1).map((v, i) => v - dts[i]!));
  assert.deepEqual([...steps].sort((a, b) => a - b), [1001, 2002], 'the fixture has two frame durations');
  const duration = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=duration', '-of', 'csv=p=0', vfr], 30);
  const sourceSeconds = Number(duration.stdout.trim());
  const xml = await readFile(join(tmp, 'video.ism', 'Manifest'), 'utf8');
  const videoIndex = /<StreamIndex Type="video"[^>]*>([\s\S]*?)<\/StreamIndex>/.exec(xml);
  assert.ok(videoIndex?.[1], 'video StreamIndex');
  assert.equal(manifest.timeScale, 10_000_000, 'one TimeScale, at the root');
  const scale = manifest.timeScale;
  const sum = [...videoIndex[1].matchAll(/<c [^>]*d="(\d+)"(?: r="(\d+)")?/g)].reduce((a, m) => a + Number(m[1]) * Number(m[2] ?? 1), 0);
  t.diagnostic(`vfr: fragment durations sum to ${sum}/${scale} s, source video duration ${sourceSeconds} s`);
  assert.equal(sum / scale, sourceSeconds, 'fragment durations sum to the source duration');

  const server = await startStaticServer({ root: join(tmp, 'video.ism'), host: '127.0.0.1', port: 0 });
  t.after(() => server.close());
  await Promise.all(
    (['playbin', 'playbin3'] as const).map((playbin) =>
      t.test(playbin, async () => {
        const [smooth, direct] = await Promise.all([decode(playbin, `${server.url}video.ism/Manifest`), decode(playbin, `file://${vfr}`)]);
        assertPlayed(smooth, 'Smooth');
        assertPlayed(direct, 'source MP4');
        assert.equal(direct.video.length, 96, 'the source decodes to 96 frames (120 with every 5th dropped)');
        assert.deepEqual(smooth.video.map(shown), direct.video.map(shown), 'same frames at the same running times');
      }),
    ),
  );
});

test('GStreamer: CMAF at 12288 and 48000 Hz, retimed to 10 MHz, decodes to the source\'s frames and sound at the source\'s times', { timeout: 120_000, concurrency: 2 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'timeout')) return;
  const video = join(fixtures, 'cmaf', 'video.mp4');
  const audio = join(fixtures, 'cmaf', 'audio.mp4');
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-e2e-cmaf-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  await packagePresentation({ inputs: [video, audio], outDir: join(tmp, 'video.ism') });
  const xml = await readFile(join(tmp, 'video.ism', 'Manifest'), 'utf8');
  assert.doesNotMatch(xml, /<StreamIndex [^>]*TimeScale=/, 'one TimeScale, at the root');
  const server = await startStaticServer({ root: join(tmp, 'video.ism'), host: '127.0.0.1', port: 0 });
  t.after(() => server.close());
  await Promise.all(
    (['playbin', 'playbin3'] as const).map((playbin) =>
      t.test(playbin, async () => {
        const [smooth, directVideo, directAudio] = await mapLimit([`${server.url}video.ism/Manifest`, `file://${video}`, `file://${audio}`], 3, (uri) => decode(playbin, uri));
        assertPlayed(smooth!, 'Smooth');
        assertPlayed(directVideo!, 'source video');
        assertPlayed(directAudio!, 'source audio');
        assert.equal(directVideo!.video.length, 192, 'the source decodes to 192 frames');
        // Every buffer's time within 1 µs of the source's media time: 100 ns units, each time
        // rounded on its own. (Media times, not running times: the source's edit list hides
        // the video's 2-frame B-frame delay, which fragmented input keeps in Smooth.)
        assertSamePts(smooth!.video, directVideo!.video, 'video frames');
        assertSamePts(smooth!.audio, directAudio!.audio, 'audio buffers');
      }),
    ),
  );
});

test('dash.js plays the packaged plain MP4 ladder to the end with audio', { timeout: 120_000 }, async (t) => {
  if (!requireTools(t, 'chromium')) return;
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-e2e-prog-dashjs-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  await packagePresentation({ inputs: ladder, outDir: join(tmp, 'video.ism') });
  const manifest = await readManifest(join(tmp, 'video.ism'));
  const server = await startStaticServer({ root: join(tmp, 'video.ism'), host: '127.0.0.1', port: 0 });
  t.after(() => server.close());
  const browser = await launchChromium();
  t.after(() => browser.close());
  const durationSeconds = manifest.duration / manifest.timeScale;
  const { end, finished, consoleErrors } = await playWithDashjs(browser, { pageUrl: server.url, manifestUrl: `${server.url}video.ism/Manifest`, durationSeconds });
  assert.deepEqual(end.errors, [], `no player errors (console: ${consoleErrors.join(' | ')})`);
  assert.ok(finished, `played to the end (${end.currentTime} of ${durationSeconds} s)`);
  assert.ok((end.videoDecodedBytes ?? 0) > 0, 'video decoded');
  assert.ok((end.audioDecodedBytes ?? 0) > 0, 'audio decoded (dash.js drops a bad audio codec silently)');
  assert.deepEqual(failedRequests(server.requests), [], 'every request answered 200/206');
  assert.ok(server.requests.some((r) => /Fragments\(audio=/.test(r.path)), 'audio fragments fetched');
});
