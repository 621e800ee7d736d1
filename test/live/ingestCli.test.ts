import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { requireTools } from '../harness/ci.js';
import { pushWithFfmpeg, startIngestRun } from '../harness/livePush.js';
import { createFolderStore } from '../../src/stores/folderStore.js';
import type { Presentation } from '../../src/smooth/model.js';
import { parseSmoothUrl } from '../../src/smooth/url.js';
import { waitUntil } from '../harness/waitUntil.js';
import { parseEvents, type EventLine } from '../cli/jsonEvents.js';
import { runBin } from '../cli/runBin.js';
import { AUDIO, V120, assertManifestStored, assertSameFragments, folderObjects, manifestIn, packagedPushes } from './helpers.js';

interface IngestProcess {
  child: ChildProcess;
  lines: EventLine[];
  url: string;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

/** `smoothpub ingest <store> --json` in its own process, once it listens. */
async function startCli(args: string[]): Promise<IngestProcess> {
  const child = spawn(process.execPath, ['bin/smoothpub.js', 'ingest', ...args, '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const lines: EventLine[] = [];
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout += `${line}\n`;
      const e = JSON.parse(line) as EventLine;
      lines.push(e);
      if (e.event === 'listening') resolve(e['url'] as string);
    });
    void exited.then((code) => reject(new Error(`ingest exited ${code}: ${stderr}`)));
  });
  return { child, lines, url, stdout: () => stdout, stderr: () => stderr, exited };
}

const liveOf = (p: IngestProcess, type: string): EventLine[] => p.lines.filter((e) => e.event === 'live' && e['type'] === type);

/** An ingest process in a temp folder (removed after the test) and ffmpeg pushing v120 and audio to it in real time; both killed after the test. */
async function startPushedEvent(t: TestContext): Promise<{ folder: string; root: string; first: IngestProcess; push: ReturnType<typeof pushWithFfmpeg> }> {
  const folder = await mkdtemp(join(tmpdir(), 'smoothpub-ingest-cli-'));
  t.after(() => rm(folder, { recursive: true, force: true }));
  const first = await startCli([folder, '--finalize-after', '60']);
  t.after(() => void first.child.kill('SIGKILL'));
  const push = pushWithFfmpeg(`${first.url}/ev.isml/Streams(all)`, [V120, AUDIO]);
  t.after(() => push.kill());
  return { folder, root: join(folder, 'ev.ism'), first, push };
}

