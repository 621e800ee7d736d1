import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorOf, resultOf } from '../cli/jsonEvents.js';

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/smoothpub.js', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('remux --help describes the output; --json prints every file written', async () => {
  const help = cli('remux', '--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--force/);
  assert.match(help.stdout, /\.ismc/);
  const out = join(await mkdtemp(join(tmpdir(), 'smoothpub-remux-cli-')), 'v.ism');
  const r = cli('remux', 'test/fixtures/clean/clean.ism', '-o', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const result = resultOf<{ ism: string; ismc: string; files: string[]; fragments: number }>(r.stdout);
  assert.equal(result.ism, out);
  assert.equal(result.fragments, 16);
  for (const f of [result.ism, result.ismc, ...result.files]) assert.ok(existsSync(f), f);
  // A second run refuses, names the file, and exits 1; --force replaces.
  const again = cli('remux', 'test/fixtures/clean/clean.ism', '-o', out);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /^error output\.exists: .*v_400000\.ismv/);
  assert.equal(cli('remux', 'test/fixtures/clean/clean.ism', '-o', out, '--force').status, 0);
});

test('remux of a bad input exits 1 with a one-line error and writes nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-remux-cli-'));
  const r = cli('remux', 'test/fixtures/clean/nope.ismv', '-o', join(dir, 'v.ism'), '--json');
  assert.equal(r.status, 1);
  assert.equal(errorOf(r.stdout).code, 'input.read-failed');
  assert.deepEqual(await readdir(dir), []);
});
