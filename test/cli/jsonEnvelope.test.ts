// Every command with --json prints only JSON lines on stdout, each with `event` first:
// `start` first, then `result` or `error` last; failures (including usage errors that
// commander finds) are `error` lines with code, message and context.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { requireTools } from '../e2e/helpers.js';
import { startStaticServer } from '../../src/play/staticServer.js';
import { errorOf, parseEvents, resultOf, type EventLine } from './jsonEvents.js';
import { runBin, type BinRun } from './runBin.js';

const BIN = 'bin/smoothpub.js';
const CLEAN = 'test/fixtures/clean/clean.ism';
let work = '';

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'smoothpub-json-'));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

type Run = Pick<BinRun, 'code' | 'stdout' | 'stderr'>;

const run = runBin;

/** A run that succeeded: exit 0, `start` first, `result` (of this command) last. */
function succeeded(r: Run, command: string): EventLine[] {
  assert.equal(r.code, 0, `exit code\n${r.stdout}\n${r.stderr}`);
  const events = parseEvents(r.stdout);
  assert.deepEqual(events[0], { event: 'start', command, version: events[0]?.version });
  assert.equal(resultOf<{ command: string }>(r.stdout).command, command);
  assert.equal(events.filter((e) => e.event === 'start' || e.event === 'result').length, 2, 'one start, one result');
  return events;
}

/** A run that failed: the exit code, and only JSON on stdout ending in one `error` line with this code. */
function failed(r: Run, exit: number, code: string): EventLine & { message: string; context: Record<string, unknown> } {
  assert.equal(r.code, exit, `exit code\n${r.stdout}\n${r.stderr}`);
  const e = errorOf(r.stdout);
  assert.equal(e.code, code, r.stdout);
  assert.equal(parseEvents(r.stdout).filter((l) => l.event === 'error').length, 1);
  assert.equal(r.stderr, '', 'nothing on stderr with --json');
  return e;
}

test('inspect: start, a problem line per problem, the report as result; a bad option is an error line', async () => {
  const ok = await run(['inspect', CLEAN, '--json']);
  const events = succeeded(ok, 'inspect');
  assert.deepEqual(events.map((e) => e.event), ['start', 'result']);
  assert.equal(resultOf<{ ok: boolean }>(ok.stdout).ok, true);

  // An ISMV level and a plain MP4 one whose fragments start 1024/48000 s later (AAC priming).
  const misaligned = await run(['inspect', 'test/fixtures/clean/v120.ismv', 'test/fixtures/progressive/v100.mp4', '--json']);
  assert.equal(misaligned.code, 1);
  const lines = parseEvents(misaligned.stdout);
  assert.deepEqual(lines.map((e) => e.event), ['start', 'problem', 'result']);
  assert.equal(lines[1]!.code, 'index.misaligned');
  assert.deepEqual(resultOf<{ problems: { code: string }[] }>(misaligned.stdout).problems.map((p) => p.code), ['index.misaligned']);

  failed(await run(['inspect', CLEAN, '--fourcc', 'XVID', '--json']), 2, 'cli.bad-option');
});

test('package and remux: start, progress, result; an existing output or bad input is an error line', async () => {
  const out = join(work, 'pkg', 'v.ism');
  const events = succeeded(await run(['package', CLEAN, '-o', out, '--json']), 'package');
  const progress = events.filter((e) => e.event === 'progress') as unknown as { objects: number; totalObjects: number; bytes: number; totalBytes: number }[];
  assert.ok(progress.length >= 1);
  const last = progress.at(-1)!;
  assert.deepEqual(last, { event: 'progress', objects: 17, totalObjects: 17, bytes: last.totalBytes, totalBytes: last.totalBytes });
  const exists = failed(await run(['package', CLEAN, '-o', out, '--json']), 1, 'output.exists');
  assert.deepEqual(exists.context, { file: out });
  failed(await run(['package', 'test/fixtures/cmaf.mp4', '-o', join(work, 'never'), '--json']), 1, 'input.unsupported');

  const remuxed = succeeded(await run(['remux', CLEAN, '-o', join(work, 'remux', 'v.ism'), '--json']), 'remux');
  assert.ok(remuxed.some((e) => e.event === 'progress'));
  failed(await run(['remux', 'test/fixtures/clean/nope.ismv', '-o', join(work, 'remux2', 'v.ism'), '--json']), 1, 'input.read-failed');
});

