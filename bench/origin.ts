// Origin benchmark: `smoothpub serve` (byte ranges of the sources) against nginx serving
// `package`'s output as static files, same fragments, same wrk load (docs/architecture.md target:
// at least 0.8x nginx's requests/s, and 0.8x in CPU time per request, nginx's over ours).
// Then the origin's RSS with 1,000 presentations indexed, against the same process idle.
//
//   npm run bench:origin -- [--minutes 10] [--seconds 10] [--rounds 2] [--connections 32]
//                           [--presentations 1000] [--formats smooth] [--fixtures] [--quick]
//                           [--compare <other checkout>]
//
// --formats as `serve --formats` (default smooth, as serve's): with dash or hls both serve
// fragments with a tfdt (the origin adds it on the fly, nginx serves package's output).
// --compare: another build's origin (its dist/bench/originServe.js, built there) as a third
// server in the same rounds, "before", for A/B runs of two builds under the same load.
// --quick (for iterating): 2-minute media, 5 s runs, 200 presentations.
// wrk (apt) cycles through every fragment URL of every level with a Lua script. nginx
// (apt) runs from its own config in a temp folder, 127.0.0.1 only, `daemon off`, one
// worker (the origin is one node thread), sendfile on, no access log. Both servers are
// child processes; the rounds alternate between them and the median is reported. CPU time
// per request is each server's utime+stime (/proc/<pid>/stat; nginx's master and worker
// summed) across a round over the requests wrk counted in it: unlike requests/s it hardly
// moves when other work shares the machine. The last line is `RESULT {json}`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { writeSidecarsFor } from '../src/fragments/sidecarInputs.js';
import { packagePresentation } from '../src/package/packagePresentation.js';
import { readManifest } from '../src/smooth/readManifest.js';
import { formatFragmentUrl } from '../src/smooth/url.js';
import type { Format } from '../src/formats/model.js';
import { parseFormats } from '../src/cli/options.js';
import { CACHE, cleanStaleTemps } from './media.js';
import { argValue, log, median } from './lib/common.js';
import { benchMedia, cpuSeconds, manyPresentations, need, processTree, round, runWrk, startNginx, stop, waitForHttp, writeLua, type WrkResult } from './lib/httpPeers.js';

/** docs/architecture.md: requests/s and CPU per request both at least this fraction of nginx's. */
const GOAL = 0.8;

interface MemoryReport {
  rss: number;
  heapUsed: number;
  external: number;
}

interface OriginProcess {
  url: string;
  child: ChildProcess;
  /** Memory after a full garbage collection, as the origin process reports it. */
  memory(): Promise<MemoryReport>;
}

function startOriginProcess(root: string, formats: readonly Format[], script = resolve('dist/bench/originServe.js')): Promise<OriginProcess> {
  const child = spawn(process.execPath, ['--expose-gc', script, root, formats.join(',')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: ((line: string) => void)[] = [];
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buffered += d;
    for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      lines.shift()?.(line);
    }
  });
  const nextLine = (): Promise<string> => new Promise((ok) => lines.push(ok));
  return new Promise((ok, fail) => {
    child.once('exit', (code) => fail(new Error(`origin exited with ${code}`)));
    void nextLine().then((line) =>
      ok({
        url: (JSON.parse(line) as { url: string }).url,
        child,
        memory: async () => {
          const reply = nextLine();
          child.kill('SIGUSR2');
          return JSON.parse(await reply) as MemoryReport;
        },
      }),
    );
  });
}

