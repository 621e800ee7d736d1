// `serve --workers N` run as the real CLI: every request type answered by N worker
// processes under load while one is killed (the others answer on, a new one takes its
// place, no 5xx, every body byte-exact against a single serving process);
// SIGTERM/SIGINT drain and leave no worker behind; a busy port fails fast with its typed
// error; a worker that cannot start again ends the run instead of forking in a loop.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { waitUntil } from '../harness/waitUntil.js';
import { makeRoot, type Root } from '../origin/helpers.js';
import { cliEnv, describeRun, startCli, type CliResult, type CliRun } from '../publish/publishHelpers.js';
import type { EventLine } from './jsonEvents.js';

const runs: CliRun[] = [];
const roots: Root[] = [];
after(async () => {
  for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  for (const r of roots) await r.cleanup();
});

/** The processes whose parent is `pid` (the workers of a serve run), from /proc. */
function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The fields after the command name, which may itself hold spaces and parentheses.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid && fields[0] !== 'Z') out.push(Number(name));
    } catch {
      // The process ended while the list was read.
    }
  }
  return out.sort((a, b) => a - b);
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Starts `serve <root> --json ...args` and resolves with its URL once it prints `listening`. */
async function startServe(root: string, args: string[], detached = false): Promise<{ run: CliRun; url: string }> {
  const run = startCli(['serve', root, '--port', '0', '--json', ...args], cliEnv(), detached);
  runs.push(run);
  const line = new Promise<string>((resolve) => {
    const lines = createInterface({ input: run.child.stdout! });
    lines.on('line', (l) => {
      if ((JSON.parse(l) as EventLine).event === 'listening') resolve(l);
    });
  });
  const listening = await Promise.race([line, run.done.then((res) => Promise.reject(new Error(`serve ended first: ${describeRun(res)}`)))]);
  return { run, url: (JSON.parse(listening) as { url: string }).url };
}

interface Probe {
  path: string;
  method?: 'GET' | 'HEAD';
  range?: string;
  status: number;
  body: Buffer;
}

