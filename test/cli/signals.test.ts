// Stopping the long-running commands, run as the real CLI in child processes: SIGTERM
// mid-run ends each within 5 s, with 143 (serve and play, which stop cleanly: 0), leaving
// nothing behind; a run stuck in a wait that no abort reaches still ends. Each signal is sent
// when a real condition says the run is where the test wants it (a hidden folder appeared, a
// URL was printed, a request arrived), never after a fixed sleep.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, watch } from 'node:fs/promises';
import { Agent, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { errorOf, type EventLine } from './jsonEvents.js';
import { requireTools } from '../harness/ci.js';
import { fixtures, inCI, run, toolPath } from '../e2e/helpers.js';
import { cliEnv, describeRun, startCli, type CliResult, type CliRun } from '../publish/publishHelpers.js';
import { packageAndServe, sets, startFaultyProxy } from '../verify/helpers.js';

let work = '';
/** An ISMV of 2,000 tiny fragments: writing them takes long enough to stop a run halfway. */
let many = '';

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'smoothpub-signals-'));
  if (toolPath('ffmpeg') === undefined) {
    if (inCI) throw new Error('ffmpeg missing (CI is set, so this fails instead of skipping)');
    return;
  }
  many = join(work, 'many.ismv');
  const r = await run(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=64x36:rate=50:duration=40', '-c:v', 'libx264', '-preset', 'ultrafast',
      '-g', '1', '-bf', '0', '-pix_fmt', 'yuv420p', '-frag_duration', '20000', '-f', 'ismv', many],
    60,
  );
  if (r.code !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
});

/** Every run started, so none outlives a failed test. */
const runs: CliRun[] = [];

function start(args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const r = startCli(args, cliEnv(env));
  runs.push(r);
  return r;
}

after(async () => {
  for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  if (work !== '') await rm(work, { recursive: true, force: true });
});

/** Resolves with the first entry of `dir` matching `pattern`, present now or created later. Start it before the run. */
function appears(dir: string, pattern: RegExp): Promise<string> {
  const stop = new AbortController();
  const events = watch(dir, { signal: stop.signal });
  const found = (async () => {
    const iterator = events[Symbol.asyncIterator]();
    // The watch is set up by the first next(): only then is a look at what is there complete.
    const next = iterator.next();
    // Left pending when the entry is already there: the abort below then rejects it, unheard.
    next.catch(() => undefined);
    const now = (await readdir(dir)).find((n) => pattern.test(n));
    if (now !== undefined) return now;
    for (let e = await next; !e.done; e = await iterator.next()) {
      const name = e.value.filename;
      if (name && pattern.test(name) && existsSync(join(dir, name))) return name;
    }
    throw new Error(`stopped watching ${dir}`);
  })();
  return found.finally(() => stop.abort());
}

/** Waits for `condition`, failing with the run's output if the run ends first. */
async function until<T>(r: CliRun, condition: Promise<T>): Promise<T> {
  return Promise.race([condition, r.done.then((res) => Promise.reject(new Error(`the run ended first: ${describeRun(res)}`)))]);
}

/** The `listening` event line a server prints with --json once it accepts connections. */
function listeningLine(r: CliRun): Promise<string> {
  const stdout = r.child.stdout!;
  return new Promise((resolve) => {
    const lines = createInterface({ input: stdout });
    lines.on('line', (line) => {
      if ((JSON.parse(line) as EventLine).event !== 'listening') return;
      lines.close();
      resolve(line);
    });
  });
}

/** Sends `signal` and resolves with the run's end and the milliseconds from the signal to it. */
async function stop(r: CliRun, signal: NodeJS.Signals = 'SIGTERM'): Promise<CliResult & { afterSignalMs: number }> {
  const sent = Date.now();
  r.child.kill(signal);
  const res = await r.done;
  return { ...res, afterSignalMs: Date.now() - sent };
}

/** Holds a run still (SIGSTOP) so the test can look at it mid-way; `stop` then sends the signal and lets it go on. */
async function stopPaused(r: CliRun, signal: NodeJS.Signals = 'SIGTERM'): Promise<CliResult & { afterSignalMs: number }> {
  const sent = Date.now();
  r.child.kill(signal);
  r.child.kill('SIGCONT');
  const res = await r.done;
  return { ...res, afterSignalMs: Date.now() - sent };
}

function assertStoppedBy(res: CliResult & { afterSignalMs: number }, code: number): void {
  assert.equal(res.code, code, describeRun(res));
  assert.ok(res.afterSignalMs < 5000, `ended ${res.afterSignalMs} ms after the signal`);
  assert.doesNotMatch(res.stderr, /internal error|\n\s+at /, describeRun(res));
}

const skipWithoutFfmpeg = (t: TestContext): boolean => !requireTools(t, 'ffmpeg');

