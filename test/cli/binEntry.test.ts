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

function ran(root: string, args: string[] = []): string {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'smoothpub.js'), ...args], { encoding: 'utf8', timeout: 30_000 });
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

test('`smoothpub package` runs the bundle of that command alone, under the same rule; other commands the whole CLI', async () => {
  const root = await mkdtemp(join(tmpdir(), 'smoothpub-bin-'));
  try {
    mkdirSync(join(root, 'bin'));
    copyFileSync('bin/smoothpub.js', join(root, 'bin', 'smoothpub.js'));
    writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
    for (const [dir, name] of [['cli', 'compiled'], ['bundle', 'bundled']] as const) {
      standIn(join(root, 'dist', 'src', dir, 'main.js'), `${name} main`);
      standIn(join(root, 'dist', 'src', dir, 'packageMain.js'), `${name} package`);
      utimesSync(join(root, 'dist', 'src', dir, 'packageMain.js'), dir === 'cli' ? 1000 : 2000, dir === 'cli' ? 1000 : 2000);
    }
    assert.equal(ran(root, ['package']), 'bundled package');
    assert.equal(ran(root, ['serve']), 'bundled main');
    assert.equal(ran(root, ['inspect', 'package']), 'bundled main', 'only the command name picks it');
    utimesSync(join(root, 'dist', 'src', 'cli', 'packageMain.js'), 3000, 3000);
    assert.equal(ran(root, ['package']), 'compiled package', 'tsc ran after the bundle was built');
    rmSync(join(root, 'dist', 'src', 'bundle', 'packageMain.js'));
    assert.equal(ran(root, ['package']), 'compiled package', 'no bundle');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
