// Live benchmark: how many simultaneous 7-level live presentations (7 H.264 levels + AAC, 8
// pushes each, ~8.9 Mbit/s) one `smoothpub ingest` process takes at real time into a folder
// store, and what it costs against `cp` of the same bytes.
//
//   npm run bench:live -- [--seconds 40] [--max-events 64] [--aligned]
//   npm run bench:live -- --quick          (12 s pushes, 1, 2 and 4 events)
//   ... --keep (leave .cache/bench/live-out), --cpu-prof <dir> (profile the ingest process)
//
// The encoders are bench/lib/livePusher.ts: one node process replaying ffmpeg's own pushes
// (captured once per level from `ffmpeg -c copy -movflags +isml+frag_keyframe -f ismv
// http://...`) at real time, as `-re` sends them; one ffmpeg per level would take 16 events'
// worth of this machine's 2 cores by itself (see there). Its CPU is reported apart.
// The number of events doubles (1, 2, 4, ...) on one ingest process (`smoothpub ingest
// <folder> --json`, a child) until one fragment misses its deadline or --max-events;
// events of one round start spread over one fragment duration (`--aligned`: all at once,
// every event's fragments arriving in the same instant).
//
// Per fragment: sent = when the pusher handed its last byte to the socket; visible = when
// ingest reported it stored (its `live` `fragment` line, written after the store's put
// resolved: the folder store renames a complete temp file, so the object is visible then or
// earlier). Ingest holds each level's newest fragment until the next one arrives (its
// immutable object carries a tfrf naming that next fragment), so a fragment can be stored
// only once its next fragment (or the end of the push) has arrived: "ready". Reported:
// ingest latency (ready -> visible; the deadline: within one fragment duration) and the
// end-to-end latency (sent -> visible: the hold-back, one fragment duration, plus the ingest
// latency), p50/p99. CPU per ingested megabyte of the ingest process (from /proc, from the
// round's first push to its last event finalised) against `cp -r` of the round's stored
// presentations (GNU time, median of 3). `RESULT {json}` last.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { argValue, log, median, round3 } from './lib/common.js';
import { GNU_TIME, readCpuTime, withCpuTime } from './lib/cpu.js';
import { folderStats } from './lib/folderStats.js';
import type { PushPlan, PushResult } from './lib/livePusher.js';
import { CACHE, ensurePresentation } from './media.js';

const OUT = join(CACHE, 'live-out');
const BIN = resolve('bin/smoothpub.js');
const PUSHER = resolve('dist/bench/lib/livePusher.js');