test('publish: an object line per object, progress, result; a bad destination is an error line', async () => {
  const events = succeeded(await run(['publish', CLEAN, join(work, 'pub', 'v.ism'), '--policy', '--json']), 'publish');
  const objects = events.filter((e) => e.event === 'object');
  assert.equal(objects.length, 19);
  assert.ok(objects.every((o) => o.action === 'upload' && typeof o.key === 'string' && typeof o.size === 'number'));
  assert.equal(objects.at(-1)!.key, 'Manifest');
  const result = resultOf<{ uploaded: number; kept: number }>(events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  assert.deepEqual({ uploaded: result.uploaded, kept: result.kept }, { uploaded: 19, kept: 0 });
  const again = succeeded(await run(['publish', CLEAN, join(work, 'pub', 'v.ism'), '--json']), 'publish');
  assert.ok(again.filter((e) => e.event === 'object').every((o) => o.action === 'skip'));

  const bad = failed(await run(['publish', CLEAN, 'ftp://example/x', '--json']), 1, 'publish.bad-destination');
  assert.match(bad.message, /ftp/);
  failed(await run(['publish', CLEAN, '--json']), 2, 'cli.bad-option');
});

test('verify: progress, a problem line per problem, result; a bad URL is an error line', async () => {
  const folder = join(work, 'verify', 'video.ism');
  assert.equal((await run(['package', CLEAN, '-o', folder])).code, 0);
  const server = await startStaticServer({ root: folder, mount: '/video.ism/' });
  try {
    const url = `${server.url}video.ism/Manifest`;
    const ok = succeeded(await run(['verify', url, '--json']), 'verify');
    assert.ok(ok.some((e) => e.event === 'progress'));
    const policy = await run(['verify', url, '--policy', '--json']);
    assert.equal(policy.code, 1);
    const problems = parseEvents(policy.stdout).filter((e) => e.event === 'problem');
    assert.deepEqual(problems.map((p) => p.code), ['verify.policy', 'verify.policy']);
    assert.match(String((problems[0]!.context as { url: string }).url), /\/clientaccesspolicy\.xml$/);
    assert.equal(resultOf<{ ok: boolean }>(policy.stdout).ok, false);
  } finally {
    await server.close();
  }
  failed(await run(['verify', 'http://127.0.0.1:9/video.ism/', '--json']), 2, 'cli.bad-option');
  failed(await run(['verify', 'http://127.0.0.1:9/video.ism/Manifest', '--timeout', 'soon', '--json']), 2, 'cli.bad-option');
});

test('index: an object line per sidecar, result; a missing input is an error line', async () => {
  const dir = join(work, 'index');
  await cp('test/fixtures/clean', dir, { recursive: true });
  const events = succeeded(await run(['index', join(dir, 'clean.ism'), '--json']), 'index');
  assert.equal(events.filter((e) => e.event === 'object').length, 4);
  assert.equal(resultOf<{ sidecars: number }>(events.map((e) => JSON.stringify(e)).join('\n') + '\n').sidecars, 4);
  const missing = failed(await run(['index', join(dir, 'nope.ismv'), '--json']), 1, 'input.read-failed');
  assert.match(missing.message, /nope\.ismv/);
});

/** Starts a server command, waits for its `listening` line, runs `use`, stops it with SIGINT; returns all it printed. */
async function serveUntil(args: string[], use: (listening: EventLine) => Promise<void>): Promise<Run> {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    const listening = await new Promise<EventLine>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        stdout += `${line}\n`;
        const e = JSON.parse(line) as EventLine;
        if (e.event === 'listening') resolve(e);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stdout}${stderr}`)));
    });
    await use(listening);
  } finally {
    child.kill('SIGINT');
  }
  const code = await closed;
  return { code, stdout, stderr };
}

test('serve: listening, a warning line per failed request, result when stopped; a bad port is an error line', async () => {
  const root = join(work, 'serve');
  await cp('test/fixtures/clean', join(root, 'good'), { recursive: true });
  await writeFile(join(root, 'broken.ism'), 'this is not SMIL');
  const r = await serveUntil(['serve', root, '--port', '0', '--json'], async ({ url }) => {
    assert.equal((await fetch(`${String(url)}good/clean.ism/Manifest`)).status, 200);
    const broken = await fetch(`${String(url)}broken.ism/Manifest`);
    await broken.arrayBuffer();
    assert.equal(broken.status, 500);
  });
  // Stopped by a signal: the last line is still the result.
  const events = parseEvents(r.stdout);
  assert.deepEqual(events.map((e) => e.event), ['start', 'listening', 'warning', 'result'], r.stdout);
  const warning = events[2] as EventLine & { context: { method: string; url: string; status: number } };
  assert.equal(warning.code, 'smooth.bad-ism');
  assert.deepEqual({ method: warning.context.method, status: warning.context.status }, { method: 'GET', status: 500 });
  assert.match(warning.context.url, /\/broken\.ism\/Manifest$/);
  assert.equal(r.stderr, '', 'with --json nothing goes to stderr');

  failed(await run(['serve', root, '--port', '99999', '--json']), 2, 'cli.bad-option');
});

test('play: listening with the player and Manifest URLs, result when stopped; a bad port is an error line', async () => {
  const r = await serveUntil(['play', CLEAN, '--port', '0', '--fragment-duration', '2', '--json'], async ({ manifest, player }) => {
    assert.equal((await fetch(String(manifest))).status, 200);
    assert.equal((await fetch(String(player))).status, 200);
  });
  assert.deepEqual(parseEvents(r.stdout).map((e) => e.event), ['start', 'listening', 'result']);
  failed(await run(['play', CLEAN, '--port', 'x', '--json']), 2, 'cli.bad-option');
});

test('encode: start, progress, result; a missing ffmpeg is an error line', async (t) => {
  const missing = failed(await run(['encode', 'test/fixtures/plain.mp4', '-o', join(work, 'none'), '--json'], { SMOOTHPUB_FFMPEG: '/nonexistent/bin/ffmpeg', SMOOTHPUB_FFPROBE: '/nonexistent/bin/ffprobe' }), 1, 'encode.ffmpeg-missing');
  assert.match(missing.message, /nonexistent/);
  if (!requireTools(t, 'ffmpeg', 'ffprobe')) return;
  const events = succeeded(await run(['encode', 'test/fixtures/plain.mp4', '-o', join(work, 'enc'), '--ladder', '160x90@100k', '--preset', 'ultrafast', '--json']), 'encode');
  assert.deepEqual([...new Set(events.filter((e) => e.event === 'progress').map((e) => e.phase))], ['encode', 'package']);
});

test('usage errors that commander finds are error lines too (code cli.usage), for every command', async () => {
  for (const command of ['inspect', 'package', 'remux', 'publish', 'verify', 'serve', 'index', 'play', 'encode']) {
    const output = ['package', 'remux', 'encode'].includes(command) ? ['-o', join(work, 'never')] : [];
    const r = await run([command, 'x', ...output, '--no-such-option', '--json']);
    const e = failed(r, 2, 'cli.usage');
    assert.match(e.message, /unknown option '--no-such-option'/, command);
  }
  assert.match(failed(await run(['package', 'x', '--json']), 2, 'cli.usage').message, /required option '-o, --output <dir>'/);
  const unknown = failed(await run(['frobnicate', '--json']), 2, 'cli.usage');
  assert.match(unknown.message, /unknown command 'frobnicate'/);
  // Without --json, commander's own text on stderr as before.
  const text = await run(['package', 'x', '-o', join(work, 'never'), '--no-such-option']);
  assert.equal(text.code, 2);
  assert.equal(text.stdout, '');
  assert.match(text.stderr, /^error: unknown option '--no-such-option'/);
});
