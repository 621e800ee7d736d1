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
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { writeSidecarsFor } from '../src/fragments/sidecarInputs.js';
import { packagePresentation } from '../src/package/packagePresentation.js';
import { readManifest } from '../src/smooth/readManifest.js';
import { formatFragmentUrl } from '../src/smooth/url.js';
import { parseFormats } from '../src/cli/options.js';
import { CACHE, cleanStaleTemps } from './media.js';
import { argValue, log, median } from './lib/common.js';
import { benchMedia, cpuSeconds, manyPresentations, need, processTree, round, runWrk, startNginx, stop, waitForHttp, writeLua, type WrkResult } from './lib/httpPeers.js';

/** docs/architecture.md: requests/s and CPU per request at least this fraction of nginx's, with N workers each. */
const GOAL = 0.8;

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

/** CPU seconds (user + system) one process and its threads have used so far. */
function cpuOf(pid: number): number {
  const c = cpuSeconds([pid]);
  return c.user + c.system;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
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
  try {
    const names = manyPresentations(dir, ism, files, n);
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
  const { ism, files, media } = benchMedia(quick);
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
        const each0 = pids.map((pid) => cpuOf(pid));
        const res = runWrk(servers[peer].url, join(tmp, `${peer}.lua`), seconds, connections, workers);
        const each = pids.map((pid, i) => cpuOf(pid) - each0[i]!);
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
      mbPerSecond: round(median(runs[peer].map((x) => x.mbPerSecond))),
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
