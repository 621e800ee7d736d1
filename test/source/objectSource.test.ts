import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createObjectAccess, type ObjectRangeReader, type ObjectVersion } from '../../src/source/objectSource.js';

/** An in-memory store that records its requests. */
function memoryReader(objects: Record<string, Uint8Array>, etag = '"v1"'): ObjectRangeReader & { heads: string[]; reads: { key: string; ifMatch: string | undefined }[] } {
  const heads: string[] = [];
  const reads: { key: string; ifMatch: string | undefined }[] = [];
  return {
    heads,
    reads,
    head(key) {
      heads.push(key);
      const data = objects[key];
      return Promise.resolve(data === undefined ? undefined : ({ size: data.length, etag, lastModified: 1000 } satisfies ObjectVersion));
    },
    read(key, offset, length, ifMatch) {
      reads.push({ key, ifMatch });
      if (ifMatch !== undefined && ifMatch !== etag) return Promise.reject(new Error('412'));
      return Promise.resolve(objects[key]!.subarray(offset, offset + length));
    },
  };
}

test('each key is looked up once, then read as that version (If-Match), clamped to its size', async () => {
  const reader = memoryReader({ 'a/v.ismv': Uint8Array.from({ length: 100 }, (_, i) => i), 'a/x.ism': new TextEncoder().encode('<smil/>') });
  const access = createObjectAccess(reader, 'az://c/lib/');
  const src = await access.open('a/v.ismv');
  assert.equal(src.name, 'az://c/lib/a/v.ismv');
  assert.equal(src.size, 100);
  assert.deepEqual([...(await src.read(95, 20))], [95, 96, 97, 98, 99]);
  await (await access.open('a/v.ismv')).read(0, 1);
  assert.equal(await access.readText('a/x.ism'), '<smil/>');
  assert.deepEqual(reader.heads, ['a/v.ismv', 'a/x.ism']);
  assert.ok(reader.reads.every((r) => r.ifMatch === '"v1"'));
});

test('a missing object is input.read-failed naming it; a huge .ism is refused before reading', async () => {
  const reader = memoryReader({ 'big.ism': new Uint8Array(2 << 20) });
  const access = createObjectAccess(reader, 's3://b/');
  await assert.rejects(access.open('gone.ismv'), (e: Error & { code?: string }) => e.code === 'input.read-failed' && e.message.includes('s3://b/gone.ismv'));
  await assert.rejects(access.readText('big.ism'), (e: Error & { code?: string }) => e.code === 'smooth.bad-ism');
  assert.deepEqual(reader.reads, []);
});

test('small reads (box headers, moov, mfra) come from a few 64 KiB blocks; larger ones go straight to the store', async () => {
  const data = Uint8Array.from({ length: 150_000 }, (_, i) => (i * 7) & 0xff);
  const reader = memoryReader({ 'v.ismv': data });
  const src = await createObjectAccess(reader, '').open('v.ismv');
  const pieces: [number, number][] = [[0, 8], [0, 32], [24, 734], [758, 32], [65_530, 12], [149_990, 16], [149_900, 124], [758, 4096], [140_000, 20_000]];
  for (const [offset, length] of pieces) {
    assert.deepEqual(await src.read(offset, length), data.subarray(offset, Math.min(data.length, offset + length)), `${offset}+${length}`);
  }
  // Blocks 0, 1 (the read across 65536) and 2, then the two large reads themselves.
  assert.equal(reader.reads.length, 5);
  assert.equal(reader.heads.length, 1);
});