function now(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Stream id (`video_2962k`, `audio`) -> the body ffmpeg pushes for that level, the first
 * `seconds` of the 2-minute ladder; captured once. Audio pushed alone is cut every 2 s
 * (`-frag_duration`): with `frag_keyframe` alone ffmpeg sends one fragment for the whole push.
 */
async function ensureCaptures(seconds: number): Promise<Record<string, string>> {
  const p = ensurePresentation(2);
  const ids = p.files.map((f) => f.replace(/^.*\//, '').replace(/\.ism[va]$/, ''));
  const dir = join(CACHE, `live-capture-v2-${seconds}s`);
  const levels = Object.fromEntries(ids.map((id) => [id, join(dir, `${id}.push`)]));
  if (existsSync(join(dir, 'complete'))) return levels;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const bodies = new Map<string, Buffer[]>();
  const server = createServer((req, res) => {
    const id = /Streams\(([^)]+)\)/.exec(req.url ?? '')?.[1] ?? 'unknown';
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      bodies.set(id, parts);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  log(`capturing ffmpeg's pushes of ${p.files.length} levels (${seconds} s each) into ${dir}`);
  await Promise.all(
    p.files.map((f, i) => {
      const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-t', String(seconds), '-i', f, '-map', '0', '-c', 'copy', ...(f.endsWith('.isma') ? ['-frag_duration', '2000000'] : []), '-movflags', '+isml+frag_keyframe', '-f', 'ismv', `http://127.0.0.1:${port}/capture.isml/Streams(${ids[i]!})`], { stdio: 'inherit' });
      return new Promise<void>((res, rej) => child.on('close', (code) => (code === 0 ? res() : rej(new Error(`ffmpeg pushing ${f} failed with ${code}`)))));
    }),
  );
  server.close();
  for (const id of ids) {
    const parts = bodies.get(id);
    if (parts === undefined) throw new Error(`no push captured for ${id}`);
    writeFileSync(join(tmp, `${id}.push`), Buffer.concat(parts));
  }
  writeFileSync(join(tmp, 'complete'), '');
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return levels;
}

/** CPU seconds (user + system) of `pid` so far. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

interface Seen {
  at: number;
  t: bigint;
  action: string;
}

/** The ingest child and what it reports: fragments stored (by presentation and stream id), events finalised, problems. */
class IngestChild {
  readonly seen = new Map<string, Seen[]>();
  readonly finalized = new Set<string>();
  readonly problems: string[] = [];
  url = '';
  private waiters: (() => void)[] = [];

  constructor(readonly child: ChildProcess) {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const at = now();
      const e = JSON.parse(line) as Record<string, unknown>;
      if (e['event'] === 'listening') this.url = e['url'] as string;
      else if (e['event'] === 'warning') this.problems.push(String(e['message']));
      else if (e['event'] === 'live' && e['type'] === 'fragment') {
        const stream = /Streams\(([^)]+)\)/.exec(e['source'] as string)![1]!;
        const key = `${e['presentation'] as string}/${stream}`;
        let list = this.seen.get(key);
        if (!list) this.seen.set(key, (list = []));
        list.push({ at, t: BigInt(e['t'] as string), action: e['action'] as string });
      } else if (e['event'] === 'live' && e['type'] === 'finalized') this.finalized.add(e['presentation'] as string);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  async until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) return false;
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
    return true;
  }
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

interface Round {
  events: number;
  fragments: number;
  stored: number;
  missing: number;
  late: number;
  ingestP50: number;
  ingestP99: number;
  ingestMax: number;
  e2eP50: number;
  e2eP99: number;
  pusherLateP99: number;
  pushedMB: number;
  storedMB: number;
  ingestCpu: number;
  pusherCpu: number;
  cpCpu: number;
  cpSeconds: number;
  load: number;
  met: boolean;
}

async function round(ingest: IngestChild, levels: Record<string, string>, count: number, aligned: boolean, fragmentMs: number): Promise<Round> {
  const names = Array.from({ length: count }, (_, i) => `r${count}e${i}`);
  const plan: PushPlan = {
    url: ingest.url,
    levels,
    events: names.map((name, i) => ({ name, startMs: aligned ? 0 : (i * fragmentMs) / count })),
    t0: now() + 1000,
  };
  const planPath = join(OUT, `plan-${count}.json`);
  const resultPath = join(OUT, `pushed-${count}.json`);
  writeFileSync(planPath, JSON.stringify(plan));
  const cpu0 = cpuOf(ingest.child.pid!);
  const pusher = spawn(process.execPath, [PUSHER, planPath, resultPath], { stdio: 'inherit' });
  const code = await new Promise<number | null>((r) => pusher.on('close', r));
  if (code !== 0) throw new Error(`the pusher failed with ${code}`);
  const all = await ingest.until(() => names.every((n) => ingest.finalized.has(n)), 60_000);
  const ingestCpu = cpuOf(ingest.child.pid!) - cpu0;
  const load = loadavg()[0]!;
  const pushed = JSON.parse(readFileSync(resultPath, 'utf8')) as PushResult;

  const ingestLatency: number[] = [];
  const e2e: number[] = [];
  const pusherLate: number[] = [];
  let fragments = 0;
  let stored = 0;
  let late = 0;
  for (const p of pushed.pushes) {
    if (p.error !== undefined || p.status !== 200) ingest.problems.push(`push ${p.event}/${p.stream}: ${p.error ?? `status ${p.status}`}`);
    // The k-th fragment stored for a push is its k-th pushed (times only grow; nothing is refused, checked below).
    const seen = [...(ingest.seen.get(`${p.event}/${p.stream}`) ?? [])].sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
    fragments += p.fragments.length;
    p.fragments.forEach((f, k) => {
      pusherLate.push(f.sentAt - f.dueAt);
      const s = seen[k];
      if (s === undefined) return;
      stored++;
      const ready = k + 1 < p.fragments.length ? p.fragments[k + 1]!.sentAt : p.endAt;
      const lat = s.at - ready;
      ingestLatency.push(lat);
      e2e.push(s.at - f.sentAt);
      if (lat > f.durationMs) late++;
    });
  }
  const storedNames = names.map((n) => join(OUT, 'store', `${n}.ism`));
  const storedBytes = storedNames.reduce((s, d) => s + folderStats(d).bytes, 0);
  const cp = copyRuns(storedNames, 3);
  const missing = fragments - stored;
  const r: Round = {
    events: count,
    fragments,
    stored,
    missing,
    late,
    ingestP50: percentile(ingestLatency, 50),
    ingestP99: percentile(ingestLatency, 99),
    ingestMax: Math.max(...ingestLatency),
    e2eP50: percentile(e2e, 50),
    e2eP99: percentile(e2e, 99),
    pusherLateP99: percentile(pusherLate, 99),
    pushedMB: pushed.bytes / 1e6,
    storedMB: storedBytes / 1e6,
    ingestCpu,
    pusherCpu: pushed.cpuSeconds,
    cpCpu: cp.cpu,
    cpSeconds: cp.seconds,
    load,
    met: all && missing === 0 && late === 0 && ingest.problems.length === 0,
  };
  if (!all) ingest.problems.push(`round ${count}: not every event finalised within 60 s of its push`);
  return r;
}

/** `cp -r` of the stored presentations into a scratch folder, `reps` times: median CPU and wall seconds. */
function copyRuns(dirs: string[], reps: number): { cpu: number; seconds: number } {
  const cpus: number[] = [];
  const secs: number[] = [];
  const dest = join(OUT, 'cp');
  const timeFile = join(OUT, '.cp-time');
  for (let i = 0; i < reps; i++) {
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest, { recursive: true });
    const [file, ...args] = withCpuTime(['cp', '-r', ...dirs, dest], timeFile) as [string, ...string[]];
    const t0 = performance.now();
    const r = spawnSync(file, args, { stdio: 'inherit' });
    secs.push((performance.now() - t0) / 1000);
    if (r.status !== 0) throw new Error(`cp failed with ${r.status}`);
    cpus.push(readCpuTime(timeFile) ?? NaN);
  }
  rmSync(dest, { recursive: true, force: true });
  return { cpu: median(cpus), seconds: median(secs) };
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const aligned = process.argv.includes('--aligned');
  const seconds = argValue('--seconds', quick ? 12 : 40);
  const maxEvents = argValue('--max-events', quick ? 4 : 64);
  if (seconds > 120 || seconds % 2 !== 0) throw new Error('--seconds: an even number up to 120 (the ladder has 2 s fragments, 2 minutes)');
  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} (GNU time) is needed for cp's CPU seconds`);
  const levels = await ensureCaptures(seconds);
  const fragmentMs = 2000;
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(join(OUT, 'store'), { recursive: true });
  const profDir = process.argv.indexOf('--cpu-prof');
  const prof = profDir >= 0 ? ['--cpu-prof', '--cpu-prof-dir', resolve(process.argv[profDir + 1] ?? 'prof')] : [];
  const child = spawn(process.execPath, [...prof, BIN, 'ingest', join(OUT, 'store'), '--port', '0', '--json', '--finalize-after', '60'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ingest = new IngestChild(child);
  try {
    if (!(await ingest.until(() => ingest.url !== '', 20_000))) throw new Error('ingest did not start');
    log(`ingest at ${ingest.url}; ${Object.keys(levels).length} pushes per event, ${seconds} s each, events ${aligned ? 'aligned' : 'spread over a fragment duration'}; ${cpus().length} cores`);
    const rounds: Round[] = [];
    for (let count = 1; count <= maxEvents; count *= 2) {
      const r = await round(ingest, levels, count, aligned, fragmentMs);
      rounds.push(r);
      log(
        `${count} events: ${r.stored}/${r.fragments} fragments stored, ${r.late} late; ingest latency p50 ${r.ingestP50.toFixed(1)} ms p99 ${r.ingestP99.toFixed(1)} ms max ${r.ingestMax.toFixed(1)} ms; ` +
          `end-to-end p50 ${r.e2eP50.toFixed(0)} ms p99 ${r.e2eP99.toFixed(0)} ms; ingest cpu ${r.ingestCpu.toFixed(2)} s for ${r.pushedMB.toFixed(1)} MB, cp ${r.cpCpu.toFixed(2)} s; pusher cpu ${r.pusherCpu.toFixed(2)} s (p99 ${r.pusherLateP99.toFixed(1)} ms late); load ${r.load.toFixed(1)}`,
      );
      if (!r.met) {
        log(`round of ${count} events missed: ${ingest.problems.slice(0, 5).join('; ') || `${r.late} fragments late, ${r.missing} missing`}`);
        break;
      }
    }
    const passed = rounds.filter((r) => r.met);
    const best = passed[passed.length - 1];
    const sum = (f: (r: Round) => number): number => rounds.reduce((s, r) => s + f(r), 0);
    const ingestPerMB = sum((r) => r.ingestCpu) / sum((r) => r.pushedMB);
    const cpPerMB = sum((r) => r.cpCpu) / sum((r) => r.storedMB);
    // The rounds that kept up: an overloaded process spends more per megabyte (backlogs, GC).
    const sumMet = (f: (r: Round) => number): number => passed.reduce((s, r) => s + f(r), 0);
    const metRatio = passed.length === 0 ? NaN : sumMet((r) => r.ingestCpu) / sumMet((r) => r.pushedMB) / (sumMet((r) => r.cpCpu) / sumMet((r) => r.storedMB));
    console.log(`\nlive ingest, 7 video levels + audio per event (${(sum((r) => r.pushedMB) / sum((r) => r.events) / seconds * 8).toFixed(1)} Mbit/s), ${seconds} s pushes, one ingest process, folder store`);
    console.log('events  fragments  late  ingest p50/p99/max ms   end-to-end p50/p99 ms  ingest cpu s (ms/MB)  cp cpu s (ms/MB)  pusher cpu s  load');
    for (const r of rounds) {
      console.log(
        `${String(r.events).padStart(6)}  ${`${r.stored}/${r.fragments}`.padStart(9)}  ${String(r.late).padStart(4)}  ${`${r.ingestP50.toFixed(1)}/${r.ingestP99.toFixed(1)}/${r.ingestMax.toFixed(0)}`.padStart(20)}   ${`${r.e2eP50.toFixed(0)}/${r.e2eP99.toFixed(0)}`.padStart(20)}  ${`${r.ingestCpu.toFixed(2)} (${((r.ingestCpu / r.pushedMB) * 1000).toFixed(1)})`.padStart(20)}  ${`${r.cpCpu.toFixed(2)} (${((r.cpCpu / r.storedMB) * 1000).toFixed(1)})`.padStart(16)}  ${r.pusherCpu.toFixed(2).padStart(12)}  ${r.load.toFixed(1)}`,
      );
    }
    console.log(`\nlargest count with every fragment stored within one fragment duration of its arrival: ${best?.events ?? 0}${rounds.length === passed.length ? ` (not reached its limit: --max-events ${maxEvents})` : ''}`);
    console.log(`CPU per ingested MB: ingest ${(ingestPerMB * 1000).toFixed(1)} ms against cp -r's ${(cpPerMB * 1000).toFixed(1)} ms: ${(ingestPerMB / cpPerMB).toFixed(2)}x (${metRatio.toFixed(2)}x over the rounds that kept up)`);
    const result = {
      max_events: best?.events ?? 0,
      reached_limit: rounds.length === passed.length,
      ingest_p99_ms_at_max: best === undefined ? null : round3(best.ingestP99),
      ingest_p50_ms_at_max: best === undefined ? null : round3(best.ingestP50),
      e2e_p99_ms_at_max: best === undefined ? null : round3(best.e2eP99),
      cpu_per_mb_ingest_ms: round3(ingestPerMB * 1000),
      cpu_per_mb_cp_ms: round3(cpPerMB * 1000),
      cpu_per_mb_vs_cp: round3(ingestPerMB / cpPerMB),
      cpu_per_mb_vs_cp_kept_up: round3(metRatio),
      rounds: rounds.map((r) => ({ events: r.events, fragments: r.fragments, missing: r.missing, late: r.late, ingest_p50_ms: round3(r.ingestP50), ingest_p99_ms: round3(r.ingestP99), e2e_p50_ms: round3(r.e2eP50), e2e_p99_ms: round3(r.e2eP99), ingest_cpu_s: round3(r.ingestCpu), cp_cpu_s: round3(r.cpCpu), pusher_cpu_s: round3(r.pusherCpu), pushed_mb: round3(r.pushedMB), load: round3(r.load), met: r.met })),
      seconds,
      aligned,
      problems: ingest.problems.slice(0, 10),
      load_average: round3(Math.max(...rounds.map((r) => r.load))),
    };
    console.log(`RESULT ${JSON.stringify(result)}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.on('close', r));
    if (!process.argv.includes('--keep')) rmSync(OUT, { recursive: true, force: true });
  }
}

await main();