/** `n` presentations (the same media, each its own .ism) in one folder, indexed by one origin process. */
async function rssWithPresentations(ism: string, files: string[], n: number, formats: readonly Format[], script?: string): Promise<{ presentations: number; baselineRssMb: number; rssMb: number; heapMb: number; perPresentationKb: number; heapPerPresentationKb: number; seconds: number }> {
  const dir = join(CACHE, `origin-rss.tmp-${process.pid}`);
  try {
    const names = manyPresentations(dir, ism, files, n);
    const origin = await startOriginProcess(dir, formats, script);
    const { url, child } = origin;
    try {
      await waitForHttp(`${url}/crossdomain.xml`);
      const idle = await origin.memory();
      const baseline = idle.rss / 2 ** 20;
      const t0 = performance.now();
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < names.length) {
          const name = names[next++]!;
          const r = await fetch(`${url}/${name}/Manifest`);
          if (!r.ok) throw new Error(`${name}: ${r.status}`);
          await r.arrayBuffer();
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      const seconds = (performance.now() - t0) / 1000;
      const after = await origin.memory();
      const rss = after.rss / 2 ** 20;
      return { presentations: n, baselineRssMb: round(baseline), rssMb: round(rss), heapMb: round(after.heapUsed / 2 ** 20), perPresentationKb: round(((rss - baseline) * 1024) / n), heapPerPresentationKb: round((after.heapUsed - idle.heapUsed) / 1024 / n), seconds: round(seconds) };
    } finally {
      await stop(child);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  need('wrk');
  need('nginx');
  const quick = process.argv.includes('--quick');
  const seconds = argValue('--seconds', quick ? 5 : 10);
  const rounds = argValue('--rounds', 2);
  const connections = argValue('--connections', 32);
  const presentations = argValue('--presentations', quick ? 200 : 1000);
  const formatsAt = process.argv.indexOf('--formats');
  const formats = parseFormats(formatsAt >= 0 ? (process.argv[formatsAt + 1] ?? '') : 'smooth');
  cleanStaleTemps();
  const { ism, files, media } = benchMedia(quick);
  log(`media: ${media}`);
  const sidecars = await writeSidecarsFor([ism]);
  log(`sidecars: ${sidecars.length} written, ${sidecars.reduce((s, w) => s + w.bytes, 0)} bytes`);

  const tmp = join(tmpdir(), `smoothpub-bench-origin-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const children: ChildProcess[] = [];
  try {
    const staticRoot = join(tmp, 'static');
    await packagePresentation({ inputs: [ism], outDir: join(staticRoot, 'video.ism'), formats });
    const origin = await startOriginProcess(dirname(ism), formats);
    children.push(origin.child);
    const compareAt = process.argv.indexOf('--compare');
    const beforeScript = compareAt >= 0 ? resolve(process.argv[compareAt + 1]!, 'dist/bench/originServe.js') : undefined;
    const before = beforeScript === undefined ? undefined : await startOriginProcess(dirname(ism), formats, beforeScript);
    if (before) children.push(before.child);
    const nginx = await startNginx(join(tmp, 'nginx'), staticRoot);
    children.push(nginx.child);
    const originBase = `/${basename(ism)}/`;
    await waitForHttp(`${origin.url}${originBase}Manifest`);
    await waitForHttp(`${nginx.url}/video.ism/Manifest`);
    if (before) await waitForHttp(`${before.url}${originBase}Manifest`);

    const manifest = readManifest(await (await fetch(`${origin.url}${originBase}Manifest`)).text());
    const keys = manifest.streams.flatMap((s) => s.qualityLevels.flatMap((q) => s.chunks.map((c) => formatFragmentUrl(s.url, q.bitrate, c.t))));
    // Same bytes from both, or the comparison means nothing.
    for (const key of keys.filter((_, i) => i % Math.ceil(keys.length / 25) === 0)) {
      const [a, b] = await Promise.all([fetch(`${origin.url}${originBase}${key}`), fetch(`${nginx.url}/video.ism/${key}`)]);
      const [ab, bb] = await Promise.all([a.arrayBuffer(), b.arrayBuffer()]);
      if (a.status !== 200 || b.status !== 200 || !Buffer.from(ab).equals(Buffer.from(bb))) throw new Error(`${key}: origin and nginx differ`);
    }
    const fragmentBytes = keys.length;
    log(`${keys.length} fragment URLs; ${seconds} s per run, ${rounds} rounds, ${connections} connections`);
    writeLua(join(tmp, 'origin.lua'), keys.map((k) => `${originBase}${k}`));
    writeLua(join(tmp, 'nginx.lua'), keys.map((k) => `/video.ism/${k}`));

    runWrk(origin.url, join(tmp, 'origin.lua'), 3, connections); // warm-up (JIT, page cache)
    runWrk(nginx.url, join(tmp, 'nginx.lua'), 3, connections);
    if (before) runWrk(before.url, join(tmp, 'origin.lua'), 3, connections);
    type Which = 'origin' | 'nginx' | 'before';
    const runs: Record<Which, WrkResult[]> = { origin: [], nginx: [], before: [] };
    const cpu: Record<Which, { user: number; system: number }[]> = { origin: [], nginx: [], before: [] };
    const pids = { origin: [origin.child.pid!], nginx: processTree(nginx.child.pid!), before: before ? [before.child.pid!] : [] };
    const urls = { origin: origin.url, nginx: nginx.url, before: before?.url ?? '' };
    const order: Which[] = before ? ['nginx', 'origin', 'before'] : ['nginx', 'origin'];
    // The 1-minute load average at the start and after each run: wrk and the server under
    // test count for about 2 of it; more means other work shared the machine.
    const loads = [loadavg()[0]!];
    if (loads[0]! > cpus().length) log(`warning: load average ${loads[0]!.toFixed(1)} on ${cpus().length} CPUs: other work competes, req/s are noisy (CPU per request less so)`);
    for (let r = 0; r < rounds; r++) {
      for (const which of r % 2 ? [...order].reverse() : order) {
        const cpu0 = cpuSeconds(pids[which]);
        const res = runWrk(urls[which], join(tmp, `${which === 'nginx' ? 'nginx' : 'origin'}.lua`), seconds, connections);
        const cpu1 = cpuSeconds(pids[which]);
        const used = { user: ((cpu1.user - cpu0.user) * 1e6) / res.requests, system: ((cpu1.system - cpu0.system) * 1e6) / res.requests };
        const cpuUs = used.user + used.system;
        loads.push(loadavg()[0]!);
        log(`${which}: ${res.requestsPerSecond.toFixed(0)} req/s, ${res.mbPerSecond.toFixed(0)} MB/s, p99 ${res.p99Ms.toFixed(2)} ms, ${cpuUs.toFixed(1)} CPU us/request (${used.user.toFixed(1)} user), errors ${res.errors}, load ${loads.at(-1)!.toFixed(1)}`);
        runs[which].push(res);
        cpu[which].push(used);
      }
    }
    const originRss = (await origin.memory()).rss / 2 ** 20;
    await stop(origin.child);
    if (before) await stop(before.child);
    await stop(nginx.child);
    const summary = (xs: WrkResult[], cpuUs: { user: number; system: number }[]): WrkResult & { cpuUsPerRequest: number; userUsPerRequest: number; systemUsPerRequest: number } => ({
      requests: xs.reduce((s, x) => s + x.requests, 0),
      cpuUsPerRequest: round(median(cpuUs.map((c) => c.user + c.system))),
      userUsPerRequest: round(median(cpuUs.map((c) => c.user))),
      systemUsPerRequest: round(median(cpuUs.map((c) => c.system))),
      requestsPerSecond: round(median(xs.map((x) => x.requestsPerSecond))),
      mbPerSecond: round(median(xs.map((x) => x.mbPerSecond))),
      p99Ms: round(median(xs.map((x) => x.p99Ms)), 2),
      errors: xs.reduce((s, x) => s + x.errors, 0),
    });
    const o = summary(runs.origin, cpu.origin);
    const n = summary(runs.nginx, cpu.nginx);
    const ratio = round(o.requestsPerSecond / n.requestsPerSecond, 2);
    const cpuRatio = round(n.cpuUsPerRequest / o.cpuUsPerRequest, 2);
    const load = { start: round(loads[0]!, 2), mean: round(loads.reduce((a, b) => a + b, 0) / loads.length, 2), max: round(Math.max(...loads), 2), cpus: cpus().length };
    log(`origin ${o.requestsPerSecond} req/s vs nginx ${n.requestsPerSecond} req/s: ${ratio}x (goal >= ${GOAL}x)`);
    log(`CPU per request: origin ${o.cpuUsPerRequest} us vs nginx ${n.cpuUsPerRequest} us: nginx's over ours ${cpuRatio}x (goal >= ${GOAL}x)`);
    log(`p99: origin ${o.p99Ms} ms, nginx ${n.p99Ms} ms; load average ${load.mean} (max ${load.max}) on ${load.cpus} CPUs`);
    const b = before ? summary(runs.before, cpu.before) : undefined;
    if (b) log(`before (${process.argv[compareAt + 1]}): ${b.requestsPerSecond} req/s, ${b.cpuUsPerRequest} CPU us/request (${b.userUsPerRequest} user); this build over it: ${round(o.requestsPerSecond / b.requestsPerSecond, 2)}x req/s, CPU ${round(b.cpuUsPerRequest / o.cpuUsPerRequest, 2)}x; nginx's CPU over its ${round(n.cpuUsPerRequest / b.cpuUsPerRequest, 2)}x`);
    const rss = await rssWithPresentations(ism, files, presentations, formats);
    const rssBefore = beforeScript === undefined ? undefined : await rssWithPresentations(ism, files, presentations, formats, beforeScript);
    if (rssBefore) log(`before: RSS with ${rssBefore.presentations} presentations indexed: ${rssBefore.rssMb} MB (${rssBefore.baselineRssMb} MB idle, ${rssBefore.perPresentationKb} KB RSS and ${rssBefore.heapPerPresentationKb} KB heap each)`);
    log(`RSS with ${rss.presentations} presentations indexed: ${rss.rssMb} MB (${rss.baselineRssMb} MB idle, heap ${rss.heapMb} MB, ${rss.perPresentationKb} KB RSS and ${rss.heapPerPresentationKb} KB heap each, loaded in ${rss.seconds} s)`);
    const result = {
      bench: 'origin',
      media,
      formats,
      fragments: fragmentBytes,
      connections,
      seconds,
      rounds,
      origin: { ...o, rssAfterRunMb: round(originRss) },
      nginx: n,
      ratio,
      cpuRatio,
      p99Ratio: round(o.p99Ms / n.p99Ms, 2),
      loadAverage: load.mean,
      load,
      goal: GOAL,
      pass: ratio >= GOAL && cpuRatio >= GOAL && o.errors === 0,
      memoryPerPresentationKb: rss.perPresentationKb,
      presentations: rss,
      ...(b && { before: { ...b, ratio: round(b.requestsPerSecond / n.requestsPerSecond, 2), cpuRatio: round(n.cpuUsPerRequest / b.cpuUsPerRequest, 2), memoryPerPresentationKb: rssBefore?.perPresentationKb } }),
    };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  } finally {
    for (const c of children) await stop(c);
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
