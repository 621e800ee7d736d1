import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSmoothpubError } from '../../src/errors.js';
import { makeFolder, removeCreatedFolders } from '../../src/util/makeFolder.js';

test('makeFolder creates the missing folders, outermost first, and says which', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-mkdir-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const created = await makeFolder(join(dir, 'a', 'b', 'c'));
  assert.deepEqual(created, [join(dir, 'a'), join(dir, 'a', 'b'), join(dir, 'a', 'b', 'c')]);
  assert.ok((await stat(join(dir, 'a', 'b', 'c'))).isDirectory());
  assert.deepEqual(await makeFolder(join(dir, 'a', 'b')), [], 'nothing to create');
  await removeCreatedFolders(created);
  await assert.rejects(stat(join(dir, 'a')));
});

test('makeFolder: a file on the path, /proc, /sys and an abort are refused with what to do', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-mkdir-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'file'), 'x');
  const refused = async (path: string, code: string, file: string): Promise<void> => {
    await assert.rejects(makeFolder(path), (e: unknown) => {
      assert.ok(isSmoothpubError(e), String(e));
      assert.equal(e.code, code);
      assert.equal(e.context.file, file);
      return true;
    });
  };
  await refused(join(dir, 'file', 'x', 'y'), 'output.not-a-directory', join(dir, 'file'));
  await refused(join(dir, 'file'), 'output.not-a-directory', join(dir, 'file'));
  if (process.platform === 'linux') {
    await refused('/proc/xyz/out', 'output.pseudo-filesystem', '/proc/xyz/out');
    await refused('/sys/xyz', 'output.pseudo-filesystem', '/sys/xyz');
  }
  const controller = new AbortController();
  controller.abort(new Error('stop'));
  await assert.rejects(makeFolder(join(dir, 'never'), controller.signal), /stop/);
  await assert.rejects(stat(join(dir, 'never')));
});
