// Edge benchmark: the example Cloudflare Worker on workerd (Miniflare, R2 bucket in memory,
// sources + sidecars) against the node origin (`serve`'s handler on a local root, its own
// process) on the same requests: every object `package` writes of the fixture presentations
// (Manifests, MPDs, playlists, init segments, fragments), a few rounds, a few in flight.
// The peer on the same runtime: a worker that answers each URL with the R2 object of that
// name holding `package`'s output (what a bucket behind a CDN serves), so the R2 simulator's
// and Miniflare's own share of workerd's CPU falls on both. Reported: each server process's CPU time per request (utime + stime from /proc around the
// measured rounds) and requests/s, edge over node. Cold (first request of each object,
// presentations indexed from their sidecars) and warm rounds are reported apart.
//
//   npm run bench:edge -- [--rounds 5] [--concurrency 8]
//
// The last line is `RESULT {json}`.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWorker } from '../scripts/build-worker.js';
import { FORMATS } from '../src/formats/model.js';
import { writeSidecarsFor } from '../src/fragments/sidecarInputs.js';
import { packagePresentation } from '../src/package/packagePresentation.js';
import { startWorker } from '../test/harness/workerd.js';
import { listFiles, makeRoot, presentations } from '../test/origin/helpers.js';
import { argValue, log } from './lib/common.js';

const rounds = argValue('--rounds', 5);
const concurrency = argValue('--concurrency', 8);

/** The peer: each URL path is the key of an R2 object holding package's output. */
const STATIC_WORKER = `export default {
  async fetch(request, env) {
    const key = decodeURIComponent(new URL(request.url).pathname.slice(1));
    const o = await env.MEDIA.get(key);
    if (o === null) return new Response('not found', { status: 404 });
    return new Response(o.body, { headers: { etag: o.httpEtag, 'content-length': String(o.size) } });
  },
};
`;

interface Measured {
  requests: number;
  cpuMs: number;
  seconds: number;
}

/** CPU ms (user + system) of a process so far, from /proc/PID/stat (100 ticks a second). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** Fetches every URL `times` times with `concurrency` in flight; every answer must be 200 with the expected length. */
async function load(base: string, urls: { path: string; size: number }[], times: number, cpu: () => number): Promise<Measured> {
  const work = Array.from({ length: times }, () => urls).flat();
  let next = 0;
  const cpu0 = cpu();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < work.length) {
        const u = work[next++]!;
        const r = await fetch(base + u.path);
        const body = await r.arrayBuffer();
        if (r.status !== 200 || body.byteLength !== u.size) throw new Error(`${base}${u.path}: ${r.status}, ${body.byteLength} bytes, expected ${u.size}`);
      }
    }),
  );
  return { requests: work.length, cpuMs: cpu() - cpu0, seconds: (performance.now() - t0) / 1000 };
}

const summary = (m: Measured): { requests: number; cpuUsPerRequest: number; requestsPerSecond: number } => ({
  requests: m.requests,
  cpuUsPerRequest: Math.round((m.cpuMs * 1000) / m.requests),
  requestsPerSecond: Math.round(m.requests / m.seconds),
});

const root = await makeRoot();
const dir = await mkdtemp(join(tmpdir(), 'smoothpub-bench-edge-'));
const load0 = loadavg()[0]!;
try {
  const urls: { path: string; size: number }[] = [];
  const packaged = new Map<string, string>();
  for (const [name, p] of Object.entries(presentations)) {
    await writeSidecarsFor(p.inputs(root.root));
    const out = join(dir, name, 'video.ism');
    await packagePresentation({ inputs: p.inputs(root.root), outDir: out, formats: FORMATS });
    for (const key of await listFiles(out)) {
      urls.push({ path: `${p.path}/${key}`, size: (await readFile(join(out, key))).length });
      packaged.set(`${p.path}/${key}`, join(out, key));
    }
  }
  log(`${urls.length} objects of ${Object.keys(presentations).length} presentations, ${rounds} warm rounds, ${concurrency} in flight`);

  const built = await buildWorker({ outfile: join(dir, 'worker.js'), minify: true });
  const worker = await startWorker({ script: built.outfile });
  for (const key of await listFiles(root.root)) await worker.put(key, await readFile(join(root.root, key)));
  await writeFile(join(dir, 'static.js'), STATIC_WORKER);
  const staticWorker = await startWorker({ script: join(dir, 'static.js') });
  for (const [key, file] of packaged) await staticWorker.put(key, await readFile(file));

  const node = spawn(process.execPath, [join(import.meta.dirname, 'originServe.js'), root.root], { stdio: ['ignore', 'pipe', 'inherit'] });
  const nodeUrl = await new Promise<string>((resolve, reject) => {
    node.stdout.once('data', (c: Buffer) => resolve(`${(JSON.parse(c.toString().split('\n')[0]!) as { url: string }).url}/`));
    node.once('exit', (code) => reject(new Error(`node origin exited ${code}`)));
  });
  try {
    const results: Record<string, { cold: Measured; warm: Measured }> = {};
    // Alternating: the machine's other load falls on both alike.
    const servers = [
      ['edge', worker.url, () => worker.cpuMs()],
      ['static', staticWorker.url, () => staticWorker.cpuMs()],
      ['node', nodeUrl, () => cpuMsOf(node.pid!)],
    ] as const;
    for (const [name, base, cpu] of servers) {
      const cold = await load(base, urls, 1, cpu);
      results[name] = { cold, warm: { requests: 0, cpuMs: 0, seconds: 0 } };
    }
    for (let r = 0; r < rounds; r++) {
      for (const [name, base, cpu] of servers) {
        const m = await load(base, urls, 1, cpu);
        const w = results[name]!.warm;
        w.requests += m.requests;
        w.cpuMs += m.cpuMs;
        w.seconds += m.seconds;
      }
    }
    const edge = { cold: summary(results['edge']!.cold), warm: summary(results['edge']!.warm) };
    const nodeS = { cold: summary(results['node']!.cold), warm: summary(results['node']!.warm) };
    const staticS = { cold: summary(results['static']!.cold), warm: summary(results['static']!.warm) };
    for (const [name, s] of [['edge origin (workerd)', edge], ['R2 objects of package output (workerd)', staticS], ['node origin', nodeS]] as const) {
      log(`${name}: cold ${s.cold.cpuUsPerRequest} CPU µs/request, warm ${s.warm.cpuUsPerRequest} CPU µs/request, ${s.warm.requestsPerSecond} requests/s`);
    }
    const result = {
      bench: 'edge',
      objects: urls.length,
      rounds,
      concurrency,
      workerBytes: built.bytes,
      edge,
      static: staticS,
      node: nodeS,
      // The origin's own work on workerd: its CPU per request over a plain R2 read's.
      cpuPerRequestEdgeOverStatic: Number((edge.warm.cpuUsPerRequest / staticS.warm.cpuUsPerRequest).toFixed(2)),
      // Above 1: the worker spends more CPU per request than node's origin does.
      cpuPerRequestEdgeOverNode: Number((edge.warm.cpuUsPerRequest / nodeS.warm.cpuUsPerRequest).toFixed(2)),
      requestsPerSecondEdgeOverNode: Number((edge.warm.requestsPerSecond / nodeS.warm.requestsPerSecond).toFixed(2)),
      loadAverage: { start: load0, end: loadavg()[0]!, cores: cpus().length },
    };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  } finally {
    node.kill('SIGTERM');
    await Promise.all([worker.close(), staticWorker.close()]);
  }
} finally {
  await Promise.all([root.cleanup(), rm(dir, { recursive: true, force: true })]);
}
