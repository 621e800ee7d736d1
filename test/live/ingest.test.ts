import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFolderStore } from '../../src/stores/folderStore.js';
import { StoreError } from '../../src/stores/store.js';
import { startStaticServer } from '../../src/play/staticServer.js';
import { verifyPresentation } from '../../src/verify/verifyPresentation.js';
import type { LiveEvent } from '../../src/live/liveEvent.js';
import { requireTools } from '../harness/ci.js';
import { pushWithFfmpeg, startIngestRun } from '../harness/livePush.js';
import { waitUntil } from '../harness/waitUntil.js';
import { concat } from '../protect/helpers.js';
import { fixtures } from '../e2e/helpers.js';
import { AUDIO, V120, V250, V400, assertManifestStored, assertSameFragments, folderObjects, framesRead, initOf, manifestIn, packagedPushes } from './helpers.js';

const PUSH_MS = 60_000;

async function tempFolder(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'smoothpub-ingest-'));
  t.after(() => rm(folder, { recursive: true, force: true }));
  return folder;
}

const finalized = (events: LiveEvent[], name: string): boolean => events.some((e) => e.type === 'finalized' && e.presentation === name);
const storedKeys = (events: LiveEvent[]): string[] => events.flatMap((e) => (e.type === 'fragment' && e.action === 'stored' ? [e.key] : []));

test('ffmpeg pushes video and audio in one stream: each fragment stored as pushed, a live Manifest naming only stored fragments while it runs, then VOD that verify and ffmpeg read', async (t) => {
  if (!requireTools(t, 'ffmpeg', 'ffprobe')) return;
  const folder = await tempFolder(t);
  const run = await startIngestRun(createFolderStore(folder), { finalizeAfterMs: 60_000 });
  t.after(() => run.close());
  const root = join(folder, 'ev.ism');
  const push = pushWithFfmpeg(run.pushUrl('ev', 's1'), [V120, AUDIO]);
  let exited = false;
  void push.done.then(() => (exited = true));
  const liveChunks: number[] = [];
  // While it runs, every Manifest read is live and names only what the store holds.
  await waitUntil(
    'the push to end',
    async () => {
      const manifest = await manifestIn(root);
      if (manifest !== undefined && !finalized(run.events, 'ev')) {
        const objects = await folderObjects(root);
        // Read after the Manifest: whatever it named was stored before it was written.
        if (manifest.isLive === true) {
          assert.equal(manifest.duration, 0n, 'a live Manifest says Duration 0');
          assertManifestStored(manifest, objects);
          liveChunks.push(manifest.streams[0]!.chunks.length);
        }
      }
      return exited;
    },
    { timeoutMs: PUSH_MS, intervalMs: 150 },
  );
  assert.equal(await push.done, 0, push.stderr());
  assert.ok(liveChunks.some((n) => n >= 1 && n < 4), `a live Manifest with part of the event was seen (video chunks seen: ${[...new Set(liveChunks)].join(', ')})`);
  await waitUntil('the event to be finalised', () => finalized(run.events, 'ev'));
  const manifest = (await manifestIn(root))!;
  assert.notEqual(manifest.isLive, true, 'VOD after the end');
  const objects = await folderObjects(root);
  assertManifestStored(manifest, objects);
  const reference = await packagedPushes([{ inputs: [V120, AUDIO] }]);
  assert.equal(assertSameFragments(objects, reference), 8);
  // The same timeline and duration as the packaged presentation's.
  const { readManifest } = await import('../../src/smooth/readManifest.js');
  const ref = readManifest(new TextDecoder().decode(reference.get('Manifest')));
  assert.equal(manifest.duration, ref.duration);
  assert.deepEqual(manifest.streams.map((s) => [s.name, s.chunks]), ref.streams.map((s) => [s.name, s.chunks]));
  assert.equal(new Set(storedKeys(run.events)).size, storedKeys(run.events).length, 'no fragment uploaded twice');

  const web = await startStaticServer({ root, mount: '/ev.ism/' });
  t.after(() => web.close());
  const report = await verifyPresentation(`${web.url}ev.ism/Manifest`);
  assert.deepEqual(report.problems, []);
  assert.equal(report.fragments, 8);
  // ffmpeg decodes every video frame from the stored fragments behind the source's moov.
  const video = [...objects.keys()].filter((k) => k.includes('Fragments(video=')).sort((a, b) => Number(/=(\d+)/.exec(a)![1]) - Number(/=(\d+)/.exec(b)![1]));
  assert.equal(framesRead(concat([await initOf(V120), ...video.map((k) => objects.get(k)!)])), 192);
});

