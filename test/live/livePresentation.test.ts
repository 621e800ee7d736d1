import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HELD_PREFIX, LivePresentation, type TrackDescription } from '../../src/live/livePresentation.js';
import { levelSourceOf, recoverPresentation } from '../../src/live/recoverPresentation.js';
import { readMpd } from '../../src/formats/dash/readMpd.js';
import type { LiveEvent } from '../../src/live/liveEvent.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { indexFile } from '../../src/fragments/indexFile.js';
import { withTfrf } from '../../src/fragments/withTfrf.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fixtures } from '../e2e/helpers.js';
import { initOf, tfrfEntries } from './helpers.js';
import { withDecodeTime } from '../../src/live/liveFormats.js';
import type { Format } from '../../src/formats/model.js';
import type { Store, StoredObject } from '../../src/stores/store.js';

/**
 * A store in memory that counts puts (what a test of the bookkeeping needs; the real stores
 * have their own tests). The copies of held fragments (under HELD_PREFIX) are kept apart in
 * `held`, so `objects` and `puts` are the presentation's.
 */
function memoryStore(): Store & { objects: Map<string, Uint8Array>; puts: string[]; held: Map<string, Uint8Array> } {
  const objects = new Map<string, Uint8Array>();
  const held = new Map<string, Uint8Array>();
  const puts: string[] = [];
  const mapOf = (key: string) => (key.startsWith(`${HELD_PREFIX}/`) || key === HELD_PREFIX ? held : objects);
  return {
    description: 'memory',
    objects,
    puts,
    held,
    prepare: () => Promise.resolve({ created: false }),
    async *list(under = ''): AsyncGenerator<StoredObject> {
      const prefix = under === '' ? '' : `${under}/`;
      for (const [key, bytes] of mapOf(under)) if (key.startsWith(prefix)) yield { key: key.slice(prefix.length), size: bytes.length };
    },
    put: (key, body) => {
      if (mapOf(key) === objects) puts.push(key);
      mapOf(key).set(key, body() as Uint8Array);
      return Promise.resolve();
    },
    get: (key) => Promise.resolve(mapOf(key).get(key)),
    delete: (key) => {
      mapOf(key).delete(key);
      return Promise.resolve();
    },
  };
}

const video = (bitrate: number): TrackDescription => ({ type: 'video', language: 'und', timescale: 10_000_000, bitrate, quality: { bitrate, fourCC: 'H264', codecPrivateData: '0000000167', maxWidth: 320, maxHeight: 180 }, width: 320, height: 180 });

interface Pushed {
  t: bigint;
  d: bigint;
  bytes: Uint8Array;
}

/** Real ffmpeg fragments (moof+mdat, no tfrf) of the clean fixtures: what an encoder pushes. */
async function fragmentsOf(file: string): Promise<Pushed[]> {
  const bytes = new Uint8Array(await readFile(join(fixtures, 'clean', file)));
  const track = (await indexFile(join(fixtures, 'clean', file))).tracks[0]!;
  return track.fragments.map((f) => ({ t: f.time, d: f.duration, bytes: bytes.subarray(f.offset, f.offset + f.size) }));
}

function setup(store = memoryStore(), dvr: { dvrWindow?: bigint; dvrMargin?: bigint; formats?: readonly Format[] } = {}) {
  const events: LiveEvent[] = [];
  const out = { store, withRetries: <T>(_key: string, op: () => Promise<T>) => op(), fragmentCacheControl: 'immutable', manifestCacheControl: 'max-age=1', onEvent: (e: LiveEvent) => events.push(e), ...dvr };
  return { store, events, out, live: new LivePresentation('ev', out) };
}

