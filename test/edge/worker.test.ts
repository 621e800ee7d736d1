// The example Cloudflare Worker (examples/cloudflare-worker) on the real runtime: workerd,
// started by Miniflare, no network, with an R2 bucket holding the fixture presentations
// and the sidecar indexes `smoothpub index` writes. Every object `package` writes comes back
// byte for byte; GStreamer plays Smooth and dash.js plays DASH through it; bad URLs are 4xx;
// a source replaced in the bucket is never served under its old index. The workerd
// process's CPU time per request is printed (`npm run bench:edge` compares it with node's).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWorker } from '../../scripts/build-worker.js';
import { FORMATS } from '../../src/formats/model.js';
import { writeSidecarsFor } from '../../src/fragments/sidecarInputs.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { startStaticServer } from '../../src/play/staticServer.js';
import { contentTypeFor } from '../../src/http/contentType.js';
import { playInChromium } from '../e2e/chromiumPlayer.js';
import { launchChromium } from '../e2e/dashjsPlayer.js';
import { countVideoFrames, playWithGstreamer, requireTools } from '../e2e/helpers.js';
import { startWorker, type RunningWorker } from '../harness/workerd.js';
import { listFiles, makeRoot, presentations, type Root } from '../origin/helpers.js';

let root: Root;
let worker: RunningWorker;
let dir: string;

before(async () => {
  root = await makeRoot();
  dir = await mkdtemp(join(tmpdir(), 'smoothpub-edge-'));
  // The sidecars `smoothpub index` writes, uploaded beside their sources.
  for (const p of Object.values(presentations)) await writeSidecarsFor(p.inputs(root.root));
  const built = await buildWorker({ outfile: join(dir, 'worker.js') });
  // Every Manifest request checks the objects' etags, so a replaced source shows at once.
  worker = await startWorker({ script: built.outfile, vars: { RECHECK_SECONDS: '0' } });
  for (const key of await listFiles(root.root)) await worker.put(key, await readFile(join(root.root, key)));
});

after(async () => {
  await worker?.close();
  await Promise.all([root?.cleanup(), dir && rm(dir, { recursive: true, force: true })]);
});

async function fetchBytes(path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: Uint8Array }> {
  const r = await fetch(new URL(path, worker.url), init);
  return { status: r.status, headers: r.headers, body: new Uint8Array(await r.arrayBuffer()) };
}

test('every object package writes (Smooth, DASH, HLS) comes back byte-identical from the worker on workerd; CPU time per request', { timeout: 180_000 }, async (t) => {
  const cpu = { cold: { ms: 0, requests: 0 }, warm: { ms: 0, requests: 0 } };
  for (const [name, p] of Object.entries(presentations)) {
    await t.test(name, async () => {
      const out = join(dir, `package-${name}`, 'video.ism');
      await packagePresentation({ inputs: p.inputs(root.root), outDir: out, formats: FORMATS });
      const keys = await listFiles(out);
      assert.ok(keys.includes('Manifest') && keys.includes('manifest.mpd') && keys.includes('master.m3u8'));
      assert.ok(keys.filter((k) => k.startsWith('QualityLevels(')).length >= 10, `fragments: ${keys.length}`);
      // First pass: the presentation indexed from its sidecars in this isolate; second: warm.
      for (const pass of ['cold', 'warm'] as const) {
        const before = worker.cpuMs();
        for (const key of keys) {
          const res = await fetchBytes(`${p.path}/${key}`);
          assert.equal(res.status, 200, key);
          assert.deepEqual(res.body, new Uint8Array(await readFile(join(out, key))), `${pass}: ${key}`);
          assert.equal(res.headers.get('content-type'), contentTypeFor(key), key);
          // Streamed from R2, sent with its length (FixedLengthStream), not chunked.
          if (key.startsWith('QualityLevels(')) assert.equal(res.headers.get('content-length'), String(res.body.length), key);
        }
        cpu[pass].ms += worker.cpuMs() - before;
        cpu[pass].requests += keys.length;
      }
      const fragment = keys.find((k) => k.startsWith('QualityLevels(') && !k.endsWith('=i)'))!;
      const whole = await readFile(join(out, fragment));
      const part = await fetchBytes(`${p.path}/${fragment}`, { headers: { range: 'bytes=7-1006' } });
      assert.equal(part.status, 206);
      assert.deepEqual(part.body, new Uint8Array(whole.subarray(7, 1007)));
      assert.equal(part.headers.get('content-length'), '1000');
    });
  }
  const per = (c: { ms: number; requests: number }): string => (c.ms / c.requests).toFixed(3);
  t.diagnostic(`workerd CPU per request: ${per(cpu.cold)} ms cold (${cpu.cold.requests} requests, sidecar indexing included), ${per(cpu.warm)} ms warm (${cpu.warm.requests} requests)`);
});