/** One request over `agent` (false: a connection of its own); a connection reset rejects. */
function fetchRaw(url: string, req: { path: string; method?: 'GET' | 'HEAD'; range?: string }, agent: Agent | false): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    httpRequest(new URL(req.path.slice(1), url), { method: req.method ?? 'GET', agent, headers: req.range !== undefined ? { range: req.range } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}

/** One request of every type, with the answer a single serving process (`--workers 1`) gives: status and bytes. */
async function probes(root: string): Promise<Probe[]> {
  const { run, url } = await startServe(root, ['--workers', '1']);
  try {
    assert.deepEqual(childPids(run.child.pid!), [], '--workers 1 is a single process');
    const answer = async (path: string, method: 'GET' | 'HEAD' = 'GET', range?: string): Promise<Probe> => {
      const req = { path, method, ...(range !== undefined && { range }) };
      return { ...req, ...(await fetchRaw(url, req, false)) };
    };
    const p = '/clean/clean.ism';
    const master = (await answer(`${p}/master.m3u8`)).body.toString();
    const mediaPlaylist = /^[^#].*\.m3u8$/m.exec(master)![0];
    const media = (await answer(`${p}/${mediaPlaylist}`)).body.toString();
    const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(media)![1]!;
    const segment = /^[^#].*$/m.exec(media)![0];
    const dir = mediaPlaylist.includes('/') ? mediaPlaylist.slice(0, mediaPlaylist.lastIndexOf('/') + 1) : '';
    const list = [
      await answer(`${p}/Manifest`),
      await answer(`${p}/QualityLevels(400000)/Fragments(video=20000000)`),
      await answer(`${p}/QualityLevels(250000)/FragmentInfo(video=0)`),
      await answer(`${p}/manifest.mpd`),
      await answer(`${p}/master.m3u8`),
      await answer(`${p}/${mediaPlaylist}`),
      await answer(`${p}/${dir}${init}`),
      await answer(`${p}/${dir}${segment}`),
      await answer('/clientaccesspolicy.xml'),
      await answer('/crossdomain.xml'),
      await answer(`${p}/QualityLevels(400000)/Fragments(video=1)`),
      await answer(`${p}/QualityLevels(abc)/Fragments(video=0)`),
      await answer(`${p}/QualityLevels(400000)/Fragments(video=0)`, 'HEAD'),
      await answer(`${p}/QualityLevels(400000)/Fragments(video=0)`, 'GET', 'bytes=100-1099'),
      await answer('/users/users.ism/Manifest'),
    ];
    // The list is what the test says it is: each kind of answer is there.
    assert.deepEqual([...new Set(list.map((x) => x.status))].sort(), [200, 206, 400, 404]);
    assert.ok(list.every((x) => x.status >= 400 || x.method === 'HEAD' || x.body.length > 0));
    assert.equal(list.find((x) => x.range !== undefined)!.body.length, 1000);
    assert.equal(list.find((x) => x.method === 'HEAD')!.body.length, 0);
    return list;
  } finally {
    run.child.kill('SIGTERM');
    await run.done;
  }
}

type Outcome = { ok: true } | { ok: false; why: string };

/** One request checked against `probe`; a connection reset is an error the caller may retry. */
async function ask(url: string, probe: Probe, agent: Agent | false): Promise<Outcome> {
  const { status, body } = await fetchRaw(url, probe, agent);
  const what = `${probe.method ?? 'GET'} ${probe.path}`;
  if (status !== probe.status) return { ok: false, why: `${what}: status ${status}, expected ${probe.status}` };
  if (!body.equals(probe.body)) return { ok: false, why: `${what}: ${body.length} body bytes differ from the ${probe.body.length} expected` };
  return { ok: true };
}

interface Load {
  answered: number;
  retried: number;
  failures: string[];
  stop(): Promise<void>;
}

/** `connections` kept-alive clients cycling through `list` until stopped; a reset connection is retried once. */
function startLoad(url: string, list: Probe[], connections: number): Load {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const fresh = false;
  let stopped = false;
  const load: Load = {
    answered: 0,
    retried: 0,
    failures: [],
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
      agent.destroy();
    },
  };
  const loop = async (offset: number): Promise<void> => {
    for (let i = offset; !stopped; i++) {
      const probe = list[i % list.length]!;
      let outcome: Outcome;
      try {
        outcome = await ask(url, probe, agent);
      } catch (first) {
        // Only the killed worker's connections may break; the retry, on a new connection, reaches a live one.
        load.retried++;
        outcome = await ask(url, probe, fresh).catch((e: Error) => ({ ok: false, why: `${probe.path}: ${(first as Error).message}, then ${e.message}` }));
      }
      if (outcome.ok) load.answered++;
      else load.failures.push(outcome.why);
    }
  };
  const loops = Array.from({ length: connections }, (_, i) => loop(i));
  return load;
}

test('serve --workers 2 answers every request type under load while a worker is killed: replaced, no 5xx, every body exact', { timeout: 120_000 }, async () => {
  const r = await makeRoot();
  roots.push(r);
  const list = await probes(r.root);
  const { run, url } = await startServe(r.root, ['--workers', '2']);
  const primary = run.child.pid!;
  const before = await waitUntil('two workers', () => (childPids(primary).length === 2 ? childPids(primary) : undefined));
  const load = startLoad(url, list, 24);
  try {
    await waitUntil('200 answers', () => load.answered >= 200, { timeoutMs: 60_000 });
    const victim = before[0]!;
    process.kill(victim, 'SIGKILL');
    await waitUntil('the killed worker gone', () => !alive(victim));
    // The others answer on while the replacement starts.
    const atKill = load.answered;
    await waitUntil('answers after the kill', () => load.answered >= atKill + 100, { timeoutMs: 60_000 });
    const replaced = await waitUntil('a replacement worker', () => {
      const now = childPids(primary);
      return now.length === 2 && !now.includes(victim) ? now : undefined;
    });
    assert.ok(replaced.includes(before[1]!), 'the other worker kept running');
    const atReplace = load.answered;
    await waitUntil('answers with the replacement', () => load.answered >= atReplace + 200, { timeoutMs: 60_000 });
  } finally {
    await load.stop();
  }
  assert.deepEqual(load.failures, []);
  assert.ok(load.answered >= 500, `${load.answered} answered`);
  // A kept-alive connection to the killed worker breaks at most once per client.
  assert.ok(load.retried <= 24, `${load.retried} retried`);
  const res = await stopRun(run, 'SIGTERM');
  assert.equal(res.code, 0, describeRun(res));
  const warnings = res.stdout.split('\n').filter((l) => l.includes('"event":"warning"'));
  assert.equal(warnings.length, 1, describeRun(res));
  assert.match(warnings[0]!, /"code":"serve\.worker-replaced".*ended by SIGKILL; starting another/);
  assert.equal(res.stdout.split('\n').filter((l) => l.includes('"event":"listening"')).length, 1, 'one listening line');
});

async function stopRun(run: CliRun, signal: NodeJS.Signals, group = false): Promise<CliResult & { afterSignalMs: number }> {
  const sent = Date.now();
  if (group) process.kill(-run.child.pid!, signal);
  else run.child.kill(signal);
  const res = await run.done;
  return { ...res, afterSignalMs: Date.now() - sent };
}

for (const [signal, code, group] of [
  ['SIGTERM', 0, false],
  ['SIGINT', 130, true],
] as const) {
  test(`serve --workers 2: ${signal}${group ? ' to the process group (Ctrl-C)' : ' to the primary'} lets a response in flight finish, exits ${code} in time, leaves no worker`, { timeout: 60_000 }, async () => {
    const r = await makeRoot();
    roots.push(r);
    const list = await probes(r.root);
    const fragment = list[1]!;
    const { run, url } = await startServe(r.root, ['--workers', '2'], group);
    const workers = await waitUntil('two workers', () => (childPids(run.child.pid!).length === 2 ? childPids(run.child.pid!) : undefined));
    const agent = new Agent({ keepAlive: true });
    try {
      // A response whose headers came but whose body the client has not read yet.
      const body = await new Promise<{ rest: () => Promise<Buffer>; length: number }>((resolve, reject) => {
        httpRequest(new URL(fragment.path.slice(1), url), { agent }, (res) => {
          res.pause();
          resolve({
            length: Number(res.headers['content-length']),
            rest: () =>
              new Promise((ok, fail) => {
                const chunks: Buffer[] = [];
                res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => ok(Buffer.concat(chunks))).on('error', fail);
                res.resume();
              }),
          });
        })
          .on('error', reject)
          .end();
      });
      const stopping = stopRun(run, signal, group);
      // The servers stop accepting before the client reads on.
      await waitUntil('the port closed', () => fetch(url).then(() => false, () => true));
      assert.deepEqual(await body.rest(), fragment.body, 'the response in flight finished');
      assert.equal(body.length, fragment.body.length);
      const res = await stopping;
      assert.equal(res.code, code, describeRun(res));
      assert.ok(res.afterSignalMs < 5000, `ended ${res.afterSignalMs} ms after the signal`);
      assert.doesNotMatch(res.stdout + res.stderr, /"event":"warning"|internal error/, describeRun(res));
      assert.match(res.stdout, /"event":"result","command":"serve"/);
      await waitUntil('no worker left', () => !workers.some(alive));
    } finally {
      agent.destroy();
    }
  });
}

test('serve --workers 2 on a port in use: net.port-in-use once, exit 1, no worker left', { timeout: 60_000 }, async (t) => {
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  t.after(() => busy.close());
  const port = (busy.address() as AddressInfo).port;
  const run = startCli(['serve', 'test/fixtures', '--port', String(port), '--workers', '2'], cliEnv());
  runs.push(run);
  const seen = new Set<number>();
  const watch = setInterval(() => childPids(run.child.pid!).forEach((p) => seen.add(p)), 10);
  const res = await run.done.finally(() => clearInterval(watch));
  assert.equal(res.code, 1, describeRun(res));
  assert.match(res.stderr, new RegExp(`^error net\\.port-in-use: the port is in use by another program \\(EADDRINUSE\\);.*\\(host 127\\.0\\.0\\.1, port ${port}\\)\\n$`));
  assert.equal(res.stdout, '');
  assert.ok(res.ms < 10_000, `ended after ${res.ms} ms`);
  assert.ok(![...seen].some(alive), 'no worker left');
});

test('serve --workers 2: replacements that cannot start end the run with their error after a few tries, not a fork loop', { timeout: 60_000 }, async () => {
  const r = await makeRoot();
  roots.push(r);
  const { run } = await startServe(r.root, ['--workers', '2']);
  const workers = await waitUntil('two workers', () => (childPids(run.child.pid!).length === 2 ? childPids(run.child.pid!) : undefined));
  // Each replacement now finds no root to open.
  await rename(r.root, `${r.root}.gone`);
  process.kill(workers[0]!, 'SIGKILL');
  const res = await run.done;
  assert.equal(res.code, 2, describeRun(res));
  const lines = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as EventLine & { code?: string; message?: string });
  const replaced = lines.filter((l) => l.event === 'warning');
  // The killed worker and then each failed start, with growing waits, until the limit.
  assert.equal(replaced.length, 5, describeRun(res));
  assert.ok(replaced.every((l) => l.code === 'serve.worker-replaced'));
  assert.match(replaced.at(-1)!.message!, /in 1600 ms$/);
  const last = lines.at(-1)!;
  assert.equal(last.event, 'error');
  assert.equal(last.code, 'cli.bad-option');
  assert.match(last.message!, /<root> must be a folder/);
  await waitUntil('no worker left', () => !workers.some(alive));
});