test('one ffmpeg per quality level (each with the same audio): three video levels, one audio level stored once, every fragment as package makes it', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const folder = await tempFolder(t);
  const run = await startIngestRun(createFolderStore(folder), { finalizeAfterMs: 60_000 });
  t.after(() => run.close());
  const pushes = [V400, V250, V120].map((v, i) => pushWithFfmpeg(run.pushUrl('ladder', `level${i}`), [v, AUDIO]));
  for (const p of pushes) assert.equal(await p.done, 0, p.stderr());
  await waitUntil('the event to be finalised', () => finalized(run.events, 'ladder'), { timeoutMs: 20_000 });
  const root = join(folder, 'ladder.ism');
  const manifest = (await manifestIn(root))!;
  assert.deepEqual(manifest.streams.map((s) => [s.name, s.qualityLevels.length, s.chunks.length]), [['video', 3, 4], ['audio', 1, 4]]);
  const objects = await folderObjects(root);
  assertManifestStored(manifest, objects);
  assert.equal(assertSameFragments(objects, await packagedPushes([V400, V250, V120].map((v) => ({ inputs: [v, AUDIO] })))), 16);
  // The audio came three times: stored once, the other copies dropped as duplicates.
  const keys = storedKeys(run.events);
  assert.equal(new Set(keys).size, keys.length);
  assert.equal(run.events.filter((e) => e.type === 'duplicate' && e.stream === 'audio').length, 8);
});

test('two redundant encoders pushing the same stream: one copy of each fragment, the later one checked and dropped, no duplicate timestamps', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const folder = await tempFolder(t);
  const run = await startIngestRun(createFolderStore(folder), { finalizeAfterMs: 60_000 });
  t.after(() => run.close());
  const pushes = ['main', 'backup'].map((id) => pushWithFfmpeg(run.pushUrl('red', id), [V120, AUDIO]));
  for (const p of pushes) assert.equal(await p.done, 0, p.stderr());
  await waitUntil('the event to be finalised', () => finalized(run.events, 'red'), { timeoutMs: 20_000 });
  const root = join(folder, 'red.ism');
  const manifest = (await manifestIn(root))!;
  for (const s of manifest.streams) {
    assert.equal(s.qualityLevels.length, 1);
    assert.equal(new Set(s.chunks.map((c) => c.t)).size, s.chunks.length, `${s.name}: no timestamp twice`);
    assert.equal(s.chunks.length, 4);
  }
  const keys = storedKeys(run.events);
  assert.equal(keys.length, 8);
  assert.equal(new Set(keys).size, 8);
  const duplicates = run.events.filter((e) => e.type === 'duplicate');
  assert.equal(duplicates.length, 8, 'each fragment came twice');
  assert.equal(assertSameFragments(await folderObjects(root), await packagedPushes([{ inputs: [V120, AUDIO] }])), 8);
});

