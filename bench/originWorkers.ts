// Origin benchmark, N workers: `smoothpub serve --workers N` (the real CLI: a cluster
// primary and N worker processes on one port) against nginx with `worker_processes N`
// serving `package`'s output, same fragments, same wrk load (N threads). The single-worker
// comparison is bench/origin.ts; this is its N-worker mode.
//
//   npm run bench:origin:workers -- [--workers N] [--minutes 10] [--seconds 10] [--rounds 2]
//                                   [--connections 64] [--presentations 1000] [--sched none|rr|both]
//                                   [--formats smooth] [--fixtures] [--quick]
//
// --formats as `serve --formats` (default smooth; package writes the same formats, so both
// serve the same bytes). N defaults to the machine's cores. --sched both also runs the origin with node:cluster's
// round-robin scheduling (NODE_CLUSTER_SCHED_POLICY=rr: the primary accepts every connection
// and passes it to a worker) against the default, the workers accepting on the shared socket.
// CPU time per request is utime+stime (/proc/<pid>/stat) of every process of each server
// (smoothpub's primary and workers, nginx's master and workers) across a round, over the
// requests wrk counted in it. Then memory per worker: `serve --workers N` over a folder of
// --presentations presentations, every Manifest asked on a new connection (the kernel spreads
// them over the workers, each indexing what it answers), RSS of each process from
// /proc/<pid>/status. The last line is `RESULT {json}` with the ratios and the load average.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { writeSidecarsFor } from '../src/fragments/sidecarInputs.js';
import { packagePresentation } from '../src/package/packagePresentation.js';
import { readManifest } from '../src/smooth/readManifest.js';
import { formatFragmentUrl } from '../src/smooth/url.js';
import { parseFormats } from '../src/cli/options.js';
import { CACHE, cleanStaleTemps, ensurePresentation } from './media.js';
import { freePort } from '../test/harness/emulator.js';
import { argValue, log, median } from './lib/common.js';

/** docs/architecture.md: requests/s and CPU per request at least this fraction of nginx's, with N workers each. */
const GOAL = 0.8;

interface WrkResult {
  requests: number;
  requestsPerSecond: number;
  p99Ms: number;
  errors: number;
}

function need(tool: string): void {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is missing: apt-get install -y wrk nginx`);
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** `pid` and its child processes (a server's master and workers). */
function processTree(pid: number): number[] {
  const children = readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        return Number(statFields(Number(n))[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
  return [pid, ...children];
}

/** CPU seconds (user + system) the processes and their threads have used so far. */
function cpuSeconds(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    const f = statFields(pid);
    return sum + (Number(f[11]) + Number(f[12])) / 100;
  }, 0);
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function waitForHttp(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not come up`);
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) return ok();
    child.once('exit', () => ok());
    child.kill('SIGTERM');
  });
}