const manifestOf = (store: ReturnType<typeof memoryStore>) => readManifest(new TextDecoder().decode(store.objects.get('ev.ism/Manifest')));
const times = (store: ReturnType<typeof memoryStore>) => manifestOf(store).streams[0]!.chunks.map((c) => c.t);
const key = (bitrate: number, t: bigint) => `ev.ism/QualityLevels(${bitrate})/Fragments(video=${t})`;
const push = (live: LivePresentation, level: ReturnType<LivePresentation['levelFor']>, f: Pushed, source = 'a') => live.addFragment(level, f.t, f.d, f.bytes, source);

test('each fragment is held back until the next arrives, then stored with a tfrf naming it (mdat as pushed); the last with an empty tfrf at the end', async () => {
  const f = await fragmentsOf('v120.ismv');
  assert.ok(f.length >= 4);
  const { store, live } = setup();
  const level = live.levelFor(video(120), 'a');
  live.feeding(level, 1);
  assert.equal(await push(live, level, f[0]!), 'held');
  assert.equal(store.objects.size, 0, 'nothing stored before the next fragment');
  for (const g of f.slice(1, 4)) assert.equal(await push(live, level, g), 'held');
  for (let i = 0; i < 3; i++) {
    const stored = store.objects.get(key(120, f[i]!.t));
    assert.ok(stored, `fragment ${i} stored`);
    assert.deepEqual(tfrfEntries(stored), [{ time: f[i + 1]!.t, duration: f[i + 1]!.d }], `fragment ${i}: its tfrf names the next`);
    assert.deepEqual(Buffer.from(stored), Buffer.from(withTfrf(f[i]!.bytes, [{ time: f[i + 1]!.t, duration: f[i + 1]!.d }])), 'the pushed fragment with the tfrf added');
    const moofSize = new DataView(stored.buffer, stored.byteOffset).getUint32(0);
    const pushedMoof = new DataView(f[i]!.bytes.buffer, f[i]!.bytes.byteOffset).getUint32(0);
    assert.deepEqual(Buffer.from(stored.subarray(moofSize)), Buffer.from(f[i]!.bytes.subarray(pushedMoof)), 'mdat byte-identical');
  }
  assert.equal(store.objects.has(key(120, f[3]!.t)), false, 'the newest is held');
  assert.deepEqual(times(store), f.slice(0, 3).map((g) => g.t), 'the Manifest names only stored fragments');
  const xml = new TextDecoder().decode(store.objects.get('ev.ism/Manifest'));
  assert.match(xml, /LookaheadCount="1"/);
  assert.match(xml, /LookAheadFragmentCount="1"/);
  assert.equal(manifestOf(store).lookaheadCount, 1);
  live.feeding(level, -1);
  await live.finalize();
  assert.deepEqual(tfrfEntries(store.objects.get(key(120, f[3]!.t))!), [], 'the last fragment: an empty tfrf');
  assert.deepEqual(times(store), f.slice(0, 4).map((g) => g.t));
  assert.equal(manifestOf(store).isLive, undefined);
});

test('a chunk is listed once every connected level has stored it; a level whose encoder stopped no longer holds its stream back', async () => {
  const f = await fragmentsOf('v120.ismv');
  const { store, live } = setup();
  const high = live.levelFor(video(400), 'a');
  const low = live.levelFor(video(120), 'b');
  live.feeding(high, 1);
  live.feeding(low, 1);
  await push(live, high, f[0]!);
  await push(live, high, f[1]!);
  assert.ok(store.objects.has(key(400, f[0]!.t)));
  assert.equal(store.objects.has('ev.ism/Manifest'), false, 'the low level is connected and has no fragment stored yet: nothing listed');
  await push(live, low, f[0]!, 'b');
  await push(live, low, f[1]!, 'b');
  assert.deepEqual(times(store), [f[0]!.t]);
  await push(live, high, f[2]!);
  assert.deepEqual(times(store), [f[0]!.t], 'waiting for the low level');
  live.feeding(low, -1);
  await live.scheduleManifest();
  assert.deepEqual(times(store), [f[0]!.t, f[1]!.t], 'the low encoder stopped: listed');
  const m = manifestOf(store);
  assert.equal(m.isLive, true);
  assert.deepEqual(m.streams[0]!.qualityLevels.map((q) => [q.index, q.bitrate]), [[0, 400], [1, 120]]);
});

