// createR2Reader's own logic, on an in-memory bucket of R2's shape (the worker tests run it
// on workerd's R2): keys under the prefix, listings followed page by page, ranged reads,
// a read naming an old etag refused as 412, a missing object as 404 / undefined.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createR2Reader, FIRST_WINDOW, withFirstWindow, type R2BucketLike, type R2ObjectLike } from '../../src/edge/r2Root.js';
import type { ByteSource } from '../../src/source/source.js';
import { mulberry32 } from '../harness/mulberry32.js';
import { StoreError, type StoredObject } from '../../src/stores/store.js';

/** R2's answers as its binding gives them: null when missing, no body when `onlyIf` fails, 2 objects a page. */
function memoryBucket(): R2BucketLike & { put(key: string, data: Uint8Array): void; gets: number } {
  const objects = new Map<string, { data: Uint8Array; etag: string; uploaded: Date }>();
  let version = 0;
  const meta = (key: string): R2ObjectLike | null => {
    const o = objects.get(key);
    return o ? { key, size: o.data.length, etag: o.etag, uploaded: o.uploaded } : null;
  };
  const bucket = {
    gets: 0,
    put(key: string, data: Uint8Array) {
      objects.set(key, { data, etag: `e${++version}`, uploaded: new Date(1_700_000_000_000 + version) });
    },
    head: (key: string) => Promise.resolve(meta(key)),
    get(key: string, options: { range?: { offset: number; length: number }; onlyIf?: { etagMatches?: string } }) {
      bucket.gets++;
      const o = objects.get(key);
      if (!o) return Promise.resolve(null);
      if (options.onlyIf?.etagMatches !== undefined && options.onlyIf.etagMatches !== o.etag) return Promise.resolve(meta(key));
      const { offset = 0, length = o.data.length } = options.range ?? {};
      const bytes = o.data.slice(offset, offset + length);
      return Promise.resolve({ ...meta(key)!, body: new Blob([bytes]).stream(), arrayBuffer: () => Promise.resolve(bytes.buffer) });
    },
    list(options: { prefix?: string; cursor?: string }) {
      const keys = [...objects.keys()].filter((k) => k.startsWith(options.prefix ?? '')).sort();
      const from = Number(options.cursor ?? 0);
      const page = keys.slice(from, from + 2);
      const truncated = from + 2 < keys.length;
      return Promise.resolve({ objects: page.map((k) => meta(k)!), truncated, ...(truncated && { cursor: String(from + 2) }) });
    },
  };
  return bucket;
}

test('createR2Reader: heads, ranged reads and listings under its prefix; an old etag is a 412', async () => {
  const bucket = memoryBucket();
  const data = Uint8Array.from({ length: 100 }, (_, i) => i);
  for (const name of ['a.ismv', 'b.isma', 'c.mp4', 'sub/d.ismv']) bucket.put(`films/p.ism/${name}`, data);
  bucket.put('other/x.ismv', data);
  const reader = createR2Reader(bucket, { prefix: '/films/' });
  assert.equal(reader.description, 'r2:films/');

  const info = await reader.head('p.ism/a.ismv');
  assert.deepEqual(info, { size: 100, etag: '"e1"', lastModified: 1_700_000_000_001 });
  assert.equal(await reader.head('p.ism/none'), undefined);
  assert.deepEqual(await reader.read('p.ism/a.ismv', 10, 5, info!.etag), Uint8Array.of(10, 11, 12, 13, 14));
  assert.equal((await reader.read('p.ism/a.ismv', 10, 0)).length, 0);

  // Two pages of two (the cursor followed); every key comes back relative to the folder.
  const listed: StoredObject[] = [];
  for await (const o of reader.list!('p.ism')) listed.push(o);
  assert.deepEqual(listed.map((o) => o.key), ['a.ismv', 'b.isma', 'c.mp4', 'sub/d.ismv']);

  bucket.put('films/p.ism/a.ismv', data);
  await assert.rejects(reader.read('p.ism/a.ismv', 0, 8, info!.etag), (e: unknown) => e instanceof StoreError && e.details.status === 412);
  await assert.rejects(reader.read('p.ism/gone.ismv', 0, 8), (e: unknown) => e instanceof StoreError && e.details.status === 404);
});

/** A source over `data` that counts its reads. */
function countingSource(data: Uint8Array): ByteSource & { reads: number } {
  const src = {
    name: 'test',
    size: data.length,
    reads: 0,
    read(offset: number, length: number) {
      src.reads++;
      return Promise.resolve(data.slice(offset, offset + length));
    },
    close: () => Promise.resolve(),
  };
  return src;
}

test('withFirstWindow: a moof then the rest of a fragment inside the window is one read; every read returns what the source would', async () => {
  const random = mulberry32(7);
  const data = Uint8Array.from({ length: 3 * FIRST_WINDOW }, () => Math.floor(random() * 256));
  const inside = countingSource(data);
  const fragment = withFirstWindow(inside);
  const offset = 1000;
  assert.deepEqual(await fragment.read(offset, 4096), data.slice(offset, offset + 4096));
  assert.deepEqual(await fragment.read(offset + 700, 100_000), data.slice(offset + 700, offset + 100_700));
  assert.equal(inside.reads, 1);
  // Past the window: the part it holds, then one read for the rest.
  const longer = countingSource(data);
  const large = withFirstWindow(longer);
  await large.read(0, 16);
  assert.deepEqual(await large.read(10, FIRST_WINDOW + 5000), data.slice(10, FIRST_WINDOW + 5010));
  assert.equal(longer.reads, 2);
  // Any mix of reads, near the end too, gives the source's bytes.
  const mixed = withFirstWindow(countingSource(data));
  for (let i = 0; i < 200; i++) {
    const at = Math.floor(random() * data.length);
    const length = Math.floor(random() * (i % 2 === 0 ? 5000 : 2 * FIRST_WINDOW));
    assert.deepEqual(await mixed.read(at, length), data.slice(at, at + length), `read ${at}+${length}`);
  }
});
