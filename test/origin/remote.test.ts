// The origin over remote roots: the fixture files stored as-is (one blob/object per
// rendition) in Azurite and s3rver, and behind a plain https-style base URL (Azurite's
// anonymous blob URLs). Fragments are read with Range GETs; every one must equal
// `package`'s output, verify must pass, and the real clients must play through it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { SIDECAR_SUFFIX } from '../../src/fragments/sidecar.js';
import { writeSidecarsFor } from '../../src/fragments/sidecarInputs.js';
import { openOriginRoot } from '../../src/origin/openOriginRoot.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { FORMATS } from '../../src/formats/model.js';
import { startStaticServer } from '../../src/play/staticServer.js';
import { createAzureStore } from '../../src/stores/azureStore.js';
import { createS3Store } from '../../src/stores/s3Store.js';
import type { Store } from '../../src/stores/store.js';
import { verifyPresentation } from '../../src/verify/verifyPresentation.js';
import { launchChromium, playWithDashjs } from '../e2e/dashjsPlayer.js';
import { countVideoFrames, failedRequests, playWithGstreamer, repoRoot } from '../e2e/helpers.js';
import { requireTools } from '../harness/ci.js';
import { waitUntil } from '../harness/waitUntil.js';
import { startAzurite, type Azurite } from '../harness/azurite.js';
import { startS3rver, type S3rver } from '../harness/s3rver.js';
import { get, makeRoot, presentations, startOrigin, type Root, type RunningOrigin } from './helpers.js';
import { createInterface } from 'node:readline';

let az: Azurite;
let s3: S3rver;
let local: Root;
let packaged: string;
const origins: Record<'azure' | 's3' | 'https', RunningOrigin | undefined> = { azure: undefined, s3: undefined, https: undefined };