test('duplicates (held or stored, compared as pushed) are dropped, another fragment at a pushed time and times going backwards are refused, nothing is put twice', async () => {
  const f = await fragmentsOf('v120.ismv');
  const other = (await fragmentsOf('audio.isma'))[0]!.bytes;
  const { store, live, events } = setup();
  const level = live.levelFor(video(400), 'a');
  assert.equal(await push(live, level, f[0]!), 'held');
  assert.equal(await push(live, level, f[0]!, 'b'), 'duplicate', 'a copy of the held fragment');
  assert.equal(await live.addFragment(level, f[0]!.t, f[0]!.d, other, 'b'), 'refused');
  assert.equal(await push(live, level, f[1]!), 'held');
  assert.equal(await push(live, level, f[0]!, 'b'), 'duplicate', 'a copy of a stored fragment (stored with a tfrf)');
  assert.equal(await live.addFragment(level, f[0]!.t, f[0]!.d, other, 'b'), 'refused');
  assert.equal(await live.addFragment(level, f[1]!.t + f[1]!.d / 2n, f[2]!.d, f[2]!.bytes, 'a'), 'refused', 'overlaps the held one');
  assert.equal(await push(live, level, f[3]!), 'held', 'a gap');
  await live.finalize();
  const fragmentPuts = store.puts.filter((k) => k.includes('Fragments'));
  assert.deepEqual(fragmentPuts, [key(400, f[0]!.t), key(400, f[1]!.t), key(400, f[3]!.t)]);
  assert.deepEqual(tfrfEntries(store.objects.get(key(400, f[1]!.t))!), [{ time: f[3]!.t, duration: f[3]!.d }], 'the tfrf names the fragment after the gap');
  assert.equal(events.filter((e) => e.type === 'refused').length, 3);
  assert.deepEqual(manifestOf(store).streams[0]!.chunks.map((c) => [c.t, c.d]), [[f[0]!.t, f[0]!.d], [f[1]!.t, f[1]!.d], [f[3]!.t, f[3]!.d]]);
  assert.match(new TextDecoder().decode(store.objects.get('ev.ism/Manifest')), new RegExp(`<c t="${f[3]!.t}"`), 'the gap as an explicit t');
  const vod = manifestOf(store);
  assert.equal(vod.isLive, undefined);
  assert.equal(vod.duration, f[3]!.t + f[3]!.d);
});

/**
 * Three fragments pushed to level 400; the server died after storing the third (its tfrf
 * naming the fourth) and before a Manifest named it; then recovered from the store.
 */
async function restartedAfterUnnamedFragment() {
  const f = await fragmentsOf('v120.ismv');
  const { store, live } = setup();
  const level = live.levelFor(video(400), 'a');
  for (const g of f.slice(0, 3)) await push(live, level, g);
  store.objects.set(key(400, f[2]!.t), withTfrf(f[2]!.bytes, [{ time: f[3]!.t, duration: f[3]!.d }]));
  const again = setup(store);
  const recovered = await recoverPresentation('ev', store, again.out);
  return { f, store, again, recovered };
}

