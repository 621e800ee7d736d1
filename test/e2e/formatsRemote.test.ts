// DASH and HLS where users put them: published to Azure Blob Storage (Azurite, `publish
// --formats smooth,dash,hls`, read from the anonymous blob URLs), and answered by `serve`
// from the original sources on a local root and on an `az://` root. GStreamer (playbin,
// playbin3) and ffmpeg play each to the end, every frame and the audio, through the
// media-services URL forms as well as manifest.mpd and master.m3u8. One source per place
// and client family (the folder tests, test/e2e/formats.test.ts, cover every source).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { openOriginRoot } from '../../src/origin/openOriginRoot.js';
import { createAzureStore } from '../../src/stores/azureStore.js';
import { startAzurite, type Azurite } from '../harness/azurite.js';
import { listFiles, makeRoot, presentations, startOrigin, type Root, type RunningOrigin } from '../origin/helpers.js';
import { cliEnv, describeRun, runCli } from '../publish/publishHelpers.js';
import { assertPlayed, expectedOf, formatSources, playFormat, readWithFfmpeg, type FormatSource, type Playbin, type StreamingFormat } from './formatClients.js';
import { failedRequests, mapLimit, requireTools } from './helpers.js';

let az: Azurite;
let local: Root;
const origins: { local?: RunningOrigin; azure?: RunningOrigin } = {};

/** A client run: which player or ffmpeg, which document name, which format it is. */
interface Run {
  client: Playbin | 'ffmpeg';
  document: string;
  format: StreamingFormat;
}

/** The four GStreamer pairs, each through another of the names a player may be given. */
const gstRuns: Run[] = [
  { client: 'playbin', format: 'dash', document: 'manifest(format=mpd-time-csf)' },
  { client: 'playbin3', format: 'dash', document: 'manifest.mpd' },
  { client: 'playbin', format: 'hls', document: 'manifest(format=m3u8-aapl)' },
  { client: 'playbin3', format: 'hls', document: 'master.m3u8' },
];
const ffmpegRuns: Run[] = [
  { client: 'ffmpeg', format: 'dash', document: 'manifest(format=mpd-time-cmaf)' },
  { client: 'ffmpeg', format: 'hls', document: 'manifest(format=m3u8-cmaf)' },
];

before(async () => {
  [az, local] = await Promise.all([startAzurite(), makeRoot()]);
  // The sources as they are, one blob per file, for the az:// origin root.
  const store = await createAzureStore({ container: 'src', prefix: 'films', endpoint: az.endpoint, env: az.env });
  await store.prepare();
  for (const key of await listFiles(local.root)) {
    const data = await readFile(`${local.root}/${key}`);
    await store.put(key, () => data, { size: data.length, contentType: 'application/octet-stream', cacheControl: 'no-cache', md5: createHash('md5').update(data).digest() });
  }
  await store.close?.();
  origins.local = await startOrigin({ root: await openOriginRoot(local.root, { recheckMs: 0 }) });
  origins.azure = await startOrigin({ root: await openOriginRoot('az://src/films', { endpoint: az.endpoint, env: az.env, recheckMs: 0 }) });
});

after(async () => {
  await origins.local?.close();
  await origins.azure?.close();
  await Promise.all([az?.stop(), local?.cleanup()]);
});

/**
 * Runs the clients on `base` + document, one at a time (two at once, with an emulator and an
 * origin on the same two cores, once gave playbin's hlsdemux 2 s of audio too many in a
 * loaded full-suite run), each judged as in the folder tests.
 */
async function playAll(source: FormatSource, base: string, runs: Run[], requests?: () => RunningOrigin['requests']): Promise<void> {
  await mapLimit(runs, 1, async (r) => {
    const url = `${base}${r.document}`;
    const before = requests?.().length ?? 0;
    const result = r.client === 'ffmpeg' ? await readWithFfmpeg({ url, format: r.format }) : await playFormat({ playbin: r.client, uri: url });
    // A failure shows what the origin answered this client (none for the blob URLs).
    assertPlayed(result, await expectedOf(source), `${source.name}: ${r.client} ${url}`, undefined, requests?.().slice(before));
  });
  if (requests) assert.deepEqual(failedRequests(requests()), [], 'every request answered 200/206');
}

test('publish --formats smooth,dash,hls to Azurite; GStreamer and ffmpeg play DASH and HLS from the blob URLs (users.ism)', { timeout: 240_000 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'ffmpeg', 'ffprobe', 'timeout')) return;
  const source = formatSources.users;
  const r = await runCli(['publish', ...source.inputs, 'az://media/users.ism', '--formats', 'smooth,dash,hls', '--public', '--json'], cliEnv({ AZURE_STORAGE_CONNECTION_STRING: az.connectionString }));
  assert.equal(r.code, 0, describeRun(r));
  // Anonymous blob URLs; the documents' relative URLs resolve beside them.
  await playAll(source, `${az.endpoint}/media/users.ism/`, [...gstRuns, ...ffmpegRuns]);
});

test('serve over a local root: GStreamer plays DASH and HLS of users.ism, ffmpeg reads those of multitrack (tfdt added on the fly)', { timeout: 240_000 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'ffmpeg', 'ffprobe', 'timeout')) return;
  const origin = origins.local!;
  await playAll(formatSources.users, `${origin.url}${presentations.users.path}/`, gstRuns, () => origin.requests);
  await playAll(formatSources.multitrack, `${origin.url}${presentations.multitrack.path}/`, ffmpegRuns, () => origin.requests);
  assert.ok(origin.requests.some((q) => q.path.endsWith('Fragments(video=i)')), 'init segments came from serve');
});

test('serve over an az:// root: GStreamer plays DASH and HLS of the plain MP4 ladder, ffmpeg reads those of clean.ism', { timeout: 240_000 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'ffmpeg', 'ffprobe', 'timeout')) return;
  const origin = origins.azure!;
  await playAll(formatSources.progressive, `${origin.url}${presentations.progressive.path}/`, gstRuns, () => origin.requests);
  await playAll(formatSources.clean, `${origin.url}${presentations.clean.path}/`, ffmpegRuns, () => origin.requests);
});
