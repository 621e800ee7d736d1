// A stored presentation (a `.ism` folder holding a Manifest object: package, publish and
// ingest output) is answered object by object as stored: how a live event goes through
// `serve` while ingest writes it. Live documents and 404s get the short live Cache-Control.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { createOrigin } from '../../src/origin/nodeOrigin.js';
import { createOrigin as createRootOrigin } from '../../src/origin/createOrigin.js';
import { openOriginRoot } from '../../src/origin/openOriginRoot.js';
import type { OriginRoot } from '../../src/origin/originRoot.js';
import { StoreError } from '../../src/stores/store.js';
import { DEFAULT_FRAGMENT_CACHE_CONTROL, DEFAULT_LIVE_CACHE_CONTROL, DEFAULT_MANIFEST_CACHE_CONTROL, DEFAULT_NOT_FOUND_CACHE_CONTROL } from '../../src/plan/cacheControl.js';
import { waitUntil } from '../harness/waitUntil.js';
import { get, listFiles, makeRoot, presentations } from './helpers.js';

test('a packaged folder is served as stored: every object byte for byte, Range, 304; a live Manifest and its 404s get the live Cache-Control; sources beside it are still fragmented on request', async (t) => {
  const r = await makeRoot();
  t.after(() => r.cleanup());
  const dir = join(r.root, 'pub', 'p.ism');
  await packagePresentation({ inputs: presentations.clean.inputs(r.root), outDir: dir, formats: ['smooth', 'dash', 'hls'] });
  const origin = createOrigin({ root: r.root, onError: (e) => assert.fail(String(e)) });
  t.after(() => origin.close());

  const files = await listFiles(dir);
  assert.ok(files.length > 20 && files.includes('Manifest') && files.includes('manifest.mpd'), files.join(' '));
  for (const f of files) {
    const res = await get(origin, `/pub/p.ism/${f.split('/').map(encodeURIComponent).join('/')}`);
    assert.equal(res.status, 200, f);
    assert.deepEqual(res.body, new Uint8Array(await readFile(join(dir, f))), `${f}: the stored bytes`);
    const document = f === 'Manifest' || f.startsWith('manifest') || f.endsWith('.m3u8');
    assert.equal(res.headers.get('cache-control'), document ? DEFAULT_MANIFEST_CACHE_CONTROL : DEFAULT_FRAGMENT_CACHE_CONTROL, f);
    if (document) continue;
    const etag = res.headers.get('etag')!;
    assert.equal((await get(origin, `/pub/p.ism/${f}`, { headers: { 'if-none-match': etag } })).status, 304, `${f}: 304`);
    const part = await get(origin, `/pub/p.ism/${f}`, { headers: { range: 'bytes=4-11' } });
    assert.equal(part.status, 206);
    assert.deepEqual(part.body, res.body.subarray(4, 12), `${f}: a range`);
  }
  const missing = await get(origin, '/pub/p.ism/QualityLevels(1)/Fragments(video=0)');
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('cache-control'), DEFAULT_NOT_FOUND_CACHE_CONTROL, 'a VOD presentation: the usual 404');

  // The same folder with a live Manifest (as ingest writes it while an event runs).
  const manifest = await readFile(join(dir, 'Manifest'), 'utf8');
  const live = manifest.replace('<SmoothStreamingMedia ', '<SmoothStreamingMedia IsLive="TRUE" LookaheadCount="1" LookAheadFragmentCount="1" DVRWindowLength="0" ');
  assert.notEqual(live, manifest);
  await writeFile(join(dir, 'Manifest'), live);
  // What the path is (stored, live) is trusted for a second.
  const liveAnswer = await waitUntil('the live Manifest answered as live', async () => {
    const res = await get(origin, '/pub/p.ism/Manifest');
    return res.headers.get('cache-control') === DEFAULT_LIVE_CACHE_CONTROL ? res : undefined;
  }, { timeoutMs: 5000, intervalMs: 100 });
  assert.equal(new TextDecoder().decode(liveAnswer.body), live);
  const mpd = await get(origin, '/pub/p.ism/manifest.mpd');
  assert.equal(mpd.headers.get('cache-control'), DEFAULT_LIVE_CACHE_CONTROL, 'the documents of a live presentation');
  const ahead = await get(origin, '/pub/p.ism/QualityLevels(1)/Fragments(video=0)');
  assert.equal(ahead.status, 404);
  assert.equal(ahead.headers.get('cache-control'), DEFAULT_LIVE_CACHE_CONTROL, 'a 404 in a live presentation (a fragment a tfrf named) is not cached long');

  // Sources beside it: still indexed and fragmented on request.
  const source = await get(origin, `/${presentations.clean.path}/Manifest`);
  assert.equal(source.status, 200);
  assert.match(new TextDecoder().decode(source.body), /<SmoothStreamingMedia/);
});


test('a stored document replaced between its lookup and its read (a live Manifest on a remote store: If-Match 412) is looked up and read again, never answered 5xx', async (t) => {
  const r = await makeRoot();
  t.after(() => r.cleanup());
  const dir = join(r.root, 'pub', 'p.ism');
  await packagePresentation({ inputs: presentations.clean.inputs(r.root), outDir: dir, formats: ['smooth'] });
  const root = await openOriginRoot(r.root);
  let replaced = 0;
  // The first two reads of the Manifest find it replaced since its lookup, as a remote root's read naming the ETag it found does.
  const racing: OriginRoot = {
    ...root,
    readText: async (id, maxBytes) => {
      if (id.endsWith('Manifest') && replaced < 2) {
        replaced++;
        throw new StoreError('the condition specified using HTTP conditional header(s) is not met', { status: 412, retryable: false, throttled: false, key: id });
      }
      return root.readText(id, maxBytes);
    },
  };
  const origin = createRootOrigin({ root: racing, onError: (e) => assert.fail(String(e)) });
  t.after(() => origin.close());
  const res = await get(origin, '/pub/p.ism/Manifest');
  assert.equal(res.status, 200);
  assert.equal(replaced, 2, 'both replaced reads were met');
  assert.deepEqual(res.body, new Uint8Array(await readFile(join(dir, 'Manifest'))), 'the stored bytes');
});
