// HEVC through DASH and HLS, judged by real clients: GStreamer (playbin: dashdemux/hlsdemux,
// playbin3: dashdemux2/hlsdemux2, avdec_h265) decodes every frame of the packaged ISMV
// (hev1) and plain MP4 (hvc1) ladders to the checksums it decodes from the source files
// themselves, at a forced low level and at the level it picks; ffmpeg reads both formats,
// every frame and the audio. GStreamer 1.22's Smooth demuxers take no HEVC (H264/AVC1/WVC1
// only), so the Smooth Manifest of the same folders is checked structurally
// (test/package/hevc.test.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORMATS } from '../../src/formats/model.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { assertPlayed, documentOf, expectedOf, readWithFfmpeg, type FormatSource, type Playbin, type StreamingFormat, withStaticServer } from './formatClients.js';
import { failedRequests, fixtures, frameLines, gstResult, mapLimit, requireTools, retryTransientFailure, run, servedBitrates, type GstResult } from './helpers.js';

interface HevcSource extends FormatSource {
  /** The video levels' files, highest bitrate first. */
  levels: string[];
}

const ismv = ['v200', 'v100'].map((l) => join(fixtures, 'hevc', `${l}.ismv`));
const mp4 = ['v200', 'v100'].map((l) => join(fixtures, 'hevc', 'mp4', `${l}.mp4`));
const sources: HevcSource[] = [
  { name: 'hevc-ismv', inputs: ismv, levels: ismv, video: [ismv[0]!, 0], audio: [ismv[0]!, 0], shaka: [] },
  { name: 'hevc-mp4', inputs: mp4, levels: mp4, video: [mp4[0]!, 0], audio: [mp4[0]!, 0], shaka: [] },
];
const playbins: Playbin[] = ['playbin', 'playbin3'];
const formats: StreamingFormat[] = ['dash', 'hls'];

let tmp: string;
const packaged = new Map<string, string>();

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'smoothpub-e2e-hevc-'));
  for (const s of sources) {
    const dir = join(tmp, s.name, 'video.ism');
    await packagePresentation({ inputs: s.inputs, outDir: dir, formats: [...FORMATS] });
    packaged.set(s.name, dir);
  }
});

after(() => rm(tmp, { recursive: true, force: true }));

/** The SHA-1 of every decoded video frame, in order (checksumsink: `H:MM:SS.nnnnnnnnn <sha1>` a frame). */
interface Decoded extends GstResult {
  hashes: string[];
}

/** Decodes as fast as it can (sinks not synchronised to the clock), a checksum a video frame. */
async function decode(playbin: Playbin, uri: string, extra: string[] = []): Promise<Decoded> {
  const r = await retryTransientFailure(async () => gstResult(await run('gst-launch-1.0', [playbin, `uri=${uri}`, 'video-sink=checksumsink sync=false', 'audio-sink=fakesink sync=false', ...extra], 90)));
  const hashes = frameLines(r.stdout).map((l) => l.split(' ')[1]!);
  return { ...r, hashes };
}

function assertDecoded(r: Decoded, what: string): void {
  const tail = `${what}\n--- stderr ---\n${r.stderr.slice(-1500)}\n--- stdout (tail) ---\n${r.stdout.slice(-600)}`;
  assert.equal(r.code, 0, `exit code (124 = timed out): ${tail}`);
  assert.ok(r.eos, `reached EOS: ${tail}`);
}

/** Each level's frames as GStreamer decodes the source file itself (once a file). */
const reference = new Map<string, Promise<string[]>>();
function sourceHashes(file: string): Promise<string[]> {
  let p = reference.get(file);
  if (p === undefined) {
    p = decode('playbin', `file://${file}`).then((r) => {
      assertDecoded(r, `the source ${file}`);
      return r.hashes;
    });
    reference.set(file, p);
  }
  return p;
}


test('GStreamer decodes every HEVC frame of DASH and HLS to the source\'s checksums, at a forced low level and at its own choice', { timeout: 400_000, concurrency: 2 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'ffprobe', 'timeout')) return;
  const cases = sources.flatMap((source) => formats.flatMap((format) => playbins.map((playbin) => ({ source, format, playbin }))));
  await mapLimit(cases, 2, (c) =>
    t.test(`${c.source.name}: ${c.format.toUpperCase()} in ${c.playbin}`, async () => {
      const dir = packaged.get(c.source.name);
      assert.ok(dir, `${c.source.name} was packaged`);
      const [high, low] = await Promise.all(c.source.levels.map(sourceHashes));
      assert.ok(high && low && high.length === low.length && low.length > 0, 'both levels decode to the same number of frames');
      assert.equal(low.length, (await expectedOf(c.source)).frames, 'GStreamer decodes as many frames of the source as ffprobe counts');
      const uri = (base: string): string => `${base}${documentOf[c.format]}`;
      const what = `${c.source.name} ${c.format} ${c.playbin}`;

      // Below the higher level's bitrate: only the lowest level is fetched, and every frame is its source's.
      const slow = await withStaticServer(dir, (base) => decode(c.playbin, uri(base), ['connection-speed=150']));
      assertDecoded(slow.result, `${what} at 150 kbit/s`);
      assert.deepEqual(failedRequests(slow.requests), [], 'every request answered 200/206');
      const lowBitrates = [...(servedBitrates(slow.requests).get('video') ?? [])];
      assert.equal(lowBitrates.length, 1, `one video level at 150 kbit/s (${lowBitrates.join(', ')})`);
      assert.deepEqual(slow.result.hashes, low, `${what} at 150 kbit/s: the lower source's frames, in order`);

      // At its own choice: every frame is the same frame of one of the levels (a switch between fragments is fine).
      const own = await withStaticServer(dir, (base) => decode(c.playbin, uri(base)));
      assertDecoded(own.result, what);
      assert.deepEqual(failedRequests(own.requests), [], 'every request answered 200/206');
      assert.equal(own.result.hashes.length, low.length, `${what}: every frame`);
      const strays = own.result.hashes.map((h, i) => (h === high[i] || h === low[i] ? -1 : i)).filter((i) => i >= 0);
      assert.deepEqual(strays, [], `${what}: frames that are the same frame of neither level`);
    }),
  );
});

test('ffmpeg reads the HEVC DASH and HLS output: every frame and the audio', { timeout: 200_000, concurrency: 2 }, async (t) => {
  if (!requireTools(t, 'ffmpeg', 'ffprobe')) return;
  const cases = sources.flatMap((source) => formats.map((format) => ({ source, format })));
  await mapLimit(cases, 2, (c) =>
    t.test(`${c.source.name}: ${c.format.toUpperCase()}`, async () => {
      const dir = packaged.get(c.source.name);
      assert.ok(dir, `${c.source.name} was packaged`);
      const { result, requests } = await withStaticServer(dir, (base) => readWithFfmpeg({ url: `${base}${documentOf[c.format]}`, format: c.format }));
      assertPlayed(result, await expectedOf(c.source), `ffmpeg ${c.source.name} ${c.format}`, 440, requests);
      assert.deepEqual(failedRequests(requests), [], 'every request answered 200/206');
    }),
  );
});
