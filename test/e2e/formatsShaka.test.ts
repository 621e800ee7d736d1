// What Shaka Packager writes from the same sources (DASH and HLS, 2 s segments) plays in the
// same clients and is judged the same way as smoothpub's output (test/e2e/formats.test.ts):
// GStreamer playbin and playbin3, ffmpeg; every frame, all the audio, the second language.
// Where the two differ in a way a client notices, docs/architecture.md says why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORMATS } from '../../src/formats/model.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { requireGstPython, requireShakaPackager, shakaPackagerPath } from '../harness/ci.js';
import { runShakaPackager } from '../harness/shakaPackager.js';
import { assertPlayed, documentOf, expectedOf, formatSources, playFormat, readWithFfmpeg, type Expected, type FormatSource, type Playbin, type StreamingFormat, withStaticServer } from './formatClients.js';
import { failedRequests, frameLines, mapLimit, readManifest, requireTools } from './helpers.js';

const sources = Object.values(formatSources);
const playbins: Playbin[] = ['playbin', 'playbin3'];
const formats: StreamingFormat[] = ['dash', 'hls'];

let tmp: string;
const packaged = new Map<string, string>();

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'smoothpub-e2e-shaka-'));
  // Without the binary each test below skips (or fails, in CI) through requireShakaPackager.
  const binary = shakaPackagerPath();
  if (binary === undefined) return;
  await mapLimit(sources, 2, async (s) => {
    const dir = join(tmp, s.name);
    await runShakaPackager(binary, s.shaka, dir, { segmentDuration: 2, hlsMaster: 'master.m3u8' });
    packaged.set(s.name, dir);
  });
});

after(() => rm(tmp, { recursive: true, force: true }));

/** Shaka Packager's output of a source, and (ffprobe's) what its clients must decode. */
async function outputOf(s: FormatSource): Promise<{ dir: string; expected: Expected }> {
  const dir = packaged.get(s.name);
  assert.ok(dir, `Shaka Packager packaged ${s.name}`);
  return { dir, expected: await expectedOf(s) };
}


test("GStreamer plays Shaka Packager's DASH and HLS of every source to the end, every frame and the audio", { timeout: 300_000, concurrency: 2 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'ffprobe', 'timeout') || requireShakaPackager(t) === undefined) return;
  const cases = sources.flatMap((source) => formats.flatMap((format) => playbins.map((playbin) => ({ source, format, playbin }))));
  await Promise.all(
    cases.map((c) =>
      t.test(`${c.source.name}: ${c.format.toUpperCase()} in ${c.playbin}`, async () => {
        const { dir, expected } = await outputOf(c.source);
        const { result, requests } = await withStaticServer(dir, (base) => playFormat({ playbin: c.playbin, uri: `${base}${documentOf[c.format]}` }));
        assertPlayed(result, expected, `Shaka ${c.source.name} ${c.format} ${c.playbin}`, 440, requests);
        assert.deepEqual(failedRequests(requests), [], 'every request answered 200/206');
      }),
    ),
  );
});

test("GStreamer plays the second audio language of Shaka Packager's DASH and HLS", { timeout: 120_000, concurrency: 2 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'ffprobe', 'timeout') || requireShakaPackager(t) === undefined) return;
  const python = requireGstPython(t);
  if (python === undefined) return;
  const cases = [
    { source: formatSources.multitrack, format: 'dash' as const, playbin: 'playbin3' as const },
    { source: formatSources.languages, format: 'hls' as const, playbin: 'playbin' as const },
  ];
  await Promise.all(
    cases.map((c) =>
      t.test(`${c.source.name}: ${c.format.toUpperCase()} in ${c.playbin}, French`, async () => {
        const language = c.source.second?.language;
        assert.ok(language !== undefined);
        const { dir, expected } = await outputOf(c.source);
        const { result, requests } = await withStaticServer(dir, (base) => playFormat({ playbin: c.playbin, uri: `${base}${documentOf[c.format]}`, language, python }));
        assertPlayed(result, expected, `Shaka ${c.source.name} ${c.format} ${c.playbin} in ${language}`, 660, requests);
      }),
    ),
  );
});

test("ffmpeg reads Shaka Packager's MPD and multivariant playlist over HTTP: every frame of a video level, all the audio", { timeout: 180_000, concurrency: 2 }, async (t) => {
  if (!requireTools(t, 'ffmpeg', 'ffprobe', 'timeout') || requireShakaPackager(t) === undefined) return;
  const cases = sources.flatMap((source) => formats.map((format) => ({ source, format })));
  await Promise.all(
    cases.map((c) =>
      t.test(`${c.source.name}: ${c.format.toUpperCase()}`, async () => {
        const { dir, expected } = await outputOf(c.source);
        const { result, requests } = await withStaticServer(dir, (base) => readWithFfmpeg({ url: `${base}${documentOf[c.format]}`, format: c.format }));
        assertPlayed(result, expected, `ffmpeg Shaka ${c.source.name} ${c.format}`, 440, requests);
        assert.deepEqual(failedRequests(requests), [], 'every request answered 200/206');
      }),
    ),
  );
});

// Counting frames does not see a frame shown at the wrong time. At one level (the lowest,
// forced by a low connection-speed) both packagings must decode to the same pictures at the
// same times, in both players and formats, and as the Smooth Manifest of the same folder.
test("at the lowest level GStreamer decodes smoothpub's DASH, HLS and Smooth and Shaka Packager's DASH and HLS of users.ism to the same frames at the same times", { timeout: 180_000, concurrency: 2 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'ffprobe', 'timeout') || requireShakaPackager(t) === undefined) return;
  const source = formatSources.users;
  const ours = join(tmp, 'users-smoothpub', 'video.ism');
  await packagePresentation({ inputs: source.inputs, outDir: ours, formats: [...FORMATS] });
  const lowest = (await readManifest(ours)).streams.find((s) => s.type === 'video')?.bitrates[0];
  assert.ok(lowest !== undefined);
  // Below every level of either packaging: each player takes its lowest.
  const connectionSpeedKbps = Math.floor(lowest / 2 / 1000);
  const shaka = await outputOf(source);
  const runs = playbins.flatMap((playbin) =>
    [
      { who: 'smoothpub', dir: ours, document: documentOf.dash },
      { who: 'smoothpub', dir: ours, document: documentOf.hls },
      { who: 'smoothpub', dir: ours, document: 'Manifest' },
      { who: 'Shaka Packager', dir: shaka.dir, document: documentOf.dash },
      { who: 'Shaka Packager', dir: shaka.dir, document: documentOf.hls },
    ].map((r) => ({ ...r, playbin })),
  );
  const played = await mapLimit(runs, 2, async (r) => {
    const { result } = await withStaticServer(r.dir, (base) => playFormat({ playbin: r.playbin, uri: `${base}${r.document}`, connectionSpeedKbps }));
    assert.equal(result.code, 0, `${r.who} ${r.document} in ${r.playbin}: ${result.stderr.slice(-1500)}`);
    return frameLines(result.stdout);
  });
  const reference = played[0]!;
  assert.equal(reference.length, shaka.expected.frames, 'every frame');
  for (const [i, r] of runs.entries()) assert.deepEqual(played[i], reference, `${r.who} ${r.document} in ${r.playbin}: the same frames (timestamp and checksum) as smoothpub's DASH in playbin`);
});