test('recovered from the store: the Manifest and a listing; repeated pushes are duplicates of what is stored with its tfrf; a fragment stored after the last Manifest is taken in and listed at the restart (its tfxd says how long it lasts), without a put', async () => {
  const { f, store, again, recovered } = await restartedAfterUnnamedFragment();
  // Its object says how long it lasts (tfxd): taken in and listed at once, the Manifest rewritten.
  assert.deepEqual(again.events.find((e) => e.type === 'recovered'), { type: 'recovered', presentation: 'ev', live: true, fragments: 3, orphans: 0 });
  assert.deepEqual(times(store), [f[0]!.t, f[1]!.t, f[2]!.t]);
  const same = recovered.levelFor(video(400), 'c');
  const putsBefore = store.puts.length;
  assert.equal(await push(recovered, same, f[1]!, 'c'), 'duplicate');
  assert.equal(await recovered.addFragment(same, f[1]!.t, f[1]!.d, f[2]!.bytes, 'c'), 'refused', 'another fragment at a stored time');
  assert.equal(await push(recovered, same, f[2]!, 'c'), 'duplicate');
  assert.deepEqual(store.puts.slice(putsBefore), [], 'nothing was written again');
  assert.deepEqual(times(store), [f[0]!.t, f[1]!.t, f[2]!.t]);
  assert.equal(await push(recovered, same, f[3]!, 'c'), 'held');
  await recovered.finalize();
  assert.deepEqual(times(store), f.slice(0, 4).map((g) => g.t));
  // Another codec setup at the same bitrate is a different encoder: refused.
  assert.throws(() => recovered.levelFor({ ...video(400), quality: { ...video(400).quality, codecPrivateData: '0000000168' } }, 'd'), { code: 'live.bad-push' });
});

test('after a restart, a fragment stored before the crash and pushed by the encoder behind another that is ahead is a duplicate, and the one held ahead of it is kept', async () => {
  const { f, store, recovered } = await restartedAfterUnnamedFragment();
  const ahead = recovered.levelFor(video(400), 'ahead');
  const behind = recovered.levelFor(video(400), 'behind');
  assert.equal(ahead, behind, 'redundant encoders feed one level');
  assert.equal(await push(recovered, ahead, f[3]!, 'ahead'), 'held');
  assert.equal(await push(recovered, behind, f[2]!, 'behind'), 'duplicate', 'stored after the last Manifest, listed again at the restart');
  assert.equal(await push(recovered, behind, f[3]!, 'behind'), 'duplicate', 'the copy held from the encoder ahead is kept');
  await recovered.finalize();
  assert.deepEqual(times(store), f.slice(0, 4).map((g) => g.t), 'every fragment stored, the one held across the adoption too');
});

test('a fragment the store failed to take can be sent again (no backwards refusal), and the Manifest never names it meanwhile', async () => {
  const f = await fragmentsOf('v120.ismv');
  const { store, live } = setup();
  const level = live.levelFor(video(400), 'a');
  await push(live, level, f[0]!);
  await push(live, level, f[1]!);
  const put = store.put;
  store.put = () => Promise.reject(new Error('store down'));
  await assert.rejects(push(live, level, f[2]!), /store down/);
  assert.deepEqual(times(store), [f[0]!.t]);
  store.put = put;
  assert.equal(await push(live, level, f[1]!, 'b'), 'held');
  assert.equal(await push(live, level, f[2]!, 'b'), 'held');
  assert.deepEqual(times(store), [f[0]!.t, f[1]!.t]);
});