test('an encoder killed and started again later in the event: the timeline shows the gap, nothing is uploaded twice or overwritten', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const folder = await tempFolder(t);
  const run = await startIngestRun(createFolderStore(folder), { finalizeAfterMs: 60_000 });
  t.after(() => run.close());
  const first = pushWithFfmpeg(run.pushUrl('gap', 'enc'), [V120, AUDIO]);
  await waitUntil('the first video fragment', () => storedKeys(run.events).some((k) => k.includes('Fragments(video=0)')), { timeoutMs: PUSH_MS });
  first.kill('SIGKILL');
  await first.done;
  await waitUntil('the cut push to be seen', () => run.events.some((e) => e.type === 'ended' || e.type === 'dropped'));
  const before = new Set(storedKeys(run.events));
  // Video 0 is stored once video 2 s has arrived (held back for its tfrf); 4 s comes about 2 s later.
  assert.ok(![...before].some((k) => k.includes('video=20000000') || k.includes('video=40000000')), `killed with the second video fragment held back (stored: ${[...before].join(', ')})`);
  // The encoder comes back 6 s into the event (its timestamps go on from there).
  const second = pushWithFfmpeg(run.pushUrl('gap', 'enc'), [V120, AUDIO], { startAt: 6 });
  assert.equal(await second.done, 0, second.stderr());
  await waitUntil('the event to be finalised', () => finalized(run.events, 'gap'), { timeoutMs: 20_000 });
  const root = join(folder, 'gap.ism');
  const manifest = (await manifestIn(root))!;
  const video = manifest.streams.find((s) => s.name === 'video')!;
  // The held fragment (2 s) is stored when the restarted encoder's first one arrives, its tfrf naming it across the gap.
  assert.deepEqual(video.chunks.map((c) => c.t), [0n, 20000000n, 60000000n]);
  const objects = await folderObjects(root);
  assertManifestStored(manifest, objects);
  assert.ok(!objects.has('QualityLevels(132419)/Fragments(video=40000000)'));
  const keys = storedKeys(run.events);
  assert.equal(new Set(keys).size, keys.length, 'no key stored twice');
  // Each stored fragment is what its push sent: the first push's before 4 s, the second's from 6 s.
  const first_ = await packagedPushes([{ inputs: [V120, AUDIO] }]);
  const second_ = await packagedPushes([{ inputs: [V120, AUDIO], options: { startAt: 6 } }]);
  const [early, late] = [new Map<string, Uint8Array>(), new Map<string, Uint8Array>()];
  for (const [key, bytes] of objects) {
    const time = /Fragments\(\w+=(\d+)\)$/.exec(key);
    if (time !== null) (Number(time[1]) < 40_000_000 ? early : late).set(key, bytes);
  }
  assert.ok(early.size >= 3 && late.size >= 2, `fragments of both pushes (${[...early.keys(), ...late.keys()].join(', ')})`);
  assertSameFragments(early, first_, objects);
  assertSameFragments(late, second_, objects);
});

test('with --auth: a wrong secret, a push without credentials, garbage and an over-sized fragment are refused and logged while another push goes on; the password is never reported', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const folder = await tempFolder(t);
  const secret = 'p4ss-w0rd-xyz';
  const run = await startIngestRun(createFolderStore(folder), { finalizeAfterMs: 60_000, auth: { user: 'enc', password: secret }, maxFragmentSize: 60_000 });
  t.after(() => run.close());
  const good = pushWithFfmpeg(run.pushUrl('good', 'all', `enc:${secret}`), [V120, AUDIO]);
  await waitUntil('the good push to store a fragment', () => storedKeys(run.events).length > 0, { timeoutMs: PUSH_MS });
  const wrong = pushWithFfmpeg(run.pushUrl('wrong', 'all', 'enc:nope'), [V120], { realtime: false });
  const anonymous = pushWithFfmpeg(run.pushUrl('anon', 'all'), [V120], { realtime: false });
  // v400's fragments (about 100 kB) are above the 60,000-byte bound; v120's and the audio's are below.
  const big = pushWithFfmpeg(run.pushUrl('big', 'all', `enc:${secret}`), [V400], { realtime: false });
  const garbageStatus = await new Promise<number>((resolve, reject) => {
    const req = request(`${run.ingest.url}/junk.isml/Streams(x)`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`enc:${secret}`).toString('base64')}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(-1));
    req.write(Buffer.from('this is not a fragmented MP4 push '.repeat(100)));
    req.end();
    setTimeout(() => reject(new Error('no answer to the garbage push')), 10_000).unref();
  });
  assert.ok(garbageStatus === 400 || garbageStatus === -1, `garbage answered ${garbageStatus}`);
  // ffmpeg's exit code says little (it never reads an answer): judged on the server's side.
  await Promise.all([wrong.done, anonymous.done, big.done]);
  assert.equal(await good.done, 0, good.stderr());
  await waitUntil('the good event to be finalised', () => finalized(run.events, 'good'), { timeoutMs: 20_000 });

  const rejected = run.events.filter((e) => e.type === 'rejected' && e.status === 401);
  assert.ok(rejected.some((e) => e.type === 'rejected' && e.path.startsWith('/wrong.isml')));
  assert.ok(rejected.some((e) => e.type === 'rejected' && e.path.startsWith('/anon.isml')));
  const dropped = run.events.filter((e): e is Extract<LiveEvent, { type: 'dropped' }> => e.type === 'dropped');
  const junk = dropped.find((e) => e.source.startsWith('junk.isml'));
  assert.equal(junk?.code, 'live.bad-push');
  assert.equal(junk.offset, 0);
  const bigDrop = dropped.find((e) => e.source.startsWith('big.isml'));
  assert.equal(bigDrop?.code, 'live.bad-push');
  assert.match(bigDrop.message, /'mdat' of \d+ bytes is larger than --max-fragment-size \(60000 bytes\)/);
  const objects = await folderObjects(folder);
  assert.deepEqual([...objects.keys()].filter((k) => !k.startsWith('good.ism/')), [], 'nothing stored for the refused pushes');
  assert.equal(assertSameFragments(await folderObjects(join(folder, 'good.ism')), await packagedPushes([{ inputs: [V120, AUDIO] }])), 8);
  assert.ok(!JSON.stringify(run.events).includes(secret), 'the password is in no event');
});

