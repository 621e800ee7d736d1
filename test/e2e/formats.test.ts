// DASH and HLS of a packaged folder (`package --formats smooth,dash,hls`, behind the static
// server `play` uses), played to the end by real clients: GStreamer's playbin (dashdemux,
// hlsdemux) and playbin3 (dashdemux2, hlsdemux2), and ffmpeg. Every video frame of the
// source, all of its audio; a forced low level; the second audio language. The Smooth
// Manifest of the same folder, whose fragments now carry a tfdt, still plays in GStreamer;
// `--formats smooth` writes what `package` always wrote.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORMATS } from '../../src/formats/model.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { listFiles } from '../origin/helpers.js';
import { requireGstPython } from '../harness/ci.js';
import { cliEnv, describeRun, runCli } from '../publish/publishHelpers.js';
import { assertPlayed, documentOf, expectedOf, formatSources, fragmentRequests, playFormat, readWithFfmpeg, requestsOf, type Expected, type FormatSource, type Playbin, type StreamingFormat, withStaticServer } from './formatClients.js';
import { failedRequests, mapLimit, readManifest, requireTools, servedBitrates } from './helpers.js';

const sources = Object.values(formatSources);
const playbins: Playbin[] = ['playbin', 'playbin3'];
const formats: StreamingFormat[] = ['dash', 'hls'];

let tmp: string;
const packaged = new Map<string, string>();

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'smoothpub-e2e-formats-'));
  await mapLimit(sources, 2, async (s) => {
    const dir = join(tmp, s.name, 'video.ism');
    await packagePresentation({ inputs: s.inputs, outDir: dir, formats: [...FORMATS] });
    packaged.set(s.name, dir);
  });
});

after(() => rm(tmp, { recursive: true, force: true }));

/** The packaged folder of a source, and (ffprobe's) what its clients must decode. */
async function folderOf(s: FormatSource): Promise<{ dir: string; expected: Expected }> {
  const dir = packaged.get(s.name);
  assert.ok(dir, `${s.name} was packaged`);
  return { dir, expected: await expectedOf(s) };
}


test('GStreamer plays DASH and HLS of every source to the end, every frame and the audio; a low connection-speed plays another level', { timeout: 300_000, concurrency: 2 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'ffprobe', 'timeout')) return;
  const cases = sources.flatMap((source) => formats.flatMap((format) => playbins.map((playbin) => ({ source, format, playbin }))));
  await Promise.all(
    cases.map((c) =>
      t.test(`${c.source.name}: ${c.format.toUpperCase()} in ${c.playbin}`, async () => {
        const { dir, expected } = await folderOf(c.source);
        const { result, requests } = await withStaticServer(dir, (base) => playFormat({ playbin: c.playbin, uri: `${base}${documentOf[c.format]}` }));
        assertPlayed(result, expected, `${c.source.name} ${c.format} ${c.playbin}`, 440, requests);
        assert.deepEqual(failedRequests(requests), [], 'every request answered 200/206');
        if (c.source !== formatSources.users) return;

        // A connection just below the second video level: only the lowest is fetched, and
        // that is not what the same client fetched by default.
        const video = (await readManifest(dir)).streams.find((s) => s.type === 'video');
        const [low, next] = video?.bitrates ?? [];
        assert.ok(video && low !== undefined && next !== undefined, 'two video levels at least');
        const slow = await withStaticServer(dir, (base) => playFormat({ playbin: c.playbin, uri: `${base}${documentOf[c.format]}`, connectionSpeedKbps: Math.floor((low + next) / 2 / 1000) }));
        assertPlayed(slow.result, expected, `${c.source.name} ${c.format} ${c.playbin} at a low connection-speed`, 440, slow.requests);
        const byDefault = [...(servedBitrates(requests).get(video.name) ?? [])];
        const slowly = [...(servedBitrates(slow.requests).get(video.name) ?? [])];
        assert.deepEqual(slowly, [low], `only the lowest video level at a low connection-speed (by default: ${byDefault.join(', ')})`);
        assert.ok(
          byDefault.some((b) => b !== low),
          `by default another level than the lowest is played (${byDefault.join(', ')})`,
        );
      }),
    ),
  );
});

