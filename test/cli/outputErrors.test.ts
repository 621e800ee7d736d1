// Output and port problems a user causes are typed errors naming the path or port and what
// to do, never "internal error"; and nothing is left behind. Run as the real CLI in child
// processes. Root ignores permission bits, so a read-only folder is a read-only tmpfs, a
// full disk a 64 KiB tmpfs, and "permission denied" a run as `nobody` (setpriv).
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmod, copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtures } from '../e2e/helpers.js';
import { requireRoot } from '../harness/ci.js';
import { errorOf } from './jsonEvents.js';
import { bin, cliEnv, describeRun, startCli, type CliResult } from '../publish/publishHelpers.js';

const cleanIsm = join(fixtures, 'clean', 'clean.ism');
let work = '';

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'smoothpub-output-errors-'));
});

after(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const r = startCli(args, cliEnv(env));
  const timer = setTimeout(() => r.child.kill('SIGKILL'), 30_000);
  return r.done.finally(() => clearTimeout(timer));
}

/** Exit 1 and one line `error <code>: ...` naming `path` (after any progress lines), no stack. */
function assertTyped(res: CliResult, code: string, path: string, detail?: RegExp): void {
  assert.equal(res.code, 1, describeRun(res));
  const lines = res.stderr.trimEnd().split('\n');
  const error = lines.at(-1)!;
  assert.ok(error.startsWith(`error ${code}: `), describeRun(res));
  assert.ok(error.includes(path), `names ${path}: ${describeRun(res)}`);
  if (detail) assert.match(error, detail);
  assert.deepEqual(lines.slice(0, -1).filter((l) => /error|\s+at /.test(l)), [], describeRun(res));
}

/** A tmpfs mounted on a fresh folder for this test, unmounted after it. */
async function tmpfs(t: TestContext, options: string): Promise<string> {
  const dir = await mkdtemp(join(work, 'mnt-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  t.after(() => execFileSync('umount', ['-l', dir]));
  return dir;
}

test('-o under a file: output.not-a-directory naming the file (package, remux, publish to a folder)', async () => {
  const dir = await mkdtemp(join(work, 'file-'));
  const file = join(dir, 'notes.txt');
  await writeFile(file, 'not a folder\n');
  const [p, r, pub] = await Promise.all([
    cli(['package', cleanIsm, '-o', join(file, 'out')]),
    cli(['remux', cleanIsm, '-o', join(file, 'out', 'video.ism')]),
    cli(['publish', cleanIsm, join(file, 'out')]),
  ]);
  for (const res of [p, r, pub]) assertTyped(res, 'output.not-a-directory', file, /choose an output path whose parents are all folders/);
  assert.deepEqual(await readdir(dir), ['notes.txt']);
});

/** Runs the CLI as a user whom permission bits bind: `nobody` when this is root, else this user. */
function cliUnprivileged(args: string[]): Promise<CliResult> {
  const asRoot = process.getuid?.() === 0;
  const command = asRoot ? 'setpriv' : process.execPath;
  const all = [...(asRoot ? ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath] : []), bin, ...args];
  return new Promise<CliResult>((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, all, { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - started }));
  });
}

test('a folder the user may not write to: output.not-writable (EACCES) naming it (package; index beside its sources)', async (t) => {
  const dir = await mkdtemp(join(work, 'locked-'));
  await copyFile(join(fixtures, 'clean', 'v120.ismv'), join(dir, 'v120.ismv'));
  await chmod(work, 0o755);
  await chmod(dir, 0o555);
  t.after(() => chmod(dir, 0o755));
  const out = join(dir, 'out');
  const [p, ix] = await Promise.all([cliUnprivileged(['package', cleanIsm, '-o', out]), cliUnprivileged(['index', join(dir, 'v120.ismv')])]);
  assertTyped(p, 'output.not-writable', out, /permission denied \(EACCES\); choose a folder you may write to/);
  assertTyped(ix, 'output.not-writable', join(dir, 'v120.ismv.smoothidx'), /permission denied \(EACCES\)/);
  assert.deepEqual(await readdir(dir), ['v120.ismv']);
});

test('a read-only file system: output.not-writable (EROFS) naming the output', async (t) => {
  if (!requireRoot(t, 'mounting a read-only tmpfs')) return;
  const ro = await tmpfs(t, 'ro,size=64k');
  const out = join(ro, 'out');
  const [p, r] = await Promise.all([cli(['package', cleanIsm, '-o', out]), cli(['remux', cleanIsm, '-o', join(out, 'video.ism')])]);
  for (const res of [p, r]) assertTyped(res, 'output.not-writable', out, /the file system is read-only \(EROFS\)/);
});

test('no space left: output.no-space naming the output; the hidden folder is removed, freeing the space', async (t) => {
  if (!requireRoot(t, 'mounting a 64 KiB tmpfs')) return;
  const tiny = await tmpfs(t, 'size=64k');
  const [p, r] = await Promise.all([
    cli(['package', cleanIsm, '-o', join(tiny, 'package')]),
    cli(['remux', cleanIsm, '-o', join(tiny, 'remux', 'video.ism')]),
  ]);
  assertTyped(p, 'output.no-space', join(tiny, 'package'), /no space left on the device \(ENOSPC\); free some space/);
  assertTyped(r, 'output.no-space', join(tiny, 'remux'), /no space left on the device \(ENOSPC\)/);
  assert.deepEqual(await readdir(tiny), []);
});

/** A port taken by another listener for the length of the test. */
async function takenPort(t: TestContext): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  return (server.address() as AddressInfo).port;
}

test('serve and play on a port in use: net.port-in-use naming the port; play leaves no temporary package', async (t) => {
  const port = await takenPort(t);
  const tmp = await mkdtemp(join(work, 'play-tmp-'));
  const [serve, play, json] = await Promise.all([
    cli(['serve', fixtures, '--port', String(port)]),
    cli(['play', '--port', String(port)], { TMPDIR: tmp }),
    cli(['serve', fixtures, '--port', String(port), '--json']),
  ]);
  for (const res of [serve, play]) assertTyped(res, 'net.port-in-use', `port ${port}`, /in use by another program \(EADDRINUSE\); .*choose another --port \(0 = any free port\) \(host 127\.0\.0\.1, port \d+\)/);
  const error = errorOf(json.stdout);
  assert.deepEqual([error.code, error.context], ['net.port-in-use', { host: '127.0.0.1', port }]);
  assert.match(error.message, /in use by another program/);
  assert.deepEqual(await readdir(tmp), [], 'no temporary package left');
});
