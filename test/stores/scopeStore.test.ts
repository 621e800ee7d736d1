import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFolderStore } from '../../src/stores/folderStore.js';
import { scopeStore } from '../../src/stores/scopeStore.js';

const put = { contentType: 'text/plain', cacheControl: 'no-cache' };
const body = (text: string) => {
  const data = new TextEncoder().encode(text);
  return [() => data, { ...put, size: data.length, md5: new Uint8Array(createHash('md5').update(data).digest()) }] as const;
};

test('a store scoped to a folder of its prefix puts and lists there, shares the setup and leaves closing to its owner', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-scope-'));
  try {
    const root = createFolderStore(dir);
    await root.prepare();
    const a = scopeStore(root, 'films/a.ism', `${dir}/films/a.ism`, { created: true });
    const b = scopeStore(root, '/films/b.ism/', `${dir}/films/b.ism`, { created: false });
    await a.put('Manifest', ...body('a'));
    await a.put('QualityLevels(1)/Fragments(video=0)', ...body('a0'));
    await b.put('Manifest', ...body('b'));
    assert.equal(await readFile(join(dir, 'films', 'a.ism', 'Manifest'), 'utf8'), 'a');
    assert.deepEqual(await a.prepare(), { created: true }, 'no request: the library prepared the store');
    const listed = [];
    for await (const o of a.list()) listed.push([o.key, o.size, o.md5]);
    assert.deepEqual(listed.sort(), [
      ['Manifest', 1, createHash('md5').update('a').digest('base64')],
      ['QualityLevels(1)/Fragments(video=0)', 2, createHash('md5').update('a0').digest('base64')],
    ]);
    const sub = [];
    for await (const o of a.list('QualityLevels(1)')) sub.push(o.key);
    assert.deepEqual(sub, ['Fragments(video=0)']);
    const all = [];
    for await (const o of root.list('films')) all.push(o.key);
    assert.deepEqual(all.sort(), ['a.ism/Manifest', 'a.ism/QualityLevels(1)/Fragments(video=0)', 'b.ism/Manifest']);
    await a.close?.();
    await root.put('after-close', ...body('still open'));
    assert.equal(a.putAtRoot, undefined, 'a folder has no root beyond its prefix');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