test('GStreamer plays the second audio language of DASH and HLS: playbin current-audio, playbin3 select-streams', { timeout: 120_000, concurrency: 2 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'ffprobe', 'timeout')) return;
  const python = requireGstPython(t);
  if (python === undefined) return;
  // Each two-language set in two of the four (format, player) pairs, together all four.
  const cases = [
    { source: formatSources.languages, format: 'dash' as const, playbin: 'playbin' as const },
    { source: formatSources.languages, format: 'hls' as const, playbin: 'playbin3' as const },
    { source: formatSources.multitrack, format: 'dash' as const, playbin: 'playbin3' as const },
    { source: formatSources.multitrack, format: 'hls' as const, playbin: 'playbin' as const },
  ];
  await Promise.all(
    cases.map((c) =>
      t.test(`${c.source.name}: ${c.format.toUpperCase()} in ${c.playbin}, French`, async () => {
        const second = c.source.second;
        assert.ok(second);
        const { dir, expected } = await folderOf(c.source);
        // A play run again (retryTransientFailure) is judged on its own requests; every
        // request of both attempts must still have been answered.
        let attemptFrom = 0;
        const { result, requests } = await withStaticServer(dir, (base, served) => playFormat({ playbin: c.playbin, uri: `${base}${documentOf[c.format]}`, language: second.language, python, beforeAttempt: () => (attemptFrom = served.length) }));
        assertPlayed(result, expected, `${c.source.name} ${c.format} ${c.playbin} in ${second.language}`, 660, requests);
        assert.deepEqual(failedRequests(requests), [], 'every request answered 200/206');
        const chunks = (await readManifest(dir)).streams.find((s) => s.name === second.streamName)?.chunks;
        assert.ok(chunks !== undefined && chunks > 0);
        const counts = fragmentRequests(requests.slice(attemptFrom));
        // Every fragment of the French track and its init segment.
        assert.equal(requestsOf(counts, second.streamName), chunks + 1, `French fragments requested: ${JSON.stringify([...counts])}`);
        // playbin3's demuxers fetch only what is selected; playbin's fetch every track and decode one.
        if (c.playbin === 'playbin3') assert.equal(requestsOf(counts, 'audio_eng'), 0, `no English fragment requested: ${JSON.stringify([...counts])}`);
      }),
    ),
  );
});

test('GStreamer plays the Smooth Manifest of a --formats smooth,dash,hls folder (fragments with a tfdt) to the end', { timeout: 180_000, concurrency: 2 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'ffprobe', 'timeout')) return;
  const cases = sources.flatMap((source) => playbins.map((playbin) => ({ source, playbin })));
  await Promise.all(
    cases.map((c) =>
      t.test(`${c.source.name}: Smooth in ${c.playbin}`, async () => {
        const { dir, expected } = await folderOf(c.source);
        const { result, requests } = await withStaticServer(dir, (base) => playFormat({ playbin: c.playbin, uri: `${base}Manifest` }));
        assertPlayed(result, expected, `${c.source.name} Smooth ${c.playbin}`, 440, requests);
        assert.deepEqual(failedRequests(requests), [], 'every request answered 200/206');
      }),
    ),
  );
});

test('ffmpeg reads the MPD and the multivariant playlist over HTTP: every frame of a video level, all the audio, the second language by -map', { timeout: 180_000, concurrency: 2 }, async (t) => {
  if (!requireTools(t, 'ffmpeg', 'ffprobe', 'timeout')) return;
  const cases = [
    ...sources.flatMap((source) => formats.map((format) => ({ source, format, language: undefined }))),
    { source: formatSources.languages, format: 'dash' as const, language: 'fr' },
    { source: formatSources.multitrack, format: 'hls' as const, language: 'fr' },
  ];
  await Promise.all(
    cases.map((c) =>
      t.test(`${c.source.name}: ${c.format.toUpperCase()}${c.language === undefined ? '' : `, audio ${c.language}`}`, async () => {
        const { dir, expected } = await folderOf(c.source);
        const { result, requests } = await withStaticServer(dir, (base) => readWithFfmpeg({ url: `${base}${documentOf[c.format]}`, format: c.format, ...(c.language !== undefined && { language: c.language }) }));
        assertPlayed(result, expected, `ffmpeg ${c.source.name} ${c.format}`, c.language === undefined ? 440 : 660, requests);
        assert.deepEqual(failedRequests(requests), [], 'every request answered 200/206');
      }),
    ),
  );
});

test('--formats smooth writes what package writes without --formats: the same files, byte for byte', { timeout: 120_000 }, async () => {
  const digests = async (dir: string): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    for (const f of await listFiles(dir)) out.set(f, createHash('sha256').update(await readFile(join(dir, f))).digest('hex'));
    return out;
  };
  assert.ok(packaged.size === sources.length, 'every source was packaged');
  await mapLimit(sources, 2, async (s) => {
    const plain = join(tmp, s.name, 'plain.ism');
    const smooth = join(tmp, s.name, 'smooth.ism');
    for (const [out, extra] of [
      [plain, []],
      [smooth, ['--formats', 'smooth']],
    ] as const) {
      const r = await runCli(['package', ...s.inputs, '-o', out, ...extra], cliEnv());
      assert.equal(r.code, 0, `smoothpub package ${s.name} ${extra.join(' ')}: ${describeRun(r)}`);
    }
    const [a, b] = await Promise.all([digests(plain), digests(smooth)]);
    assert.ok(a.has('Manifest') && a.size > 4, `${s.name}: a presentation (${[...a.keys()].join(', ')})`);
    assert.deepEqual(b, a, `${s.name}: same files, same bytes`);
    assert.ok(![...a.keys()].some((k) => k.endsWith('.mpd') || k.endsWith('.m3u8') || k.endsWith('=i)')), `${s.name}: no DASH/HLS object`);
    // With DASH and HLS the Smooth objects keep their keys and the Manifest its bytes (fragments gain a tfdt).
    const all = await digests(packaged.get(s.name)!);
    assert.equal(all.get('Manifest'), a.get('Manifest'), `${s.name}: the same Manifest`);
    for (const key of a.keys()) assert.ok(all.has(key), `${s.name}: ${key} is in the --formats smooth,dash,hls folder too`);
  });
});