test('bad URLs are 4xx from the worker', async () => {
  const cases: [string, number, RequestInit?][] = [
    ['nothing.ism/Manifest', 404],
    [`${presentations.clean.path}/QualityLevels(1)/Fragments(video=0)`, 404],
    [`${presentations.clean.path}/QualityLevels(400000)/Fragments(video=1)`, 404],
    [`${presentations.clean.path}/QualityLevels(x)/Fragments(video=0)`, 400],
    ['clean/%zz.ism/Manifest', 400],
    ['clean/..%2f..%2fclean.ism/Manifest', 400],
    [`${presentations.clean.path}/Manifest`, 405, { method: 'POST', body: 'x' }],
  ];
  for (const [path, status, init] of cases) assert.equal((await fetchBytes(path, init)).status, status, path);
});

test('GStreamer plays Smooth through the worker to the end, every frame (playbin and playbin3)', { timeout: 150_000 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'ffprobe', 'timeout')) return;
  for (const [playbin, p, frameFile] of [
    ['playbin', presentations.clean, ['clean', 'v400.ismv']],
    ['playbin3', presentations.users, ['users', 'v400.ismv']],
  ] as const) {
    const frames = await countVideoFrames(join(root.root, ...frameFile), 0);
    const result = await playWithGstreamer({ playbin, uri: `${worker.url}${p.path}/Manifest` });
    const tail = `\n--- stderr ---\n${result.stderr.slice(-2000)}`;
    assert.equal(result.code, 0, `${playbin} ${p.path}: gst-launch exit code (124 = timed out)${tail}`);
    assert.ok(result.eos, `${playbin}: reached EOS${tail}`);
    assert.equal(result.frames, frames, `${playbin} ${p.path}: decoded video frames`);
  }
});

test('dash.js plays DASH through the worker in Chromium (page on another origin) to the end, every frame', { timeout: 150_000 }, async (t) => {
  if (!requireTools(t, 'chromium', 'ffprobe')) return;
  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await startStaticServer({ root: root.root, host: '127.0.0.1', port: 0 });
  t.after(() => page.close());
  // Clean media, and the users' kind (B-frames, AAC priming); every level has the same frames.
  for (const [p, file] of [
    [presentations.clean, join(root.root, 'clean', 'v400.ismv')],
    [presentations.users, join(root.root, 'users', 'v400.ismv')],
  ] as const) {
    const frames = await countVideoFrames(file, 0);
    const r = await playInChromium(browser, { pageUrl: page.url, manifestUrl: `${worker.url}${p.path}/manifest.mpd`, format: 'dash' });
    const what = `${p.path} DASH through the worker`;
    assert.deepEqual(r.errors, [], `${what}: no player errors (console: ${r.consoleErrors.join(' | ')})`);
    assert.ok(r.finished && r.ended, `${what}: played to the end (${r.currentTime} of ${r.duration} s)`);
    assert.equal(r.decodedFrames, frames, `${what}: decoded as many frames as the source has`);
    assert.ok((r.audioDecodedBytes ?? 0) > 0, `${what}: audio decoded`);
  }
});

test('a source replaced in the bucket is never served under its old index: the next answers are the new file', { timeout: 60_000 }, async (t) => {
  // A presentation of its own: clean.ism whose v400 is replaced by other bytes (v250's).
  const local = join(dir, 'swap', 'clean');
  await cp(join(root.root, 'clean'), local, { recursive: true });
  for (const f of ['clean.ism', 'v400.ismv', 'v250.ismv', 'v120.ismv', 'audio.isma']) await worker.put(`swap/clean/${f}`, await readFile(join(local, f)));
  const fragment = 'swap/clean/clean.ism/QualityLevels(400000)/Fragments(video=0)';
  const old = await fetchBytes(fragment);
  assert.equal(old.status, 200);
  const other = await readFile(join(local, 'v250.ismv'));
  await worker.put('swap/clean/v400.ismv', other);
  const after = await fetchBytes(fragment);
  assert.ok(after.status !== 200 || !Buffer.from(after.body).equals(Buffer.from(old.body)), `not the replaced file's fragment (status ${after.status})`);
  // What package makes of the bucket's files now is what the worker answers now.
  await writeFile(join(local, 'v400.ismv'), other);
  const out = join(dir, 'package-swap', 'video.ism');
  await packagePresentation({ inputs: [join(local, 'clean.ism')], outDir: out, formats: FORMATS });
  t.diagnostic(`first answer after the replacement: ${after.status}`);
  const manifest = await fetchBytes('swap/clean/clean.ism/Manifest');
  assert.equal(manifest.status, 200);
  assert.deepEqual(manifest.body, new Uint8Array(await readFile(join(out, 'Manifest'))), 'the Manifest of the new files');
  for (const key of (await listFiles(out)).filter((k) => k.startsWith('QualityLevels('))) {
    const res = await fetchBytes(`swap/clean/clean.ism/${key}`);
    assert.equal(res.status, 200, key);
    assert.deepEqual(res.body, new Uint8Array(await readFile(join(out, key))), key);
  }
});
