import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createAzureStore } from '../../src/stores/azureStore.js';
import { createS3Store } from '../../src/stores/s3Store.js';
import type { ObjectReader } from '../../src/stores/objectReader.js';
import type { Store } from '../../src/stores/store.js';
import { startAzurite, type Azurite } from '../harness/azurite.js';
import { startS3rver, type S3rver } from '../harness/s3rver.js';
import { requireTools } from '../harness/ci.js';
import { pushWithFfmpeg, startIngestRun } from '../harness/livePush.js';
import { waitUntil } from '../harness/waitUntil.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { AUDIO, V120, assertManifestStored, assertSameFragments, framesRead, packagedPushes, type Objects } from './helpers.js';
import { readMpd } from '../../src/formats/dash/readMpd.js';
import { createOrigin } from '../../src/origin/createOrigin.js';
import { openOriginRoot, type OpenRootOptions } from '../../src/origin/openOriginRoot.js';
import { DEFAULT_FRAGMENT_CACHE_CONTROL, DEFAULT_LIVE_CACHE_CONTROL, DEFAULT_MANIFEST_CACHE_CONTROL } from '../../src/plan/cacheControl.js';
import { concat } from '../protect/helpers.js';

let az: Azurite;
let s3: S3rver;

before(async () => {
  [az, s3] = await Promise.all([startAzurite(), startS3rver()]);
  Object.assign(process.env, s3.env, { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
});

after(async () => {
  await Promise.all([az.stop(), s3.stop()]);
});

/** What a store holds under `<name>.ism/`, read back through its own reads. */
async function storedObjects(store: Store & ObjectReader, root: string): Promise<Objects> {
  const out: Objects = new Map();
  // Keys come relative to the folder listed.
  for await (const o of store.list(root)) out.set(o.key, await store.read(`${root}/${o.key}`, 0, o.size));
  return out;
}

const stores: [string, () => Promise<Store & ObjectReader>][] = [
  ['Azurite', () => createAzureStore({ container: 'live', prefix: 'events', endpoint: az.endpoint, env: az.env })],
  ['s3rver', () => createS3Store({ bucket: 'live', prefix: 'events', endpoint: s3.endpoint, forcePathStyle: true })],
];

for (const [label, open] of stores) {
  test(`ffmpeg pushing to ${label}: every fragment stored as pushed, the live Manifest after each, VOD at the end, and a restarted server picks the event up from the store`, async (t) => {
    if (!requireTools(t, 'ffmpeg')) return;
    const store = await open();
    const run = await startIngestRun(store, { finalizeAfterMs: 60_000 });
    let closed = false;
    t.after(() => (closed ? undefined : run.close()));
    const push = pushWithFfmpeg(run.pushUrl('ev', 'all'), [V120, AUDIO]);
    await waitUntil('a live Manifest', () => run.events.some((e) => e.type === 'manifest' && e.live), { timeoutMs: 30_000 });
    // Read whole (the Manifest may be replaced between a HEAD and a GET: the read's ETag check
    // is not used here; and s3rver once answered the HEAD 500 while it replaced the object).
    let failed: unknown;
    const live = await waitUntil(
      'a live Manifest read whole',
      async () => {
        try {
          const info = (await store.head('ev.ism/Manifest'))!;
          return readManifest(new TextDecoder().decode(await store.read('ev.ism/Manifest', 0, info.size, info.etag)));
        } catch (e) {
          failed = e;
          return undefined;
        }
      },
      { detail: () => String(failed) },
    );
    assert.equal(live.isLive, true);
    assert.equal(await push.done, 0, push.stderr());
    await waitUntil('the event to be finalised', () => run.events.some((e) => e.type === 'finalized'), { timeoutMs: 20_000 });
    await run.close();
    closed = true;

    const reader = await open();
    const objects = await storedObjects(reader, 'ev.ism');
    const manifest = readManifest(new TextDecoder().decode(objects.get('Manifest')));
    assert.notEqual(manifest.isLive, true);
    assertManifestStored(manifest, objects);
    assert.equal(assertSameFragments(objects, await packagedPushes([{ inputs: [V120, AUDIO] }])), 8);
    const info = await reader.head('ev.ism/QualityLevels(132419)/Fragments(video=0)');
    assert.ok(info !== undefined);

    // Started again on the same store, the server reads the event back: the same push adds nothing.
    const again = await startIngestRun(await open(), { finalizeAfterMs: 60_000 });
    t.after(() => again.close());
    const repeat = pushWithFfmpeg(again.pushUrl('ev', 'all'), [V120, AUDIO], { realtime: false });
    await repeat.done;
    await waitUntil('the repeated push to end', () => again.events.some((e) => e.type === 'ended' || e.type === 'dropped'), { timeoutMs: 20_000 });
    assert.deepEqual(again.events.find((e) => e.type === 'recovered'), { type: 'recovered', presentation: 'ev', live: false, fragments: 8, orphans: 0 });
    assert.equal(again.events.filter((e) => e.type === 'duplicate').length, 8);
    assert.equal(again.events.filter((e) => e.type === 'fragment').length, 0);
    await reader.close?.();
  });
}

test('delete (for a live DVR window) on a folder, Azurite and s3rver: the object is gone from the listing; deleting what is not there is no error', async () => {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createFolderStore } = await import('../../src/stores/folderStore.js');
  const folder = await mkdtemp(join(tmpdir(), 'smoothpub-delete-'));
  try {
    const all: [string, Store][] = [['folder', createFolderStore(folder)], ...(await Promise.all(stores.map(async ([label, open]) => [label, await open()] as [string, Store])))];
    for (const [label, store] of all) {
      await store.prepare();
      const body = new TextEncoder().encode('fragment');
      const { createHash } = await import('node:crypto');
      const options = { size: body.length, contentType: 'video/mp4', cacheControl: 'no-store', md5: createHash('md5').update(body).digest() };
      await store.put('dvr.ism/QualityLevels(1)/Fragments(video=0)', () => body, options);
      await store.put('dvr.ism/QualityLevels(1)/Fragments(video=1)', () => body, options);
      await store.delete!('dvr.ism/QualityLevels(1)/Fragments(video=0)');
      await store.delete!('dvr.ism/QualityLevels(1)/Fragments(video=0)');
      const keys: string[] = [];
      for await (const o of store.list('dvr.ism')) keys.push(o.key);
      assert.deepEqual(keys, ['QualityLevels(1)/Fragments(video=1)'], label);
      await store.close?.();
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('--dvr 2 s on Azurite: fragments that left the window are deleted from the container, and the VOD Manifest names exactly what is stored', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const open = stores[0]![1];
  const store = await open();
  const run = await startIngestRun(store, { finalizeAfterMs: 60_000, dvrWindowMs: 2000, dvrMarginMs: 1000 });
  let closed = false;
  t.after(() => (closed ? undefined : run.close()));
  const push = pushWithFfmpeg(run.pushUrl('dvrlive', 'all'), [V120, AUDIO]);
  assert.equal(await push.done, 0, push.stderr());
  await waitUntil('the event to be finalised', () => run.events.some((e) => e.type === 'finalized' && e.presentation === 'dvrlive'), { timeoutMs: 20_000 });
  await run.close();
  closed = true;
  assert.ok(run.events.some((e) => e.type === 'removed'), 'fragments were deleted');
  const reader = await open();
  const objects = await storedObjects(reader, 'dvrlive.ism');
  const manifest = readManifest(new TextDecoder().decode(objects.get('Manifest')));
  assert.notEqual(manifest.isLive, true);
  assertManifestStored(manifest, objects);
  const named = manifest.streams.flatMap((s) => s.qualityLevels.flatMap((q) => s.chunks.map((c) => `QualityLevels(${q.bitrate})/Fragments(${s.name}=${c.t})`))).sort();
  const fragments = [...objects.keys()].filter((k) => k.includes('Fragments(')).sort();
  assert.deepEqual(fragments, named, 'every stored fragment is named, and no other');
  assert.ok(fragments.length < 8 && !fragments.includes('QualityLevels(132419)/Fragments(video=0)'), `the oldest deleted (${fragments.join(', ')})`);
  await reader.close?.();
});

const roots: [string, () => Promise<Store & ObjectReader>, () => string, () => OpenRootOptions][] = [
  ['Azurite', () => createAzureStore({ container: 'live', prefix: 'fmt', endpoint: az.endpoint, env: az.env }), () => 'az://live/fmt', () => ({ endpoint: az.endpoint, env: az.env })],
  ['s3rver', () => createS3Store({ bucket: 'live', prefix: 'fmt', endpoint: s3.endpoint, forcePathStyle: true }), () => 's3://live/fmt', () => ({ endpoint: s3.endpoint, forcePathStyle: true })],
];

for (const [label, open, rootSpec, rootOptions] of roots) {
  test(`--formats smooth,dash,hls to ${label}: init segments, a dynamic MPD and sliding playlists in the store while live, static at the end; serve answers them as stored from ${label}`, async (t) => {
    if (!requireTools(t, 'ffmpeg', 'ffprobe')) return;
    const store = await open();
    const run = await startIngestRun(store, { finalizeAfterMs: 60_000, formats: ['smooth', 'dash', 'hls'] });
    let closed = false;
    t.after(() => (closed ? undefined : run.close()));
    const origin = createOrigin({ root: await openOriginRoot(rootSpec(), rootOptions()), onError: (e) => assert.fail(String(e)) });
    t.after(() => origin.close());
    const push = pushWithFfmpeg(run.pushUrl('ev', 'all'), [V120, AUDIO]);
    // While live: the dynamic MPD through serve, with the live Cache-Control, naming stored objects.
    const live = await waitUntil('a dynamic MPD through serve', async () => {
      const r = await origin(new Request('http://serve.test/ev.ism/manifest.mpd'));
      const text = await r.text();
      return r.status === 200 && text.includes('type="dynamic"') ? { text, cacheControl: r.headers.get('cache-control') } : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    assert.equal(live.cacheControl, DEFAULT_LIVE_CACHE_CONTROL);
    assert.match(live.text, /<UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-head:2014" value="manifest.mpd"/, 'UTCTiming: a HEAD of the MPD');
    const liveMpd = readMpd(live.text);
    for (const rep of liveMpd.periods[0]!.adaptationSets.flatMap((a) => a.representations)) {
      for (const url of [rep.initUrl!, ...rep.segments.map((s) => s.url)]) assert.ok((await store.head(`ev.ism/${decodeURIComponent(url)}`)) !== undefined, `${url}, named while live, is stored`);
    }
    assert.equal(await push.done, 0, push.stderr());
    await waitUntil('the event to be finalised', () => run.events.some((e) => e.type === 'finalized'), { timeoutMs: 30_000 });
    await run.close();
    closed = true;

    // At the end, through serve (which trusts what a path is for a second): the static MPD and ended playlists, every video frame from DASH's objects.
    const mpd = await waitUntil('a static MPD through serve', async () => {
      const r = await origin(new Request('http://serve.test/ev.ism/manifest.mpd'));
      const text = await r.text();
      return text.includes('type="static"') ? { text, cacheControl: r.headers.get('cache-control') } : undefined;
    }, { timeoutMs: 5000, intervalMs: 200 });
    assert.equal(mpd.cacheControl, DEFAULT_MANIFEST_CACHE_CONTROL, 'VOD documents: the usual Cache-Control');
    const video = readMpd(mpd.text).periods[0]!.adaptationSets.find((a) => a.contentType === 'video')!.representations[0]!;
    const bytes: Uint8Array[] = [];
    for (const url of [video.initUrl!, ...video.segments.map((s) => s.url)]) {
      const r = await origin(new Request(`http://serve.test/ev.ism/${url}`));
      assert.equal(r.status, 200, url);
      assert.equal(r.headers.get('cache-control'), DEFAULT_FRAGMENT_CACHE_CONTROL, url);
      const body = new Uint8Array(await r.arrayBuffer());
      const key = `ev.ism/${decodeURIComponent(url)}`;
      const info = (await store.head(key))!;
      assert.deepEqual(body, new Uint8Array(await store.read(key, 0, info.size)), `${url}: the stored bytes`);
      bytes.push(body);
    }
    assert.equal(framesRead(concat(bytes)), 192, 'every video frame');
    const master = await (await origin(new Request('http://serve.test/ev.ism/master.m3u8'))).text();
    const playlist = /^(video-\d+\.m3u8)$/m.exec(master)![1]!;
    assert.match(await (await origin(new Request(`http://serve.test/ev.ism/${playlist}`))).text(), /#EXT-X-ENDLIST/);
  });
}