test('kill -9 of the ingest server mid-event: what the Manifest names is in the store; started again, it resumes the event without rewriting a stored fragment', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const { folder, root, first, push } = await startPushedEvent(t);
  await waitUntil('a live Manifest listing a video fragment', async () => ((await manifestIn(root))?.streams[0]?.chunks.length ?? 0) >= 1, { timeoutMs: 60_000, intervalMs: 100 });
  first.child.kill('SIGKILL');
  await first.exited;
  await push.done;
  const manifest = (await manifestIn(root))!;
  assert.equal(manifest.isLive, true);
  const before = await folderObjects(root);
  assertManifestStored(manifest, before);
  const stamps = new Map<string, number>();
  for (const key of before.keys()) if (key !== 'Manifest') stamps.set(key, (await stat(join(root, ...key.split('/')))).mtimeMs);
  assert.ok(stamps.size >= 2, `fragments stored before the kill: ${[...stamps.keys()].join(', ')}`);

  // Started again on the same folder; the encoder pushes the event again from its start.
  const second = await startCli([folder, '--finalize-after', '60']);
  t.after(() => void second.child.kill('SIGKILL'));
  const again = pushWithFfmpeg(`${second.url}/ev.isml/Streams(all)`, [V120, AUDIO], { realtime: false });
  assert.equal(await again.done, 0, again.stderr());
  await waitUntil('the event to be finalised', () => liveOf(second, 'finalized').length > 0, { timeoutMs: 20_000, detail: () => second.stdout().slice(-3000) });
  const recovered = liveOf(second, 'recovered')[0]!;
  assert.equal(recovered['live'], true);
  assert.equal((recovered['fragments'] as number) + (recovered['orphans'] as number), stamps.size);
  for (const [key, mtime] of stamps) assert.equal((await stat(join(root, ...key.split('/')))).mtimeMs, mtime, `${key} was not written again`);
  const stored = liveOf(second, 'fragment').filter((e) => e['action'] === 'stored').map((e) => e['key'] as string);
  for (const key of stored) assert.ok(!stamps.has(key.replace(/^ev\.ism\//, '')), `${key} uploaded again`);
  const vod = (await manifestIn(root))!;
  assert.notEqual(vod.isLive, true);
  assert.deepEqual(vod.streams.map((s) => s.chunks.length), [4, 4]);
  const objects = await folderObjects(root);
  assertManifestStored(vod, objects);
  assert.equal(assertSameFragments(objects, await packagedPushes([{ inputs: [V120, AUDIO] }])), 8);
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0, 'SIGTERM stops ingest with 0');
  parseEvents(second.stdout());
});

/** Keys (under `ev.ism/`) of the fragments an ingest process reported received whole: stored, or held for their tfrf (its copy put aside). */
function acknowledged(p: IngestProcess): Set<string> {
  return new Set([...liveOf(p, 'fragment'), ...liveOf(p, 'held')].map((e) => (e['key'] as string).replace(/^ev\.ism\//, '')));
}

/** The fragment keys a Manifest names, one per level and chunk. */
function namedBy(p: Presentation): Set<string> {
  return new Set(p.streams.flatMap((s) => s.chunks.flatMap((c) => s.qualityLevels.map((q) => `QualityLevels(${q.bitrate})/Fragments(${s.name}=${c.t})`))));
}

test('kill -9 of the ingest server mid-event, started again with no encoder: every fragment it received whole (stored, or held for its tfrf) is stored and named, then the event ends as VOD', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const { folder, root, first, push } = await startPushedEvent(t);
  // Killed while a level holds a fragment the store has only aside (its next one not yet come).
  await waitUntil(
    'a fragment stored, a Manifest written and a later fragment held',
    () => {
      const stored = new Set(liveOf(first, 'fragment').map((e) => e['key']));
      // After a Manifest that names both streams (their codec setup), which a restart reads
      // back: a held fragment of a stream no Manifest names yet stays aside (the first
      // Manifest may name the video alone: a restart then published 1 of 2 held).
      const chunks = (liveOf(first, 'manifest').at(-1)?.['chunks'] ?? []) as number[];
      return stored.size >= 2 && chunks.filter((n) => n > 0).length >= 2 && liveOf(first, 'held').some((e) => !stored.has(e['key']));
    },
    { timeoutMs: 60_000, intervalMs: 20 },
  );
  first.child.kill('SIGKILL');
  await first.exited;
  push.kill();
  await push.done;
  const received = acknowledged(first);
  const heldOnly = [...received].filter((k) => !liveOf(first, 'fragment').some((e) => e['key'] === `ev.ism/${k}`));
  assert.ok(heldOnly.length > 0, 'the kill came while a fragment was only held');
  const before = await folderObjects(root);
  for (const key of heldOnly) assert.ok(!before.has(key), `${key} is not at its URL before the restart`);

  const second = await startCli([folder, '--finalize-after', '2']);
  t.after(() => void second.child.kill('SIGKILL'));
  await waitUntil('the event to end as VOD', () => liveOf(second, 'finalized').length > 0, { timeoutMs: 30_000, detail: () => `${second.stdout().slice(-3000)}\n--- stderr ---\n${second.stderr().slice(-2000)}\n--- store ---\n${(readdirSync(folder, { recursive: true }) as string[]).join('\n')}` });
  const recovered = liveOf(second, 'recovered')[0]!;
  assert.ok((recovered['held'] as number) >= heldOnly.length, `held fragments published: ${JSON.stringify(recovered)}`);
  const objects = await folderObjects(root);
  for (const key of received) assert.ok(objects.has(key), `${key}, received whole before the kill, is in the store`);
  const vod = (await manifestIn(root))!;
  assert.notEqual(vod.isLive, true);
  assertManifestStored(vod, objects);
  const named = namedBy(vod);
  for (const key of objects.keys()) if (key !== 'Manifest') assert.ok(named.has(key), `${key} is stored and the Manifest names it`);
  assert.equal((await folderObjects(join(folder, '.smoothpub-ingest'))).size, 0, 'no held copy is left');
  // Byte for byte what package makes of the same mux, each tfrf naming the level's next stored fragment (the last none).
  assert.equal(assertSameFragments(objects, await packagedPushes([{ inputs: [V120, AUDIO] }])), objects.size - 1);
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0);
});

test('kill -9 with a DVR window: fragments that had left the window but were not yet deleted are planned again from the store, deleted once past the margin, never left unnamed', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const folder = await mkdtemp(join(tmpdir(), 'smoothpub-ingest-cli-'));
  t.after(() => rm(folder, { recursive: true, force: true }));
  const root = join(folder, 'ev.ism');
  // The CLI's 30 s margin: nothing is deleted within an 8 s push.
  const first = await startCli([folder, '--finalize-after', '60', '--dvr', '2s']);
  t.after(() => void first.child.kill('SIGKILL'));
  const push = pushWithFfmpeg(`${first.url}/ev.isml/Streams(all)`, [V120, AUDIO]);
  t.after(() => push.kill());
  await waitUntil('the live Manifest to name only the window', async () => ((await manifestIn(root))?.streams[0]?.chunks[0]?.t ?? 0n) > 0n, { timeoutMs: 60_000, intervalMs: 50 });
  first.child.kill('SIGKILL');
  await first.exited;
  push.kill();
  await push.done;
  const live = (await manifestIn(root))!;
  const before = await folderObjects(root);
  const outside = [...before.keys()].filter((k) => k !== 'Manifest' && !namedBy(live).has(k));
  assert.ok(outside.some((k) => parseSmoothUrl(k)!.kind === 'fragment' && (parseSmoothUrl(k) as { time: bigint }).time < live.streams[0]!.chunks[0]!.t), `a fragment before the window is still stored: ${outside.join(', ')}`);

  // Started again (in this process, to shorten the margin), with no encoder.
  const run = await startIngestRun(createFolderStore(folder), { dvrWindowMs: 2000, dvrMarginMs: 0, finalizeAfterMs: 1500 });
  t.after(() => run.close());
  await waitUntil('the event to end as VOD', () => run.events.some((e) => e.type === 'finalized'), { timeoutMs: 30_000 });
  const removed = run.events.filter((e) => e.type === 'removed');
  assert.ok(removed.length > 0, 'fragments before the window were deleted');
  const objects = await folderObjects(root);
  const vod = (await manifestIn(root))!;
  assert.notEqual(vod.isLive, true);
  assertManifestStored(vod, objects);
  const named = namedBy(vod);
  for (const key of objects.keys()) if (key !== 'Manifest') assert.ok(named.has(key), `${key} is stored and the VOD Manifest names it`);
  for (const key of outside) if (parseSmoothUrl(key)?.kind === 'fragment' && (parseSmoothUrl(key) as { time: bigint }).time < live.streams[0]!.chunks[0]!.t) assert.ok(!objects.has(key), `${key}, outside the window before the kill, is deleted`);
  assert.equal((await folderObjects(join(folder, '.smoothpub-ingest'))).size, 0, 'no held copy is left');
});

test('ingest: --help, a busy port, SIGTERM within seconds, and --auth never printed', async () => {
  const help = await runBin(['ingest', '--help']);
  assert.equal(help.code, 0);
  for (const words of ['<name>.isml/Streams(<id>)', '--auth', '--max-fragment-size', '--finalize-after', '--dvr', 'tfrf', 'VOD']) assert.ok(help.stdout.includes(words), `--help mentions ${words}`);
  const folder = await mkdtemp(join(tmpdir(), 'smoothpub-ingest-cli-'));
  try {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const busy = await runBin(['ingest', folder, '--port', String(port), '--json']);
    blocker.close();
    assert.equal(busy.code, 1);
    const error = parseEvents(busy.stdout).at(-1)!;
    assert.equal(error.event, 'error');
    assert.equal(error['code'], 'net.port-in-use');
    const badDvr = await runBin(['ingest', folder, '--dvr', '2x', '--json']);
    assert.equal(badDvr.code, 2, 'a usage error');
    const dvrError = parseEvents(badDvr.stdout).at(-1)!;
    assert.equal(dvrError['code'], 'cli.bad-option');
    assert.match(String(dvrError['message']), /--dvr .*'2x'/);

    const secret = 'hunter2-secret';
    const cli = await startCli([folder, '--auth', `enc:${secret}`]);
    // A push without credentials is refused (logged as a warning), with no secret in the log.
    const res = await fetch(`${cli.url}/x.isml/Streams(v)`, { method: 'POST', body: 'x' });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /);
    await waitUntil('the refusal logged', () => cli.lines.some((e) => e.event === 'warning' && e['type'] === 'rejected'));
    const started = Date.now();
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0);
    assert.ok(Date.now() - started < 5000, `stopped in ${Date.now() - started} ms`);
    assert.ok(!cli.stdout().includes(secret) && !cli.stderr().includes(secret), 'the password is never printed');
    assert.equal(parseEvents(cli.stdout()).at(-1)!.event, 'result');
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});
