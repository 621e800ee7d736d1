// Publish to Azure Blob Storage (Azurite), then play straight from the blob URLs with the
// real clients: GStreamer (playbin → mssdemux, playbin3 → mssdemux2) and dash.js in
// Chromium on another origin (so the CORS rules publish set are what lets it play).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { startStaticServer } from '../../src/play/staticServer.js';
import { publishPresentation } from '../../src/publish/publishPresentation.js';
import type { PublishEvent, PublishSummary } from '../../src/publish/publishPlan.js';
import { verifyPresentation } from '../../src/verify/verifyPresentation.js';
import { startAzurite, type Azurite } from '../harness/azurite.js';
import { launchChromium, playWithDashjs } from '../e2e/dashjsPlayer.js';
import { requireTools, summarizeManifest } from '../e2e/helpers.js';
import { cleanIsm, cliEnv, describeRun, leakedSecrets, listBlobs, runCli, summaryOf, usersIsm, type CliResult, assertGstreamerPlaysPublishedSets } from './publishHelpers.js';

const FRAGMENT_CACHE = 'public, max-age=31536000, immutable';
const MANIFEST_CACHE = 'public, max-age=7';
/** 4 fragments x (3 video levels + 1 audio level) + Manifest + 2 policy files. */
const CLEAN_OBJECTS = 16 + 1 + 2;

let az: Azurite;
let tmp: string;
let cliRun: CliResult;
let libSummary: PublishSummary;
const libEvents: PublishEvent[] = [];

const manifestUrl = (prefix: string): string => `${az.endpoint}/media/${prefix}/Manifest`;

before(async () => {
  az = await startAzurite();
  tmp = await mkdtemp(join(tmpdir(), 'smoothpub-pub-az-'));
  // clean.ism through the CLI, credentials only in its environment.
  cliRun = await runCli(
    ['publish', cleanIsm, 'az://media/clean.ism', '--public', '--cors', '*', '--policy', '--manifest-cache-control', MANIFEST_CACHE, '--json'],
    cliEnv({ AZURE_STORAGE_CONNECTION_STRING: az.connectionString }),
  );
  // users.ism (B-frames, AAC priming) through the library; it takes credentials from process.env.
  process.env.AZURE_STORAGE_ACCOUNT = az.accountName;
  process.env.AZURE_STORAGE_KEY = az.accountKey;
  try {
    libSummary = await publishPresentation({
      inputs: [usersIsm],
      dest: 'az://media/users.ism',
      endpoint: az.endpoint,
      publicRead: true,
      cors: ['*'],
      policy: true,
      concurrency: 8,
      onEvent: (e) => libEvents.push(e),
    });
  } finally {
    delete process.env.AZURE_STORAGE_ACCOUNT;
    delete process.env.AZURE_STORAGE_KEY;
  }
});

after(async () => {
  await az?.stop();
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
});

test('the CLI and the library publish every object once, the Manifest last, no secret printed', () => {
  assert.equal(cliRun.code, 0, describeRun(cliRun));
  const s = summaryOf(cliRun);
  assert.deepEqual(
    { objects: s.objects, uploaded: s.uploaded, skipped: s.skipped, retries: s.retries, dryRun: s.dryRun },
    { objects: CLEAN_OBJECTS, uploaded: CLEAN_OBJECTS, skipped: 0, retries: 0, dryRun: false },
  );
  assert.equal(s.store, 'az://media/clean.ism (account devstoreaccount1)');
  assert.deepEqual(leakedSecrets([cliRun.stdout, cliRun.stderr], [az.accountKey, az.connectionString]), []);

  // The policy files at $root are the ones the CLI run put there: the same bytes, skipped.
  assert.deepEqual({ uploaded: libSummary.uploaded, skipped: libSummary.skipped, kept: libSummary.kept }, { uploaded: libSummary.objects - 2, skipped: 2, kept: 0 });
  assert.equal(libSummary.retries, 0);
  const order = libEvents.flatMap((e) => (e.type === 'object' ? [e.key] : []));
  assert.equal(order.length, libSummary.objects);
  assert.equal(order[order.length - 1], 'Manifest', 'the Manifest goes last');
});