test('the live fixture for player tests: a live Manifest over HTTP while ffmpeg pushes a looped input, VOD after with every looped fragment', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const { startLiveFixture } = await import('../harness/livePush.js');
  const live = await startLiveFixture([V120, AUDIO], { loop: 1 });
  t.after(() => live.close());
  const first = await waitUntil('a live Manifest over HTTP', async () => {
    const res = await fetch(live.manifestUrl);
    const text = await res.text();
    return res.status === 200 && text.includes('IsLive="TRUE"') ? text : undefined;
  }, { timeoutMs: 30_000, intervalMs: 100 });
  assert.match(first, /Duration="0"/);
  assert.equal(await live.push.done, 0, live.push.stderr());
  await waitUntil('the event to be finalised', () => finalized(live.events, live.name), { timeoutMs: 20_000 });
  const vod = await (await fetch(live.manifestUrl)).text();
  assert.doesNotMatch(vod, /IsLive/);
  const report = await verifyPresentation(live.manifestUrl);
  assert.deepEqual(report.problems, []);
  // -stream_loop 1: the 8 s input twice, its timestamps running on.
  assert.equal(report.fragments, 16);
});

test('--archive: at the end of the event each level is also an .ismv that package reads back to the same fragments and ffmpeg decodes whole, its first put failing once', async (t) => {
  if (!requireTools(t, 'ffmpeg', 'ffprobe')) return;
  const folder = await tempFolder(t);
  // Each archive's first put fails as a busy store does: the retry must send it whole, MD5 and all.
  const store = createFolderStore(folder);
  const failed = new Set<string>();
  const flaky: typeof store = {
    ...store,
    put: async (key, body, options) => {
      if (key.includes('.archive/') && !failed.has(key)) {
        failed.add(key);
        throw new StoreError(`${key}: 503 (test)`, { retryable: true, throttled: false, key });
      }
      return store.put(key, body, options);
    },
  };
  const run = await startIngestRun(flaky, { finalizeAfterMs: 60_000, archive: true, retry: { retries: 3, baseDelayMs: 10, maxDelayMs: 50 } });
  t.after(() => run.close());
  const push = pushWithFfmpeg(run.pushUrl('arc', 'all'), [V120, AUDIO], { realtime: false });
  assert.equal(await push.done, 0, push.stderr());
  await waitUntil('both levels archived', () => run.events.filter((e) => e.type === 'archived').length === 2, { timeoutMs: 20_000 });
  const files = run.events.flatMap((e) => (e.type === 'archived' ? [join(folder, e.key)] : []));
  assert.deepEqual(files.map((f) => f.slice(folder.length + 1)).sort(), ['arc.archive/audio_64301.ismv', 'arc.archive/video_132419.ismv']);
  assert.equal(failed.size, 2, 'each archive was put twice');
  const { readFile } = await import('node:fs/promises');
  assert.equal(framesRead(new Uint8Array(await readFile(files.find((f) => f.includes('video'))!))), 192);
  const { runBin } = await import('../cli/runBin.js');
  const out = join(folder, 'repackaged.ism');
  const r = await runBin(['package', ...files, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(assertSameFragments(await folderObjects(join(folder, 'arc.ism')), await folderObjects(out)), 8);
});

test('--dvr 2 s: live Manifests name only the window and only stored fragments; fragments that left it are deleted from the folder a margin later; the VOD Manifest names exactly what is stored', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const folder = await tempFolder(t);
  const run = await startIngestRun(createFolderStore(folder), { finalizeAfterMs: 60_000, dvrWindowMs: 2000, dvrMarginMs: 1000 });
  t.after(() => run.close());
  const root = join(folder, 'dvr.ism');
  const push = pushWithFfmpeg(run.pushUrl('dvr', 's1'), [V120, AUDIO]);
  let exited = false;
  void push.done.then(() => (exited = true));
  const firstListed = new Set<bigint>();
  await waitUntil(
    'the push to end',
    async () => {
      const manifest = await manifestIn(root);
      if (manifest?.isLive === true && !finalized(run.events, 'dvr')) {
        assert.equal(manifest.dvrWindowLength, 20_000_000n, 'DVRWindowLength: 2 s');
        const objects = await folderObjects(root);
        // Read after the Manifest: a chunk it names leaves the store only 1 s after it left the window.
        const video = manifest.streams.find((s) => s.name === 'video')!;
        assert.ok(video.chunks.length <= 2, `at most the chunks touching a 2 s window (${video.chunks.length})`);
        assertManifestStored(manifest, objects);
        firstListed.add(video.chunks[0]!.t);
      }
      return exited;
    },
    { timeoutMs: PUSH_MS, intervalMs: 150 },
  );
  assert.equal(await push.done, 0, push.stderr());
  await waitUntil('the event to be finalised', () => finalized(run.events, 'dvr'), { timeoutMs: 20_000 });
  assert.ok(firstListed.size >= 2, `the window slid while live (first chunks seen: ${[...firstListed].join(', ')})`);
  const removed = run.events.filter((e) => e.type === 'removed');
  assert.ok(removed.length > 0, 'fragments were deleted');
  const manifest = (await manifestIn(root))!;
  assert.notEqual(manifest.isLive, true);
  const objects = await folderObjects(root);
  assertManifestStored(manifest, objects);
  const named = new Set(manifest.streams.flatMap((s) => s.qualityLevels.flatMap((q) => s.chunks.map((c) => `QualityLevels(${q.bitrate})/Fragments(${s.name}=${c.t})`))));
  const fragments = [...objects.keys()].filter((k) => k.includes('Fragments('));
  assert.deepEqual(fragments.sort(), [...named].sort(), 'every stored fragment is named, and no other');
  assert.ok(!objects.has('QualityLevels(132419)/Fragments(video=0)') && fragments.length < 8, `the oldest deleted (${fragments.join(', ')})`);
  const web = await startStaticServer({ root, mount: '/dvr.ism/' });
  t.after(() => web.close());
  assert.deepEqual((await verifyPresentation(`${web.url}dvr.ism/Manifest`)).problems, []);
});

test('an open-GOP push (ffmpeg -f ismv, x264 open-gop=1): fragments are named by when their samples decode, as package names them, not by the keyframe presentation times in tfxd', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const folder = await tempFolder(t);
  const run = await startIngestRun(createFolderStore(folder), { finalizeAfterMs: 60_000 });
  t.after(() => run.close());
  const source = join(fixtures, 'opengop', 'v300.ismv');
  const push = pushWithFfmpeg(run.pushUrl('ev', 'v'), [source], { realtime: false });
  assert.equal(await push.done, 0, push.stderr());
  await waitUntil('the event to be finalised', () => finalized(run.events, 'ev'), { timeoutMs: PUSH_MS });
  const root = join(folder, 'ev.ism');
  const manifest = (await manifestIn(root))!;
  // ffmpeg's tfxd says the keyframes' presentation times, 2 s apart; the samples decode 1.9, 2, 2 and 2.1 s long, back to back.
  const chunks = manifest.streams[0]!.chunks;
  assert.deepEqual(chunks.map((c) => c.d), [19_000_000n, 20_000_000n, 20_000_000n, 21_000_000n]);
  chunks.slice(1).forEach((c, i) => assert.equal(c.t, chunks[i]!.t + chunks[i]!.d, `chunk ${i + 1} starts where chunk ${i} ends`));
  const objects = await folderObjects(root);
  assertManifestStored(manifest, objects);
  assert.equal(assertSameFragments(objects, await packagedPushes([{ inputs: [source] }])), objects.size - 1, 'every fragment (video and audio) is the packaged one');
});
