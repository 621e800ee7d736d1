// A Cloudflare Worker on the real runtime, locally: Miniflare (npm) starts workerd (its
// npm binary) with the bundled worker and an R2 bucket held in memory, listening on
// 127.0.0.1. No network, no account: what `wrangler dev` runs, without wrangler.
import { readFileSync, readdirSync } from 'node:fs';
import { Miniflare } from 'miniflare';

export interface RunningWorker {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  mf: Miniflare;
  bucket: R2Proxy;
  /** Puts an object into the bound bucket (`MEDIA`). */
  put(key: string, data: Uint8Array): Promise<void>;
  /** CPU time (user + system) the workerd process has used so far, in milliseconds. */
  cpuMs(): number;
  close(): Promise<void>;
}

/** The bucket as seen from node, through Miniflare's proxy (the R2 API of the Workers types). */
export interface R2Proxy {
  put(key: string, data: ArrayBuffer): Promise<unknown>;
}

/** Starts `script` (one bundled ES module) with `bucket` as its R2 binding `MEDIA`. */
export async function startWorker(opts: { script: string; vars?: Record<string, string> }): Promise<RunningWorker> {
  const before = new Set(workerdPids());
  const mf = new Miniflare({
    // Given as contents: a script path outside the working directory is refused by workerd.
    modules: [{ type: 'ESModule', path: 'worker.js', contents: readFileSync(opts.script, 'utf8') }],
    compatibilityDate: '2026-04-01',
    r2Buckets: { MEDIA: 'media' },
    bindings: opts.vars ?? {},
    host: '127.0.0.1',
    port: 0,
  });
  let url: string;
  let started: number[];
  try {
    url = (await mf.ready).href;
    started = workerdPids().filter((p) => !before.has(p));
    if (started.length !== 1) throw new Error(`expected one new workerd process, found ${started.length}`);
  } catch (e) {
    // A runtime that failed to start (or a check that failed) must not keep the test process alive.
    await mf.dispose().catch(() => undefined);
    throw e;
  }
  const pid = started[0]!;
  const bucket = (await mf.getR2Bucket('MEDIA')) as unknown as R2Proxy;
  return {
    url,
    mf,
    bucket,
    async put(key, data) {
      // Through Miniflare's proxy: a view into a larger (pooled) buffer does not survive it.
      await bucket.put(key, data.slice().buffer);
    },
    cpuMs: () => cpuMsOf(pid),
    close: () => mf.dispose(),
  };
}

/** The workerd processes that are children of this node process. */
function workerdPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = statFields(Number(name));
      if (stat.comm === 'workerd' && stat.ppid === process.pid) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** /proc/PID/stat: the command name is in parentheses and may hold spaces; fields follow it. */
function statFields(pid: number): { comm: string; ppid: number; utime: number; stime: number } {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const rest = text.slice(close + 2).split(' ');
  // After the name: state(3) ppid(4) ... utime(14) stime(15), numbered from 1 with pid and comm first.
  return { comm, ppid: Number(rest[1]), utime: Number(rest[11]), stime: Number(rest[12]) };
}

/** Clock ticks are 100 a second on Linux (USER_HZ). */
function cpuMsOf(pid: number): number {
  const s = statFields(pid);
  return ((s.utime + s.stime) * 1000) / 100;
}
