import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// bin/smoothpub.js runs the bundle (scripts/bundle-cli.js) only when it was built from the
// current dist/src: tsc rewrites every file, so after a rebuild without bundling the bundle
// is older and dist/src runs. Checked on a copy of the bin beside two stand-in entries that
// say which one ran, so the real dist/ other tests run from is left alone.
function standIn(path: string, name: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `export async function main() { process.stdout.write(${JSON.stringify(name)}); return 0; }\n`);
}

function ran(root: string): string {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'smoothpub.js')], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('the bin runs the bundle when it is as new as dist/src, else dist/src (a stale or missing bundle never runs)', async () => {
  const root = await mkdtemp(join(tmpdir(), 'smoothpub-bin-'));
  try {
    mkdirSync(join(root, 'bin'));
    copyFileSync('bin/smoothpub.js', join(root, 'bin', 'smoothpub.js'));
    writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
    const compiled = join(root, 'dist', 'src', 'cli', 'main.js');
    const bundled = join(root, 'dist', 'src', 'bundle', 'main.js');
    standIn(compiled, 'compiled');
    assert.equal(ran(root), 'compiled', 'no bundle');
    standIn(bundled, 'bundled');
    utimesSync(compiled, 1000, 1000);
    utimesSync(bundled, 2000, 2000);
    assert.equal(ran(root), 'bundled', 'bundle built after tsc');
    utimesSync(bundled, 1000, 1000);
    assert.equal(ran(root), 'bundled', 'same times (a packed tarball gives every file one)');
    utimesSync(compiled, 3000, 3000);
    assert.equal(ran(root), 'compiled', 'tsc ran after the bundle was built');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