/** `smoothpub serve <root> --workers N`; resolves once it prints its `listening` line. */
async function startServe(root: string, workers: number, sched: 'none' | 'rr', formats: string): Promise<{ url: string; child: ChildProcess }> {
  const env = { ...process.env, NODE_CLUSTER_SCHED_POLICY: sched };
  const args = ['serve', root, '--port', '0', '--workers', String(workers), '--formats', formats, '--json', '--cache', '100000'];
  const child = spawn(process.execPath, [resolve('bin/smoothpub.js'), ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((ok, fail) => {
    child.once('exit', (code) => fail(new Error(`serve exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const e = JSON.parse(line) as { event: string; url?: string };
      if (e.event === 'listening') ok(e.url!.replace(/\/$/, ''));
    });
  });
  return { url, child };
}

async function startNginx(dir: string, root: string, workers: number): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  for (const d of ['logs', 'tmp']) mkdirSync(join(dir, d), { recursive: true });
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${join(dir, 'tmp', k)};`).join('\n');
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;\nmaster_process on;\nworker_processes ${workers};\nuser root;\npid ${join(dir, 'nginx.pid')};\nerror_log ${join(dir, 'logs', 'error.log')} warn;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  keepalive_requests 1000000;\n  keepalive_timeout 60s;\n  default_type application/octet-stream;\n${temps}\n  server {\n    listen 127.0.0.1:${port};\n    root ${root};\n    location / { }\n  }\n}\n`,
  );
  const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'logs', 'error.log')], { stdio: ['ignore', 'inherit', 'inherit'] });
  return { url: `http://127.0.0.1:${port}`, child };
}

function writeLua(path: string, urls: string[]): void {
  const list = urls.map((u) => `  ${JSON.stringify(u)},`).join('\n');
  writeFileSync(path, `-- every fragment URL, in turn\nlocal paths = {\n${list}\n}\nlocal i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format("GET", paths[i])\nend\n`);
}

function runWrk(url: string, lua: string, seconds: number, connections: number, threads: number): WrkResult {
  const r = spawnSync('wrk', [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '10s', '-s', lua, url], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  const out = r.stdout;
  const number = (re: RegExp): string => re.exec(out)?.[1] ?? 'NaN';
  const p99 = /^([\d.]+)(us|ms|s)$/.exec(number(/ 99%\s+(\S+)/));
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests: Number(number(/(\d+) requests in/)),
    requestsPerSecond: Number(number(/Requests\/sec:\s+([\d.]+)/)),
    p99Ms: p99 ? Number(p99[1]) * { us: 1e-3, ms: 1, s: 1000 }[p99[2] as 'us' | 'ms' | 's'] : NaN,
    errors: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) + (socketErrors ? socketErrors.slice(1).reduce((s, x) => s + Number(x), 0) : 0),
  };
}

/** A GET on a connection of its own (so the kernel may hand it to any worker). */
function getFresh(url: string): Promise<number> {
  return new Promise((ok, fail) => {
    get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => ok(res.statusCode ?? 0));
    }).on('error', fail);
  });
}

/** RSS of each process of `serve --workers N` idle, then with `n` presentations asked for once each on new connections. */
async function rssPerWorker(ism: string, files: string[], n: number, workers: number, formats: string): Promise<Record<string, unknown>> {
  const dir = join(CACHE, `origin-workers-rss.tmp-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    for (const f of files) {
      linkSync(f, join(dir, basename(f)));
      if (existsSync(`${f}.smoothidx`)) linkSync(`${f}.smoothidx`, join(dir, `${basename(f)}.smoothidx`));
    }
    const xml = readFileSync(ism);
    const names = Array.from({ length: n }, (_, i) => `p${String(i).padStart(4, '0')}.ism`);
    for (const name of names) writeFileSync(join(dir, name), xml);
    const serve = await startServe(dir, workers, 'none', formats);
    try {
      await waitForHttp(`${serve.url}/crossdomain.xml`);
      const [primary, ...workerPids] = processTree(serve.child.pid!);
      const idle = workerPids.map(rssMb);
      let next = 0;
      const client = async (): Promise<void> => {
        while (next < names.length) {
          const name = names[next++]!;
          const status = await getFresh(`${serve.url}/${name}/Manifest`);
          if (status !== 200) throw new Error(`${name}: ${status}`);
        }
      };
      await Promise.all(Array.from({ length: 4 * workers }, client));
      const loaded = workerPids.map(rssMb);
      const grown = loaded.reduce((s, x, i) => s + x - idle[i]!, 0);
      return {
        presentations: n,
        workers,
        primaryRssMb: round(rssMb(primary!)),
        workerIdleRssMb: idle.map((x) => round(x)),
        workerRssMb: loaded.map((x) => round(x)),
        totalRssMb: round(rssMb(primary!) + loaded.reduce((s, x) => s + x, 0)),
        // Each presentation is indexed by the workers that answered it: here about once.
        perPresentationKb: round((grown * 1024) / n),
      };
    } finally {
      await stop(serve.child);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Peer = 'origin' | 'origin-rr' | 'nginx';

async function main(): Promise<void> {
  need('wrk');
  need('nginx');
  const quick = process.argv.includes('--quick');
  const workers = argValue('--workers', availableParallelism());
  const seconds = argValue('--seconds', quick ? 5 : 10);
  const rounds = argValue('--rounds', 2);
  const connections = argValue('--connections', 64);
  const presentations = argValue('--presentations', quick ? 200 : 1000);
  const schedAt = process.argv.indexOf('--sched');
  const sched = schedAt >= 0 ? process.argv[schedAt + 1] : 'none';
  if (sched !== 'none' && sched !== 'rr' && sched !== 'both') throw new Error('--sched is none, rr or both');
  const formatsAt = process.argv.indexOf('--formats');
  const formatList = formatsAt >= 0 ? (process.argv[formatsAt + 1] ?? '') : 'smooth';
  const formats = parseFormats(formatList);
  cleanStaleTemps();
  let ism: string;
  let files: string[];
  let media: string;
  if (process.argv.includes('--fixtures') || spawnSync('sh', ['-c', 'command -v ffmpeg']).status !== 0) {
    ism = resolve('test/fixtures/clean/clean.ism');
    files = ['v400', 'v250', 'v120'].map((l) => resolve(`test/fixtures/clean/${l}.ismv`)).concat(resolve('test/fixtures/clean/audio.isma'));
    media = 'fixtures (clean)';
  } else {
    const p = ensurePresentation(argValue('--minutes', quick ? 2 : 10));
    ism = p.ism;
    files = p.files;
    media = `${p.seconds / 60} min, ${files.length} files, ${(p.bytes / 1e6).toFixed(0)} MB`;
  }
  log(`media: ${media}; ${workers} workers each`);
  await writeSidecarsFor([ism]);

  const tmp = join(tmpdir(), `smoothpub-bench-origin-workers-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const children: ChildProcess[] = [];
  try {
    const staticRoot = join(tmp, 'static');
    await packagePresentation({ inputs: [ism], outDir: join(staticRoot, 'video.ism'), formats });
    const peers: Peer[] = sched === 'both' ? ['nginx', 'origin', 'origin-rr'] : ['nginx', 'origin'];
    const servers = {} as Record<Peer, { url: string; child: ChildProcess; base: string }>;
    for (const peer of peers) {
      const s = peer === 'nginx' ? await startNginx(join(tmp, 'nginx'), staticRoot, workers) : await startServe(dirname(ism), workers, peer === 'origin-rr' || sched === 'rr' ? 'rr' : 'none', formatList);
      children.push(s.child);
      servers[peer] = { ...s, base: peer === 'nginx' ? '/video.ism/' : `/${basename(ism)}/` };
      await waitForHttp(`${s.url}${servers[peer].base}Manifest`);
    }
    const origin = servers.origin;
    const manifest = readManifest(await (await fetch(`${origin.url}${origin.base}Manifest`)).text());
    const keys = manifest.streams.flatMap((s) => s.qualityLevels.flatMap((q) => s.chunks.map((c) => formatFragmentUrl(s.url, q.bitrate, c.t))));
    // Same bytes from both, or the comparison means nothing.
    for (const key of keys.filter((_, i) => i % Math.ceil(keys.length / 25) === 0)) {
      const [a, b] = await Promise.all([fetch(`${origin.url}${origin.base}${key}`), fetch(`${servers.nginx.url}/video.ism/${key}`)]);
      const [ab, bb] = await Promise.all([a.arrayBuffer(), b.arrayBuffer()]);
      if (a.status !== 200 || b.status !== 200 || !Buffer.from(ab).equals(Buffer.from(bb))) throw new Error(`${key}: origin and nginx differ`);
    }
    log(`${keys.length} fragment URLs; ${seconds} s per run, ${rounds} rounds, ${connections} connections, ${workers} wrk threads`);
    for (const peer of peers) writeLua(join(tmp, `${peer}.lua`), keys.map((k) => `${servers[peer].base}${k}`));
    for (const peer of peers) runWrk(servers[peer].url, join(tmp, `${peer}.lua`), 3, connections, workers); // warm-up (JIT, page cache)

    const runs = Object.fromEntries(peers.map((p) => [p, [] as WrkResult[]])) as Record<Peer, WrkResult[]>;
    const cpu = Object.fromEntries(peers.map((p) => [p, [] as number[]])) as Record<Peer, number[]>;
    const busiestShare = Object.fromEntries(peers.map((p) => [p, [] as number[]])) as Record<Peer, number[]>;
    const loads: number[] = [loadavg()[0]!];
    for (let r = 0; r < rounds; r++) {
      for (const peer of r % 2 ? [...peers].reverse() : peers) {
        const pids = processTree(servers[peer].child.pid!);
        if (pids.length !== workers + 1) throw new Error(`${peer}: ${pids.length - 1} workers, expected ${workers}`);
        const each0 = pids.map((pid) => cpuSeconds([pid]));
        const res = runWrk(servers[peer].url, join(tmp, `${peer}.lua`), seconds, connections, workers);
        const each = pids.map((pid, i) => cpuSeconds([pid]) - each0[i]!);
        const total = each.reduce((a, b) => a + b, 0);
        const cpuUs = (total * 1e6) / res.requests;
        // How evenly the load spread: the busiest worker's share of the workers' CPU.
        const workerCpu = each.slice(1);
        const busiest = Math.max(...workerCpu) / workerCpu.reduce((a, b) => a + b, 0);
        loads.push(loadavg()[0]!);
        log(`${peer}: ${res.requestsPerSecond.toFixed(0)} req/s, p99 ${res.p99Ms.toFixed(2)} ms, ${cpuUs.toFixed(0)} CPU us/request (all processes; master/primary ${((each[0]! * 1e6) / res.requests).toFixed(1)}), busiest worker ${(busiest * 100).toFixed(0)}% of the workers' CPU, errors ${res.errors}`);
        busiestShare[peer].push(busiest);
        runs[peer].push(res);
        cpu[peer].push(cpuUs);
      }
    }
    for (const c of children) await stop(c);
    const summary = (peer: Peer): WrkResult & { cpuUsPerRequest: number; busiestWorkerCpuShare: number } => ({
      requests: runs[peer].reduce((s, x) => s + x.requests, 0),
      requestsPerSecond: round(median(runs[peer].map((x) => x.requestsPerSecond))),
      p99Ms: round(median(runs[peer].map((x) => x.p99Ms)), 2),
      errors: runs[peer].reduce((s, x) => s + x.errors, 0),
      cpuUsPerRequest: round(median(cpu[peer])),
      busiestWorkerCpuShare: round(median(busiestShare[peer]), 2),
    });
    const o = summary('origin');
    const n = summary('nginx');
    const ratio = round(o.requestsPerSecond / n.requestsPerSecond, 2);
    const cpuRatio = round(n.cpuUsPerRequest / o.cpuUsPerRequest, 2);
    log(`origin (${workers} workers) ${o.requestsPerSecond} req/s vs nginx (${workers} workers) ${n.requestsPerSecond} req/s: ${ratio}x; CPU per request nginx/origin ${cpuRatio}x (goal >= ${GOAL}x each)`);
    let rr: Record<string, unknown> | undefined;
    if (peers.includes('origin-rr')) {
      const s = summary('origin-rr');
      rr = { ...s, ratio: round(s.requestsPerSecond / n.requestsPerSecond, 2), cpuRatio: round(n.cpuUsPerRequest / s.cpuUsPerRequest, 2) };
      log(`origin with round-robin scheduling: ${s.requestsPerSecond} req/s (${rr['ratio']}x nginx), ${s.cpuUsPerRequest} CPU us/request (${rr['cpuRatio']}x)`);
    }
    const memory = await rssPerWorker(ism, files, presentations, workers, formatList);
    log(`memory with ${presentations} presentations over ${workers} workers: ${JSON.stringify(memory)}`);
    const result = {
      bench: 'origin-workers',
      media,
      formats: formatList,
      workers,
      fragments: keys.length,
      connections,
      seconds,
      rounds,
      scheduling: sched === 'rr' ? 'rr' : 'none',
      origin: o,
      nginx: n,
      ...(rr !== undefined && { originRoundRobin: rr }),
      ratio,
      cpuRatio,
      loadAverage: round(median(loads), 2),
      goal: GOAL,
      pass: ratio >= GOAL && cpuRatio >= GOAL && o.errors === 0,
      memory,
    };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  } finally {
    for (const c of children) await stop(c);
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
