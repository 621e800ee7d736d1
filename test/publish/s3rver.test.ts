// Publish to an S3-compatible store (s3rver, path-style through --endpoint), then play
// straight from the object URLs with GStreamer and dash.js. s3rver does not check
// credentials on GET (docs/architecture.md: no auth), so objects are readable anonymously as on a
// public bucket or behind a CDN.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStaticServer } from '../../src/play/staticServer.js';
import { publishPresentation } from '../../src/publish/publishPresentation.js';
import type { PublishSummary } from '../../src/publish/publishPlan.js';
import { verifyPresentation } from '../../src/verify/verifyPresentation.js';
import { startS3rver, type S3rver } from '../harness/s3rver.js';
import { launchChromium, playWithDashjs } from '../e2e/dashjsPlayer.js';
import { requireTools, summarizeManifest } from '../e2e/helpers.js';
import { cleanIsm, cliEnv, describeRun, leakedSecrets, runCli, summaryOf, usersIsm, type CliResult, assertGstreamerPlaysPublishedSets } from './publishHelpers.js';

const FRAGMENT_CACHE = 'public, max-age=86400';
const MANIFEST_CACHE = 'public, max-age=60';
const SECRET = 'S3RVER-secret-that-must-not-be-printed';

let s3: S3rver;
let tmp: string;
let cliRun: CliResult;
let libSummary: PublishSummary;

const manifestUrl = (prefix: string): string => `${s3.endpoint}/media/${prefix}/Manifest`;

before(async () => {
  s3 = await startS3rver();
  tmp = await mkdtemp(join(tmpdir(), 'smoothpub-pub-s3-'));
  // s3rver knows the key id S3RVER and does not verify signatures, so any secret works;
  // a long one shows it is never printed.
  cliRun = await runCli(
    ['publish', cleanIsm, 's3://media/clean.ism', '--endpoint', s3.endpoint, '--policy', '--cors', '*', '--fragment-cache-control', FRAGMENT_CACHE, '--json'],
    cliEnv({ AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: SECRET, AWS_REGION: s3.region }),
  );
  // The library takes the AWS default credential chain, here from process.env.
  const saved = { ...process.env };
  Object.assign(process.env, s3.env);
  try {
    libSummary = await publishPresentation({ inputs: [usersIsm], dest: 's3://media/users.ism', endpoint: s3.endpoint, forcePathStyle: true, concurrency: 8 });
  } finally {
    process.env = saved;
  }
});

after(async () => {
  await s3?.stop();
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
});

test('the CLI and the library publish every object once; no secret printed', () => {
  assert.equal(cliRun.code, 0, describeRun(cliRun));
  const s = summaryOf(cliRun);
  assert.deepEqual({ objects: s.objects, uploaded: s.uploaded, skipped: s.skipped, retries: s.retries }, { objects: 19, uploaded: 19, skipped: 0, retries: 0 });
  assert.equal(s.store, `s3://media/clean.ism (endpoint ${s3.endpoint})`);
  assert.deepEqual(leakedSecrets([cliRun.stdout, cliRun.stderr], [SECRET]), []);
  assert.equal(libSummary.uploaded, libSummary.objects);
});

test('objects are served anonymously with their Content-Type and Cache-Control; policy files at the bucket root', async () => {
  const manifest = await fetch(manifestUrl('clean.ism'));
  assert.equal(manifest.status, 200);
  assert.match(manifest.headers.get('content-type') ?? '', /^text\/xml\b/);
  assert.equal(manifest.headers.get('cache-control'), MANIFEST_CACHE);
  const doc = summarizeManifest(await manifest.text());
  for (const st of doc.streams) {
    const res = await fetch(`${s3.endpoint}/media/clean.ism/QualityLevels(${st.bitrates[0]})/Fragments(${st.name}=0)`);
    assert.equal(res.status, 200, st.name);
    assert.equal(res.headers.get('content-type'), st.type === 'video' ? 'video/mp4' : 'audio/mp4');
    assert.equal(res.headers.get('cache-control'), FRAGMENT_CACHE);
    await res.arrayBuffer();
  }
  for (const name of ['clientaccesspolicy.xml', 'crossdomain.xml']) {
    const res = await fetch(`${s3.endpoint}/media/${name}`);
    assert.equal(res.status, 200, name);
    assert.match(res.headers.get('content-type') ?? '', /^text\/xml\b/, name);
    await res.arrayBuffer();
    assert.equal((await fetch(`${s3.endpoint}/media/clean.ism/${name}`)).status, 404, `${name} is not under the prefix`);
  }
});

test('verify passes on both presentations, with CORS for a browser origin', async () => {
  const clean = await verifyPresentation(manifestUrl('clean.ism'), { origin: 'http://player.example' });
  assert.deepEqual(clean.problems, []);
  assert.equal(clean.fragments, 16);
  // No --cors for users.ism, but CORS rules are the bucket's: the earlier run set them.
  const users = await verifyPresentation(manifestUrl('users.ism'));
  assert.deepEqual(users.problems, []);
});

test('GStreamer playbin and playbin3 play straight from the object URLs, every frame', { timeout: 150_000 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'ffprobe', 'timeout')) return;
  await assertGstreamerPlaysPublishedSets(manifestUrl);
});

test('dash.js on another origin plays from s3rver to the end with audio (CORS)', { timeout: 120_000 }, async (t) => {
  if (!requireTools(t, 'chromium')) return;
  const page = await startStaticServer({ root: tmp, host: '127.0.0.1', port: 0 });
  const browser = await launchChromium();
  try {
    const doc = summarizeManifest(await (await fetch(manifestUrl('clean.ism'))).text());
    const played = await playWithDashjs(browser, { pageUrl: page.url, manifestUrl: manifestUrl('clean.ism'), durationSeconds: doc.duration / doc.timeScale });
    const { end } = played;
    const why = `errors ${JSON.stringify(end.errors)}, console: ${played.consoleErrors.join(' | ')}`;
    assert.deepEqual(end.errors, [], why);
    assert.ok(played.finished, `played to the end (${end.currentTime} s): ${why}`);
    assert.ok((end.audioDecodedBytes ?? 0) > 0, 'audio decoded');
    assert.ok((end.videoDecodedBytes ?? 0) > 0, 'video decoded');
    assert.ok(end.fragments.length > 0 && end.fragments.every((f) => f.url.startsWith(`${s3.endpoint}/media/clean.ism/`)), 'every fragment came from s3rver');
  } finally {
    await browser.close();
    await page.close();
  }
});