test('--dvr: the live Manifest names the window (DVRWindowLength), fragments that left it a margin ago are deleted, the VOD Manifest names what is still stored', async () => {
  const f = await fragmentsOf('v120.ismv');
  const W = 20_000_000n;
  const M = 20_000_000n;
  const { store, live, events } = setup(memoryStore(), { dvrWindow: W, dvrMargin: M });
  const level = live.levelFor(video(120), 'a');
  live.feeding(level, 1);
  const stored = (i: number) => store.objects.has(key(120, f[i]!.t));
  await push(live, level, f[0]!);
  for (let n = 1; n < f.length; n++) {
    await push(live, level, f[n]!);
    // Stored (and listed): f[0..n-1]; the edge is the end of f[n-1].
    const edge = f[n - 1]!.t + f[n - 1]!.d;
    const m = manifestOf(store);
    assert.equal(m.dvrWindowLength, W);
    const expected = f.slice(0, n).filter((g, i) => i === n - 1 || g.t + g.d > edge - W).map((g) => g.t);
    assert.deepEqual(m.streams[0]!.chunks.map((c) => c.t), expected, `after fragment ${n}: the window's chunks`);
    for (let i = 0; i < n; i++) assert.equal(stored(i), f[i]!.t + f[i]!.d > edge - W - M, `after fragment ${n}: fragment ${i} stored only until a margin after it left the window`);
  }
  live.feeding(level, -1);
  await live.finalize();
  const vod = manifestOf(store);
  const left = f.filter((_, i) => stored(i)).map((g) => g.t);
  assert.ok(left.length < f.length && left.length >= 2, `some fragments deleted, some kept (${left.length} of ${f.length})`);
  assert.deepEqual(vod.streams[0]!.chunks.map((c) => c.t), left, 'the VOD Manifest names exactly what is stored');
  assert.equal(vod.isLive, undefined);
  assert.ok(events.some((e) => e.type === 'removed'));
});

test('--dvr with HLS: every live media playlist pairs its first segment with that segment\'s media sequence, also when fragments are stored while a Manifest is being put', async () => {
  const f = await fragmentsOf('v120.ismv');
  const store = memoryStore();
  const playlists: string[] = [];
  let gate: Promise<void> | undefined;
  const put = store.put;
  store.put = async (key, body, options) => {
    if (key === 'ev.ism/Manifest' && gate !== undefined) await gate;
    if (key.endsWith('.m3u8') && key !== 'ev.ism/master.m3u8') playlists.push(new TextDecoder().decode(body() as Uint8Array));
    return put(key, body, options);
  };
  // A window of about one fragment: it moves with every fragment stored; nothing is deleted (margin).
  const { live } = setup(store, { formats: ['smooth', 'hls'], dvrWindow: 20_000_000n, dvrMargin: 600_000_000n });
  const level = live.levelFor(video(400), 'a');
  // What the connection takes from the pushed moov (the DASH/HLS init segment is made from it).
  level.source = levelSourceOf(await initOf(join(fixtures, 'clean', 'v120.ismv')))!;
  live.feeding(level, 1);
  await push(live, level, f[0]!);
  await push(live, level, f[1]!);
  let open!: () => void;
  gate = new Promise((resolve) => (open = resolve));
  // f[1] is stored and a Manifest write starts (held at the gate); f[2] is stored meanwhile.
  const second = push(live, level, f[2]!);
  const third = push(live, level, f[3]!);
  open();
  gate = undefined;
  await Promise.all([second, third]);
  live.feeding(level, -1);
  assert.ok(playlists.length >= 3, `${playlists.length} live playlists written`);
  for (const text of playlists) {
    const sequence = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)![1]);
    const first = BigInt(/Fragments\(video=(\d+)\)/.exec(text)![1]!);
    assert.equal(sequence, f.findIndex((g) => g.t === first), `media sequence ${sequence} for the segment at ${first}:\n${text}`);
  }
});

