import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { planFromFolder } from '../../src/plan/planFromFolder.js';
import { SourceFiles } from '../../src/plan/sourceFiles.js';

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
