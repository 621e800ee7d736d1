import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { planFromFolder } from '../../src/plan/planFromFolder.js';
import { IN_MEMORY_LIMIT, SourceFiles } from '../../src/plan/sourceFiles.js';
import type { SourceAccess } from '../../src/source/sourceAccess.js';

const openDescriptors = (): number => readdirSync('/proc/self/fd').length;

test('a packaged folder (one file per object) holds no descriptor after each read', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-src-'));
  const packaged = await packagePresentation({ inputs: ['test/fixtures/clean/clean.ism'], outDir: join(dir, 'v.ism') });
  const plan = await planFromFolder(packaged.outDir);
  const bodies = plan.objects.map((o) => o.body);
  const before = openDescriptors();
  const sources = new SourceFiles(bodies);
  for (const [i, body] of bodies.entries()) {
    const loaded = await sources.load(body);
    if (body.kind === 'range') {
      const expected = createHash('md5').update(await readFile(body.file)).digest();
      assert.deepEqual(Buffer.from(loaded.md5), expected, plan.objects[i]!.key);
    }
    assert.ok(openDescriptors() <= before, `descriptors after object ${i}: ${openDescriptors()} > ${before}`);
  }
  await sources.close();
});

test('a source rendition keeps one descriptor across its fragments, closed after the last', async () => {
  const file = 'test/fixtures/clean/v400.ismv';
  const size = (await readFile(file)).length;
  const bodies = Array.from({ length: 10 }, (_, i) => ({ kind: 'range' as const, file, offset: i * 100, size: 100 }));
  const before = openDescriptors();
  const sources = new SourceFiles(bodies);
  for (const [i, body] of bodies.entries()) {
    await sources.load(body);
    assert.equal(openDescriptors(), i < bodies.length - 1 ? before + 1 : before);
  }
  assert.ok(size > 1000);
});

test('bodies of another access (a store prefix) are read through its byte sources; a large one streams in pieces, each attempt afresh', async () => {
  const big = new Uint8Array(IN_MEMORY_LIMIT + 3_000_000);
  for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
  const reads: number[] = [];
  let opened = 0;
  const access: SourceAccess = {
    readText: () => Promise.reject(new Error('not used')),
    open: (file) => {
      assert.equal(file, 'lib/a.ismv');
      opened++;
      return Promise.resolve({
        name: `az://c/${file}`,
        size: big.length,
        read: (offset: number, length: number) => {
          reads.push(length);
          return Promise.resolve(big.subarray(offset, Math.min(big.length, offset + length)));
        },
        close: () => Promise.resolve(),
      });
    },
  };
  const body = { kind: 'range' as const, file: 'lib/a.ismv', offset: 1000, size: big.length - 2000 };
  const small = { kind: 'range' as const, file: 'lib/a.ismv', offset: 10, size: 100 };
  const sources = new SourceFiles([small, body], access);
  const loadedSmall = await sources.load(small);
  assert.deepEqual(loadedSmall.open(), big.subarray(10, 110));
  const loaded = await sources.load(body);
  assert.deepEqual(Buffer.from(loaded.md5), createHash('md5').update(big.subarray(1000, big.length - 1000)).digest());
  assert.ok(reads.every((n) => n <= 1024 * 1024), 'read in pieces of at most 1 MiB');
  for (let attempt = 0; attempt < 2; attempt++) {
    const stream = loaded.open();
    assert.ok(!(stream instanceof Uint8Array));
    const hash = createHash('md5');
    for await (const chunk of stream) hash.update(chunk as Uint8Array);
    assert.deepEqual(hash.digest(), Buffer.from(loaded.md5), `attempt ${attempt + 1} sends the same bytes`);
  }
  assert.ok(opened >= 3, `opened ${opened} times: once to hash, once per attempt`);
  await sources.close();
});