test('--formats dash/hls: every fragment stored with a tfdt before its tfrf; after a restart a repeated push is a duplicate of it, and one stored with a tfdt after the last Manifest is taken in at the restart', async () => {
  const f = await fragmentsOf('v120.ismv');
  const formats = ['smooth', 'dash', 'hls'] as const;
  const store = memoryStore();
  const first = setup(store, { formats });
  const level = first.live.levelFor(video(400), 'a');
  for (const g of f.slice(0, 3)) await push(first.live, level, g);
  for (const g of f.slice(0, 2)) {
    const stored = store.objects.get(key(400, g.t))!;
    assert.equal(withDecodeTime(stored, g.t, g.d, 0), stored, 'stored with a tfdt and track 1 already');
    assert.equal(stored.length, g.bytes.length + 20 + withTfrf(g.bytes, [{ time: 0n, duration: 0n }]).length - g.bytes.length, 'pushed + tfdt + tfrf');
  }
  // The server died after storing the held fragment and before the Manifest named it.
  store.objects.set(key(400, f[2]!.t), withTfrf(withDecodeTime(f[2]!.bytes, f[2]!.t, f[2]!.d, 0), [{ time: f[3]!.t, duration: f[3]!.d }]));
  const again = setup(store, { formats });
  const recovered = await recoverPresentation('ev', store, again.out);
  const same = recovered.levelFor(video(400), 'c');
  const putsBefore = store.puts.length;
  assert.equal(await push(recovered, same, f[1]!, 'c'), 'duplicate');
  assert.equal(await push(recovered, same, f[2]!, 'c'), 'duplicate', 'taken in at the restart (its tfxd says how long it lasts), then matched with its tfdt');
  assert.deepEqual(store.puts.slice(putsBefore), [], 'nothing was written again');
  assert.equal(again.events.filter((e) => e.type === 'refused').length, 0);
});

test('--formats after a restart: levels read back are in the MPD and playlists from their stored init segments before they are fed again, and availabilityStartTime is kept', async () => {
  const formats = ['smooth', 'dash', 'hls'] as const;
  const store = memoryStore();
  const first = setup(store, { formats });
  const levels = [
    { bitrate: 400, fragments: await fragmentsOf('v120.ismv'), source: levelSourceOf(await initOf(join(fixtures, 'clean', 'v120.ismv')))! },
    { bitrate: 250, fragments: await fragmentsOf('v250.ismv'), source: levelSourceOf(await initOf(join(fixtures, 'clean', 'v250.ismv')))! },
  ];
  for (const l of levels) {
    const level = first.live.levelFor(video(l.bitrate), `push${l.bitrate}`);
    // What the connection takes from the pushed moov.
    level.source = l.source;
    for (const g of l.fragments.slice(0, 3)) await push(first.live, level, g, `push${l.bitrate}`);
  }
  const mpdText = (): string => new TextDecoder().decode(store.objects.get('ev.ism/manifest.mpd'));
  const startOf = (text: string): string => /availabilityStartTime="([^"]+)"/.exec(text)![1]!;
  const before = readMpd(mpdText());
  assert.equal(before.type, 'dynamic');
  assert.deepEqual(before.periods[0]!.adaptationSets[0]!.representations.map((r) => r.bandwidth).sort(), [250, 400]);
  const startBefore = startOf(mpdText());

  // Started again (each level's third fragment was held back, lost): only the 400 level's encoder comes back.
  const again = setup(store, { formats });
  const recovered = await recoverPresentation('ev', store, again.out);
  assert.ok(recovered.streams[0]!.levels.every((l) => l.initStored === true && l.source?.kind === 'video'), 'every level has its source from its stored init segment');
  const fed = recovered.levelFor(video(400), 'c');
  const putsBefore = store.puts.length;
  for (const g of levels[0]!.fragments.slice(2, 4)) await push(recovered, fed, g, 'c');
  const after = readMpd(mpdText());
  assert.equal(after.type, 'dynamic');
  const reps = after.periods[0]!.adaptationSets[0]!.representations;
  assert.ok(reps.find((r) => r.bandwidth === 400)!.segments.some((sg) => sg.time === levels[0]!.fragments[2]!.t), 'the MPD was rewritten after the restart: it names a fragment pushed since');
  assert.deepEqual(reps.map((r) => r.bandwidth).sort(), [250, 400], 'the level not fed again is still in the MPD');
  assert.equal(startOf(mpdText()), startBefore, 'availabilityStartTime kept across the restart');
  const master = new TextDecoder().decode(store.objects.get('ev.ism/master.m3u8'));
  assert.ok(master.includes('video-250.m3u8') && master.includes('video-400.m3u8'), master);
  assert.ok(!store.puts.slice(putsBefore).some((k) => k.endsWith('=i)')), 'no init segment stored again');
});