test('Content-Type and Cache-Control as configured; policy files anonymous at $root', async () => {
  const blobs = await listBlobs(az, 'media', 'clean.ism');
  assert.equal(blobs.size, CLEAN_OBJECTS - 2, 'policy files are not under the prefix');
  for (const [key, b] of blobs) {
    if (key === 'Manifest') continue;
    const type = /Fragments\(video=/.test(key) ? 'video/mp4' : /Fragments\(audio=/.test(key) ? 'audio/mp4' : `unexpected key ${key}`;
    assert.deepEqual({ key, type: b.contentType, cache: b.cacheControl }, { key, type, cache: FRAGMENT_CACHE });
  }
  // What a player (or CDN) sees on an anonymous GET.
  const manifest = await fetch(manifestUrl('clean.ism'));
  assert.equal(manifest.status, 200);
  assert.match(manifest.headers.get('content-type') ?? '', /^text\/xml\b/);
  assert.equal(manifest.headers.get('cache-control'), MANIFEST_CACHE);
  const doc = summarizeManifest(await manifest.text());
  const video = doc.streams.find((st) => st.type === 'video');
  assert.ok(video);
  const fragment = await fetch(`${az.endpoint}/media/clean.ism/QualityLevels(${video.bitrates[0]})/Fragments(video=0)`);
  assert.equal(fragment.status, 200);
  assert.equal(fragment.headers.get('content-type'), 'video/mp4');
  assert.equal(fragment.headers.get('cache-control'), FRAGMENT_CACHE);
  await fragment.arrayBuffer();

  // Azurite has no implicit $root addressing: real Azure serves these at the host root.
  for (const [name, marker] of [
    ['clientaccesspolicy.xml', '<access-policy'],
    ['crossdomain.xml', '<cross-domain-policy'],
  ] as const) {
    const res = await fetch(`${az.endpoint}/$root/${name}`);
    assert.equal(res.status, 200, name);
    assert.match(res.headers.get('content-type') ?? '', /^text\/xml\b/, name);
    assert.ok((await res.text()).includes(marker), name);
  }
});

test('verify passes on both presentations, with CORS for a browser origin', async () => {
  for (const prefix of ['clean.ism', 'users.ism']) {
    const report = await verifyPresentation(manifestUrl(prefix), { origin: 'http://player.example' });
    assert.deepEqual(report.problems, [], prefix);
    assert.ok(report.ok && report.fragments >= 16, `${prefix}: ${report.fragments} fragments`);
  }
  // The command too (its --policy looks at the host root, which Azurite does not map to $root).
  const r = await runCli(['verify', manifestUrl('clean.ism'), '--origin', 'http://player.example', '--json'], cliEnv());
  assert.equal(r.code, 0, describeRun(r));
});

test('GStreamer playbin and playbin3 play straight from the blob URLs, every frame', { timeout: 150_000 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'ffprobe', 'timeout')) return;
  await assertGstreamerPlaysPublishedSets(manifestUrl);
});

test('dash.js on another origin plays from Azurite to the end with audio (CORS)', { timeout: 120_000 }, async (t) => {
  if (!requireTools(t, 'chromium')) return;
  // The player page comes from a local server; the media only from Azurite.
  const page = await startStaticServer({ root: tmp, host: '127.0.0.1', port: 0 });
  const browser = await launchChromium();
  try {
    const manifest = summarizeManifest(await (await fetch(manifestUrl('clean.ism'))).text());
    const played = await playWithDashjs(browser, { pageUrl: page.url, manifestUrl: manifestUrl('clean.ism'), durationSeconds: manifest.duration / manifest.timeScale });
    const { end } = played;
    const why = `errors ${JSON.stringify(end.errors)}, console: ${played.consoleErrors.join(' | ')}`;
    assert.deepEqual(end.errors, [], why);
    assert.ok(played.finished, `played to the end (${end.currentTime} s): ${why}`);
    assert.ok((end.videoDecodedBytes ?? 0) > 0, 'video decoded');
    assert.ok((end.audioDecodedBytes ?? 0) > 0, 'audio decoded (dash.js drops a bad audio codec silently)');
    assert.ok(end.fragments.length > 0 && end.fragments.every((f) => f.url.startsWith(`${az.endpoint}/media/clean.ism/`)), 'every fragment came from Azurite');
    assert.ok(end.fragments.some((f) => f.type === 'audio'), 'audio fragments loaded');
    assert.deepEqual(
      page.requests.filter((r) => r.path.includes('.ism')),
      [],
      'nothing of the presentation was fetched from the page origin',
    );

    // The control: without the CORS rules publish set, the same page cannot play.
    const service = new BlobServiceClient(az.endpoint, new StorageSharedKeyCredential(az.accountName, az.accountKey));
    const { cors } = await service.getProperties();
    assert.ok(cors !== undefined && cors.length > 0, 'publish --cors set rules');
    await service.setProperties({ cors: [] });
    try {
      const blocked = await playWithDashjs(browser, { pageUrl: page.url, manifestUrl: manifestUrl('clean.ism'), durationSeconds: 8, timeoutMs: 20_000 });
      assert.ok(blocked.end.errors.length > 0 && !blocked.finished, `blocked without CORS: ${JSON.stringify(blocked.end.errors)}`);
      assert.ok(blocked.consoleErrors.some((m) => m.includes('blocked by CORS policy')), `refused by CORS: ${blocked.consoleErrors.join(' | ')}`);
    } finally {
      await service.setProperties({ cors });
    }
  } finally {
    await browser.close();
    await page.close();
  }
});

test('a packaged folder publishes to the same objects as its sources', async () => {
  const folder = join(tmp, 'video.ism');
  await packagePresentation({ inputs: [cleanIsm], outDir: folder });
  const env = cliEnv({ AZURE_STORAGE_ACCOUNT: az.accountName, AZURE_STORAGE_KEY: az.accountKey });
  const r = await runCli(['publish', folder, 'az://media/folder.ism', '--endpoint', az.endpoint, '--manifest-cache-control', MANIFEST_CACHE, '--json'], env);
  assert.equal(r.code, 0, describeRun(r));
  assert.equal(summaryOf(r).uploaded, CLEAN_OBJECTS - 2);
  // Same keys, bytes (size + MD5), Content-Type and Cache-Control as published from clean.ism.
  assert.deepEqual(await listBlobs(az, 'media', 'folder.ism'), await listBlobs(az, 'media', 'clean.ism'));
  const report = await verifyPresentation(manifestUrl('folder.ism'));
  assert.deepEqual(report.problems, []);
  // And the other way round: publishing the sources onto the folder's objects finds nothing to do.
  const again = await runCli(['publish', cleanIsm, 'az://media/folder.ism', '--endpoint', az.endpoint, '--manifest-cache-control', MANIFEST_CACHE, '--json'], env);
  assert.equal(again.code, 0, describeRun(again));
  const s = summaryOf(again);
  assert.deepEqual({ uploaded: s.uploaded, skipped: s.skipped }, { uploaded: 0, skipped: CLEAN_OBJECTS - 2 });
});
