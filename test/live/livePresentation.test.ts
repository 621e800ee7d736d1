import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LivePresentation, type TrackDescription } from '../../src/live/livePresentation.js';
import { recoverPresentation } from '../../src/live/recoverPresentation.js';
import type { LiveEvent } from '../../src/live/liveEvent.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import type { Store, StoredObject } from '../../src/stores/store.js';

/** A store in memory that counts puts (what a test of the bookkeeping needs; the real stores have their own tests). */
function memoryStore(): Store & { objects: Map<string, Uint8Array>; puts: string[] } {
  const objects = new Map<string, Uint8Array>();
  const puts: string[] = [];
  return {
    description: 'memory',
    objects,
    puts,
    prepare: () => Promise.resolve({ created: false }),
    async *list(under = ''): AsyncGenerator<StoredObject> {
      const prefix = under === '' ? '' : `${under}/`;
      for (const [key, bytes] of objects) if (key.startsWith(prefix)) yield { key: key.slice(prefix.length), size: bytes.length };
    },
    put: (key, body) => {
      puts.push(key);
      objects.set(key, body() as Uint8Array);
      return Promise.resolve();
    },
    get: (key) => Promise.resolve(objects.get(key)),
  };
}

const video = (bitrate: number): TrackDescription => ({ type: 'video', language: 'und', timescale: 10_000_000, bitrate, quality: { bitrate, fourCC: 'H264', codecPrivateData: '0000000167', maxWidth: 320, maxHeight: 180 }, width: 320, height: 180 });
const S = 20_000_000n;

function setup(store = memoryStore()) {
  const events: LiveEvent[] = [];
  const out = { store, withRetries: <T>(_key: string, op: () => Promise<T>) => op(), fragmentCacheControl: 'immutable', manifestCacheControl: 'max-age=1', onEvent: (e: LiveEvent) => events.push(e) };
  return { store, events, out, live: new LivePresentation('ev', out) };
}

const manifestOf = (store: ReturnType<typeof memoryStore>) => readManifest(new TextDecoder().decode(store.objects.get('ev.ism/Manifest')));
const times = (store: ReturnType<typeof memoryStore>) => manifestOf(store).streams[0]!.chunks.map((c) => c.t);

test('a chunk is listed once every connected level has it; a level whose encoder stopped no longer holds its stream back', async () => {
  const { store, live } = setup();
  const high = live.levelFor(video(400), 'a');
  const low = live.levelFor(video(120), 'b');
  live.feeding(high, 1);
  live.feeding(low, 1);
  await live.addFragment(high, 0n, S, new Uint8Array(10), 'a');
  assert.equal(store.objects.has('ev.ism/Manifest'), false, 'the low level is connected and has no fragment yet: nothing listed');
  await live.addFragment(low, 0n, S, new Uint8Array(5), 'b');
  assert.deepEqual(times(store), [0n]);
  await live.addFragment(high, S, S, new Uint8Array(10), 'a');
  assert.deepEqual(times(store), [0n], 'waiting for the low level');
  live.feeding(low, -1);
  await live.scheduleManifest();
  assert.deepEqual(times(store), [0n, S], 'the low encoder stopped: listed');
  const m = manifestOf(store);
  assert.equal(m.isLive, true);
  assert.deepEqual(m.streams[0]!.qualityLevels.map((q) => [q.index, q.bitrate]), [[0, 400], [1, 120]]);
});

test('duplicates are dropped, another size at a stored time and times going backwards are refused, nothing is put twice', async () => {
  const { store, live, events } = setup();
  const level = live.levelFor(video(400), 'a');
  assert.equal(await live.addFragment(level, 0n, S, new Uint8Array(10), 'a'), 'stored');
  assert.equal(await live.addFragment(level, 0n, S, new Uint8Array(10), 'b'), 'duplicate');
  assert.equal(await live.addFragment(level, 0n, S, new Uint8Array(11), 'b'), 'refused');
  assert.equal(await live.addFragment(level, S, S, new Uint8Array(10), 'a'), 'stored');
  assert.equal(await live.addFragment(level, S / 2n, S, new Uint8Array(10), 'a'), 'refused', 'overlaps the first');
  assert.equal(await live.addFragment(level, 4n * S, S, new Uint8Array(10), 'a'), 'stored', 'a gap');
  const fragmentPuts = store.puts.filter((k) => k.includes('Fragments'));
  assert.deepEqual(fragmentPuts, ['ev.ism/QualityLevels(400)/Fragments(video=0)', 'ev.ism/QualityLevels(400)/Fragments(video=20000000)', 'ev.ism/QualityLevels(400)/Fragments(video=80000000)']);
  assert.equal(events.filter((e) => e.type === 'refused').length, 2);
  const chunks = manifestOf(store).streams[0]!.chunks;
  assert.deepEqual(chunks.map((c) => [c.t, c.d]), [[0n, S], [S, S], [4n * S, S]]);
  assert.match(new TextDecoder().decode(store.objects.get('ev.ism/Manifest')), /<c t="80000000"/, 'the gap as an explicit t');
  await live.finalize();
  const vod = manifestOf(store);
  assert.equal(vod.isLive, undefined);
  assert.equal(vod.duration, 5n * S);
});

test('recovered from the store: the Manifest and a listing; a fragment stored after the last Manifest is adopted without a put when it comes again', async () => {
  const { store, live } = setup();
  const level = live.levelFor(video(400), 'a');
  await live.addFragment(level, 0n, S, new Uint8Array(10), 'a');
  await live.addFragment(level, S, S, new Uint8Array(10), 'a');
  // The server died after storing this fragment and before the Manifest named it.
  store.objects.set('ev.ism/QualityLevels(400)/Fragments(video=40000000)', new Uint8Array(12));
  const again = setup(store);
  const recovered = await recoverPresentation('ev', store, again.out);
  assert.deepEqual(again.events.at(-1), { type: 'recovered', presentation: 'ev', live: true, fragments: 2, orphans: 1 });
  const same = recovered.levelFor(video(400), 'c');
  const putsBefore = store.puts.length;
  assert.equal(await recovered.addFragment(same, S, S, new Uint8Array(10), 'c'), 'duplicate');
  assert.equal(await recovered.addFragment(same, 2n * S, S, new Uint8Array(12), 'c'), 'adopted');
  assert.deepEqual(store.puts.slice(putsBefore), ['ev.ism/Manifest'], 'only the Manifest was written');
  assert.deepEqual(times(store), [0n, S, 2n * S]);
  // Another codec setup at the same bitrate is a different encoder: refused.
  assert.throws(() => recovered.levelFor({ ...video(400), quality: { ...video(400).quality, codecPrivateData: '0000000168' } }, 'd'), { code: 'live.bad-push' });
});

test('a fragment the store failed to take can be sent again (no backwards refusal), and the Manifest never names it meanwhile', async () => {
  const { store, live } = setup();
  const level = live.levelFor(video(400), 'a');
  await live.addFragment(level, 0n, S, new Uint8Array(10), 'a');
  const put = store.put;
  store.put = () => Promise.reject(new Error('store down'));
  await assert.rejects(live.addFragment(level, S, S, new Uint8Array(10), 'a'), /store down/);
  assert.deepEqual(times(store), [0n]);
  store.put = put;
  assert.equal(await live.addFragment(level, S, S, new Uint8Array(10), 'b'), 'stored');
  assert.deepEqual(times(store), [0n, S]);
});