test('package: SIGTERM while writing ends with 143 within 5 s; nothing at or beside the output', { timeout: 30_000 }, async (t) => {
  if (skipWithoutFfmpeg(t)) return;
  const dir = await mkdtemp(join(work, 'package-'));
  const out = join(dir, 'video.ism');
  const building = appears(dir, /^\.video\.ism\.partial-/);
  const r = start(['package', many, '-o', out]);
  const hidden = await until(r, building);
  await until(r, appears(join(dir, hidden), /^QualityLevels\(/));
  r.child.kill('SIGSTOP');
  assert.ok(!existsSync(out), 'the run is still writing');
  const res = await stopPaused(r);
  assertStoppedBy(res, 143);
  assert.equal(res.stderr, 'interrupted by SIGTERM\n');
  assert.deepEqual(await readdir(dir), []);
});

test('remux: SIGTERM while writing ends with 143 within 5 s; nothing at or beside the output', { timeout: 30_000 }, async (t) => {
  if (skipWithoutFfmpeg(t)) return;
  const dir = await mkdtemp(join(work, 'remux-'));
  const building = appears(dir, /^\.out\.partial-/);
  const r = start(['remux', many, '-o', join(dir, 'out', 'video.ism'), '--json']);
  await until(r, building);
  r.child.kill('SIGSTOP');
  assert.ok(!existsSync(join(dir, 'out')), 'the run is still writing');
  const res = await stopPaused(r);
  assertStoppedBy(res, 143);
  const stopped = errorOf(res.stdout);
  assert.deepEqual([stopped.code, stopped.message], ['interrupted', 'interrupted by SIGTERM']);
  assert.deepEqual(await readdir(dir), []);
});

test('serve: SIGTERM with a kept-alive connection open stops accepting and exits 0 within 5 s', { timeout: 30_000 }, async () => {
  const r = start(['serve', fixtures, '--port', '0', '--json']);
  const { url } = JSON.parse(await until(r, listeningLine(r))) as { url: string };
  const agent = new Agent({ keepAlive: true });
  try {
    const status = await new Promise<number>((resolve, reject) => {
      get(`${url}clean/clean.ism/Manifest`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      }).on('error', reject);
    });
    assert.equal(status, 200);
    assert.equal(Object.keys(agent.freeSockets).length, 1, 'the connection is kept alive, idle');
    const res = await stop(r);
    assertStoppedBy(res, 0);
    assert.equal(res.stderr, '');
    await assert.rejects(fetch(url), 'no longer accepting');
  } finally {
    agent.destroy();
    r.child.kill('SIGKILL');
  }
});

test('play: SIGTERM while serving exits 0 within 5 s and removes its temporary package', { timeout: 30_000 }, async () => {
  const tmp = await mkdtemp(join(work, 'play-tmp-'));
  const r = start(['play', '--port', '0', '--json'], { TMPDIR: tmp });
  const { manifest } = JSON.parse(await until(r, listeningLine(r))) as { manifest: string };
  assert.equal((await fetch(manifest)).status, 200);
  assert.equal((await readdir(tmp)).length, 1, 'the temporary package');
  const res = await stop(r);
  assertStoppedBy(res, 0);
  assert.deepEqual(await readdir(tmp), []);
});

test('play: SIGTERM while packaging ends with 143 within 5 s; no temporary package left', { timeout: 30_000 }, async (t) => {
  if (skipWithoutFfmpeg(t)) return;
  const tmp = await mkdtemp(join(work, 'play-tmp-'));
  const packaging = appears(tmp, /^smoothpub-play-/);
  const r = start(['play', many, '--port', '0', '--json'], { TMPDIR: tmp });
  const temp = await until(r, packaging);
  await until(r, appears(join(tmp, temp), /^\.video\.ism\.partial-/));
  r.child.kill('SIGSTOP');
  assert.equal(r.child.stdout!.readableLength, 0, 'not serving yet');
  const res = await stopPaused(r);
  assertStoppedBy(res, 143);
  assert.deepEqual(await readdir(tmp), []);
});

test('verify: SIGTERM while a fragment request hangs ends with 143 within 5 s', { timeout: 30_000 }, async () => {
  const served = await packageAndServe(sets.cleanIsm);
  let requested: () => void = () => undefined;
  const fragmentRequested = new Promise<void>((resolve) => (requested = resolve));
  // The first fragment's answer stops halfway and never ends: verify waits on it.
  const proxy = await startFaultyProxy(served.server.url, (path) => {
    if (!path.includes('/Fragments(')) return 'pass';
    requested();
    return 'stall';
  });
  try {
    const r = start(['verify', served.manifestUrl.replace(served.server.url, proxy.url), '--json']);
    await until(r, fragmentRequested);
    const res = await stop(r);
    assertStoppedBy(res, 143);
    assert.match(res.stdout, /"code":"interrupted"/);
  } finally {
    await proxy.close();
    await served.close();
  }
});