/** Every file of a folder, by '/'-separated relative path. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'));
}

async function upload(store: Store, dir: string): Promise<void> {
  await store.prepare();
  for (const key of await filesUnder(dir)) {
    const data = await readFile(join(dir, key));
    await store.put(key, () => data, { size: data.length, contentType: 'application/octet-stream', cacheControl: 'no-cache', md5: createHash('md5').update(data).digest() });
  }
}

before(async () => {
  [az, s3, local] = await Promise.all([startAzurite(), startS3rver(), makeRoot()]);
  const azStore = await createAzureStore({ container: 'src', prefix: 'films', endpoint: az.endpoint, env: az.env });
  await upload(azStore, local.root);
  // The https root reads the same blobs anonymously.
  await azStore.setPublicRead?.();
  await azStore.close?.();
  const s3Store = await createS3Store({ bucket: 'src', prefix: 'films', endpoint: s3.endpoint, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
  await upload(s3Store, local.root);
  await s3Store.close?.();

  packaged = await mkdtemp(join(tmpdir(), 'smoothpub-remote-pkg-'));
  // The origin answers all three formats by default: package writes them too, to compare every object.
  for (const [name, p] of Object.entries(presentations)) await packagePresentation({ inputs: p.inputs(local.root), outDir: join(packaged, name), formats: FORMATS });

  origins.azure = await startOrigin({ root: await openOriginRoot('az://src/films', { endpoint: az.endpoint, env: az.env, recheckMs: 0 }) });
  // The S3 client takes credentials from the default chain (the environment) when it first signs.
  Object.assign(process.env, s3.env);
  origins.s3 = await startOrigin({ root: await openOriginRoot('s3://src/films', { endpoint: s3.endpoint, forcePathStyle: true, recheckMs: 0 }) });
  origins.https = await startOrigin({ root: await openOriginRoot(`${az.endpoint}/src/films/`, { recheckMs: 0 }) });
});

after(async () => {
  for (const o of Object.values(origins)) await o?.close();
  await Promise.all([az?.stop(), s3?.stop(), local?.cleanup(), packaged && rm(packaged, { recursive: true, force: true })]);
});

for (const which of ['azure', 's3', 'https'] as const) {
  test(`${which} root: Manifests and every fragment equal package's output`, async () => {
    const origin = origins[which]!;
    // An https base cannot be listed: only presentations named by a .ism file.
    const names = which === 'https' ? (['clean', 'users'] as const) : (['clean', 'users', 'multitrack'] as const);
    for (const name of names) {
      const base = presentations[name].path;
      const dir = join(packaged, name);
      for (const key of await filesUnder(dir)) {
        if (key.endsWith('.xml')) continue;
        const r = await get(origin.handler, `/${base}/${key}`);
        assert.equal(r.status, 200, `${which} ${base}/${key}`);
        assert.ok(Buffer.from(r.body).equals(await readFile(join(dir, key))), `${which} ${base}/${key}: bytes differ from package's`);
      }
    }
    if (which === 'https') assert.equal((await get(origin.handler, `/${presentations.multitrack.path}/Manifest`)).status, 404);
  });

  test(`${which} root: verify passes against the origin; ranges, FragmentInfo and misses`, async () => {
    const origin = origins[which]!;
    const report = await verifyPresentation(`${origin.url}${presentations.users.path}/Manifest`);
    assert.deepEqual(report.problems, []);
    assert.ok(report.fragments > 0);
    const dir = join(packaged, 'clean');
    const key = (await filesUnder(dir)).find((k) => k.includes('Fragments(video='))!;
    const whole = await readFile(join(dir, key));
    const part = await get(origin.handler, `/${presentations.clean.path}/${key}`, { headers: { range: 'bytes=100-4099' } });
    assert.equal(part.status, 206);
    assert.ok(Buffer.from(part.body).equals(whole.subarray(100, 4100)));
    const info = await get(origin.handler, `/${presentations.clean.path}/${key.replace('Fragments(', 'FragmentInfo(')}`);
    assert.equal(info.status, 200);
    assert.equal(Buffer.from(info.body).toString('latin1', 4, 8), 'moof');
    assert.ok(whole.subarray(0, info.body.length).equals(Buffer.from(info.body)));
    assert.equal((await get(origin.handler, `/${presentations.clean.path}/QualityLevels(1)/Fragments(video=0)`)).status, 404);
    assert.equal((await get(origin.handler, '/nothing/here.ism/Manifest')).status, 404);
    assert.equal((await get(origin.handler, '/clean%2f..%2f..%2fclean.ism/Manifest')).status, 400);
  });
}

test('GStreamer plays through remote roots: playbin from Azure, playbin3 from S3, playbin from https', { timeout: 200_000 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'ffprobe', 'timeout')) return;
  const cases = [
    { which: 'azure', playbin: 'playbin', p: presentations.clean, frames: ['clean', 'v400.ismv'] },
    { which: 's3', playbin: 'playbin3', p: presentations.users, frames: ['users', 'v400.ismv'] },
    { which: 'https', playbin: 'playbin', p: presentations.users, frames: ['users', 'v400.ismv'] },
  ] as const;
  for (const c of cases) {
    const origin = origins[c.which]!;
    const frames = await countVideoFrames(join(local.root, ...c.frames), 0);
    const before = origin.requests.length;
    const result = await playWithGstreamer({ playbin: c.playbin, uri: `${origin.url}${c.p.path}/Manifest` });
    const tail = `\n--- stderr ---\n${result.stderr.slice(-1500)}`;
    assert.equal(result.code, 0, `${c.which} ${c.playbin} exit code${tail}`);
    assert.ok(result.eos, `${c.which}: reached EOS${tail}`);
    assert.equal(result.frames, frames, `${c.which}: decoded video frames${tail}`);
    const mine = origin.requests.slice(before);
    assert.deepEqual(failedRequests(mine), []);
    assert.ok(mine.some((q) => q.path.includes('Fragments(audio=')), 'audio came through the origin');
  }
});

test('dash.js plays through the Azure root from a page on another origin', { timeout: 120_000 }, async (t) => {
  if (!requireTools(t, 'chromium')) return;
  const page = await startStaticServer({ root: local.root, host: '127.0.0.1', port: 0 });
  const browser = await launchChromium();
  t.after(async () => {
    await browser.close();
    await page.close();
  });
  const origin = origins.azure!;
  const before = origin.requests.length;
  const r = await playWithDashjs(browser, { pageUrl: page.url, manifestUrl: `${origin.url}${presentations.clean.path}/Manifest`, durationSeconds: 8 });
  assert.deepEqual(r.end.errors, [], `console: ${r.consoleErrors.join(' | ')}`);
  assert.ok(r.finished, JSON.stringify(r.end));
  assert.ok((r.end.videoDecodedBytes ?? 0) > 0 && (r.end.audioDecodedBytes ?? 0) > 0, 'audio and video decoded');
  assert.deepEqual(failedRequests(origin.requests.slice(before).filter((q) => q.method !== 'OPTIONS')), []);
});

test('a replaced remote source is noticed and re-indexed, never served by the old index', async () => {
  const store = await createAzureStore({ container: 'swap', prefix: '', endpoint: az.endpoint, env: az.env });
  const put = async (key: string, data: Buffer): Promise<void> =>
    store.put(key, () => data, { size: data.length, contentType: 'application/octet-stream', cacheControl: 'no-cache', md5: createHash('md5').update(data).digest() });
  await store.prepare();
  const v400 = await readFile(join(local.root, 'clean', 'v400.ismv'));
  const v250 = await readFile(join(local.root, 'clean', 'v250.ismv'));
  await put('one.ism/level.ismv', v400);
  // Trusts its index for a minute: only the ETag on each read can notice the change.
  const origin = await startOrigin({ root: await openOriginRoot('az://swap', { endpoint: az.endpoint, env: az.env, recheckMs: 60_000 }) });
  try {
    const first = await get(origin.handler, '/one.ism/Manifest');
    assert.equal(first.status, 200);
    const url = /QualityLevels\(\{bitrate\}\)\/Fragments\(video=\{start time\}\)/.test(Buffer.from(first.body).toString()) ? '/one.ism/QualityLevels(BITRATE)/Fragments(video=0)' : '';
    const bitrate = /<QualityLevel[^>]*Bitrate="(\d+)"/.exec(Buffer.from(first.body).toString())![1]!;
    const fragmentUrl = url.replace('BITRATE', bitrate);
    assert.equal((await get(origin.handler, fragmentUrl)).status, 200);
    await put('one.ism/level.ismv', v250);
    // The read names the old ETag: it fails and the index is dropped. A failure before the
    // headers (the moof read to add a tfdt) is an error status; after them, a cut response.
    const outcome = await fetch(`${origin.url}${fragmentUrl.slice(1)}`).then(
      async (r) => ({ status: r.status, body: await r.arrayBuffer().then(() => 'whole', () => 'cut') }),
      () => ({ status: 0, body: 'cut' }),
    );
    assert.ok(outcome.status !== 200 || outcome.body === 'cut', `the old index must not answer 200 with new bytes: ${JSON.stringify(outcome)}`);
    const again = await get(origin.handler, '/one.ism/Manifest');
    assert.equal(again.status, 200);
    assert.notDeepEqual(again.body, first.body, 'the Manifest describes the new source');
    const newBitrate = /<QualityLevel[^>]*Bitrate="(\d+)"/.exec(Buffer.from(again.body).toString())![1]!;
    const fresh = await get(origin.handler, `/one.ism/QualityLevels(${newBitrate})/Fragments(video=0)`);
    assert.equal(fresh.status, 200);
    const ours = await packagedFragment(v250, 'Fragments(video=0)');
    assert.ok(Buffer.from(fresh.body).equals(ours), 'the fragment comes from the new source');
  } finally {
    await origin.close();
    await store.close?.();
  }
});

test('remote sidecars answer a cold origin; a source stored after its sidecar is indexed afresh', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-remote-idx-'));
  const store = await createAzureStore({ container: 'indexed', prefix: 'p', endpoint: az.endpoint, env: az.env });
  try {
    const { cp } = await import('node:fs/promises');
    await cp(join(local.root, 'clean'), join(dir, 'clean'), { recursive: true });
    const written = await writeSidecarsFor([join(dir, 'clean', 'clean.ism')]);
    assert.equal(written.length, 4);
    await upload(store, dir);
    const via = new Map<string, string>();
    const origin = await startOrigin({ root: await openOriginRoot('az://indexed/p', { endpoint: az.endpoint, env: az.env }), onIndexed: (file, how) => via.set(file, how) });
    try {
      const m = await get(origin.handler, '/clean/clean.ism/Manifest');
      assert.equal(m.status, 200);
      assert.deepEqual([...via.values()], ['sidecar', 'sidecar', 'sidecar', 'sidecar'], JSON.stringify([...via]));
      assert.deepEqual(m.body, (await get(origins.azure!.handler, `/${presentations.clean.path}/Manifest`)).body, 'same Manifest as indexing the sources');
    } finally {
      await origin.close();
    }
    // Stored clocks tick in seconds: the source stored again once the sidecar's second has
    // passed (Azurite runs on this machine's clock) is newer than its sidecar.
    const sidecarStored = (await store.head(`clean/v400.ismv${SIDECAR_SUFFIX}`))?.lastModified ?? Infinity;
    await waitUntil("the second after the sidecar's", () => Date.now() >= sidecarStored + 1000, { timeoutMs: 5000 });
    const v400 = await readFile(join(dir, 'clean', 'v400.ismv'));
    await store.put('clean/v400.ismv', () => v400, { size: v400.length, contentType: 'application/octet-stream', cacheControl: 'no-cache', md5: createHash('md5').update(v400).digest() });
    assert.ok((await store.head('clean/v400.ismv'))!.lastModified > sidecarStored, 'the store dates the source after its sidecar');
    via.clear();
    const again = await startOrigin({ root: await openOriginRoot('az://indexed/p', { endpoint: az.endpoint, env: az.env }), onIndexed: (file, how) => via.set(file, how) });
    try {
      assert.equal((await get(again.handler, '/clean/clean.ism/Manifest')).status, 200);
      assert.equal(via.get('clean/v400.ismv'), 'index');
      assert.equal(via.get('clean/v250.ismv'), 'sidecar');
    } finally {
      await again.close();
    }
  } finally {
    await store.close?.();
    await rm(dir, { recursive: true, force: true });
  }
});

test('smoothpub serve az://… from the CLI: credentials from the environment, never printed; missing ones a clear error', async () => {
  const bin = join(repoRoot, 'bin', 'smoothpub.js');
  const env = { ...process.env, AZURE_STORAGE_CONNECTION_STRING: az.connectionString };
  const child = spawn(process.execPath, [bin, 'serve', 'az://src/films', '--endpoint', az.endpoint, '--port', '0', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (l) => {
        if ((JSON.parse(l) as { event: string }).event === 'listening') resolve(l);
      });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    });
    assert.ok(!line.includes(az.accountKey), 'no key in the output');
    const { url, root } = JSON.parse(line) as { url: string; root: string };
    assert.match(root, /^az:\/\/src\/films/);
    const r = await fetch(`${url}${presentations.users.path}/Manifest`);
    assert.equal(r.status, 200);
    assert.match(await r.text(), /<SmoothStreamingMedia/);
  } finally {
    child.kill('SIGINT');
    await new Promise((resolve) => child.once('close', resolve));
  }
  assert.ok(!stderr.includes(az.accountKey));
  const bare = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AZURE_')));
  const failed = spawnSync(process.execPath, [bin, 'serve', 'az://src/films', '--port', '0'], { env: bare, encoding: 'utf8', timeout: 30_000 });
  assert.equal(failed.status, 1, failed.stderr);
  assert.match(failed.stderr, /no Azure credentials/);
});

/** The named fragment of a single-file presentation, as `package` writes it. */
async function packagedFragment(file: Buffer, name: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-remote-one-'));
  try {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'one.ismv'), file);
    await packagePresentation({ inputs: [join(dir, 'one.ismv')], outDir: join(dir, 'out.ism'), formats: FORMATS });
    const key = (await filesUnder(join(dir, 'out.ism'))).find((k) => k.endsWith(name))!;
    return await readFile(join(dir, 'out.ism', key));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