/**
 * A named pipe as the `.ism`: the CLI opens it and then waits for the rest of it, a read
 * no abort can reach (it blocks a thread of node's pool). The writer, a shell holding the
 * pipe open, says when the CLI has opened it: only then is the run in that wait.
 */
async function stuckOnPipe(name: string): Promise<{ r: CliRun; release(): void }> {
  const dir = await mkdtemp(join(work, `${name}-`));
  const pipe = join(dir, 'video.ism');
  await run('mkfifo', [pipe], 10);
  const writer = spawn('sh', ['-c', 'exec 3>"$1"; echo opened; exec sleep 60', 'sh', pipe], { stdio: ['ignore', 'pipe', 'ignore'] });
  const r = start(['package', pipe, '-o', join(dir, 'out')]);
  await until(r, new Promise((resolve) => createInterface({ input: writer.stdout }).once('line', resolve)));
  return {
    r,
    release: () => {
      writer.kill('SIGKILL');
      r.child.kill('SIGKILL');
    },
  };
}

/** A run ended by a signal's own default action: shells report it as 128 + the signal's number. */
function endedBy(res: CliResult, signal: NodeJS.Signals, code: number): boolean {
  return res.signal === signal || res.code === code;
}

test('a run stuck in a wait no abort reaches still ends a few seconds after SIGTERM, by SIGTERM', { timeout: 30_000 }, async (t) => {
  const { r, release } = await stuckOnPipe('stuck');
  t.after(release);
  const res = await stop(r);
  assert.ok(endedBy(res, 'SIGTERM', 143), describeRun(res));
  assert.ok(res.afterSignalMs < 5000, `ended ${res.afterSignalMs} ms after the signal`);
  assert.ok(res.afterSignalMs >= 2000, `not before the grace time: ${res.afterSignalMs} ms`);
});

test('a second signal ends a stuck run at once, well before the grace time', { timeout: 30_000 }, async (t) => {
  const { r, release } = await stuckOnPipe('twice');
  t.after(release);
  const sent = Date.now();
  r.child.kill('SIGTERM');
  r.child.kill('SIGINT');
  const res = await r.done;
  // The kernel may hand over both at once, the lower-numbered (SIGINT) first: either may be the second.
  assert.ok(endedBy(res, 'SIGINT', 130) || endedBy(res, 'SIGTERM', 143), describeRun(res));
  assert.ok(Date.now() - sent < 1500, `ended ${Date.now() - sent} ms after the second signal`);
});

test('package -o under /proc or /sys: a typed error at once, not a spin that survives SIGTERM', { timeout: 30_000 }, async () => {
  const cases: [string[], RegExp][] = [
    [['package', join(fixtures, 'clean', 'clean.ism'), '-o', '/proc/xyz/out'], /^error output\.pseudo-filesystem: \/proc is on proc, .*choose an output folder on a disk \(\/proc\/xyz\/out\)\n$/],
    [['package', join(fixtures, 'clean', 'clean.ism'), '-o', '/sys/xyz/out'], /^error output\.pseudo-filesystem: \/sys is on sysfs, .*\(\/sys\/xyz\/out\)\n$/],
    [['remux', join(fixtures, 'clean', 'clean.ism'), '-o', '/proc/xyz/out/video.ism'], /^error output\.pseudo-filesystem: \/proc is on proc, .*\(\/proc\/xyz\/out\)\n$/],
    [['publish', join(fixtures, 'clean', 'clean.ism'), '/proc/xyz/out'], /^error output\.pseudo-filesystem: \/proc is on proc, .*\(\/proc\/xyz\/out\)\n$/],
  ];
  await Promise.all(
    cases.map(async ([args, expected]) => {
      const r = start(args);
      const timer = setTimeout(() => r.child.kill('SIGKILL'), 20_000);
      const res = await r.done.finally(() => clearTimeout(timer));
      assert.equal(res.code, 1, describeRun(res));
      assert.match(res.stderr, expected);
    }),
  );
  assert.ok(!existsSync('/proc/xyz'));
});

test('a missing folder is created with its parents; parents made for a failed run are removed again', { timeout: 30_000 }, async (t) => {
  if (skipWithoutFfmpeg(t)) return;
  const dir = await mkdtemp(join(work, 'parents-'));
  await mkdir(join(dir, 'keep'));
  const building = appears(join(dir, 'keep'), /^new$/);
  const r = start(['package', many, '-o', join(dir, 'keep', 'new', 'deeper', 'video.ism')]);
  await until(r, building);
  await until(r, appears(join(dir, 'keep', 'new'), /^deeper$/));
  r.child.kill('SIGSTOP');
  assert.ok(!existsSync(join(dir, 'keep', 'new', 'deeper', 'video.ism')), 'the run is still writing');
  const res = await stopPaused(r);
  assertStoppedBy(res, 143);
  assert.deepEqual(await readdir(join(dir, 'keep')), [], 'the folders made for the output are gone, the one that was there is kept');
});
