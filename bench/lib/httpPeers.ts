// What bench:origin and bench:origin:workers share: nginx as the peer, wrk as the load,
// /proc for the CPU time each server process used, and the media both serve.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { CACHE, ensurePresentation } from '../media.js';
import { freePort } from '../../test/harness/emulator.js';
import { argValue } from './common.js';

export interface WrkResult {
  requests: number;
  requestsPerSecond: number;
  mbPerSecond: number;
  p99Ms: number;
  errors: number;
}

export function need(tool: string): void {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is missing: apt-get install -y wrk nginx`);
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export async function waitForHttp(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not come up`);
}

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) return ok();
    child.once('exit', () => ok());
    child.kill('SIGTERM');
  });
}

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** `pid` and its child processes (a server's master or primary and its workers). */
export function processTree(pid: number): number[] {
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

/** CPU seconds in user and system mode the processes and their threads have used so far. */
export function cpuSeconds(pids: number[]): { user: number; system: number } {
  const sum = { user: 0, system: 0 };
  for (const pid of pids) {
    const fields = statFields(pid);
    sum.user += Number(fields[11]) / 100;
    sum.system += Number(fields[12]) / 100;
  }
  return sum;
}

/** nginx from its own config in `dir`: 127.0.0.1, `daemon off`, `workers` worker processes, sendfile, no access log. */
export async function startNginx(dir: string, root: string, workers = 1): Promise<{ url: string; child: ChildProcess }> {
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

export function writeLua(path: string, urls: string[]): void {
  const list = urls.map((u) => `  ${JSON.stringify(u)},`).join('\n');
  writeFileSync(path, `-- every fragment URL, in turn\nlocal paths = {\n${list}\n}\nlocal i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format("GET", paths[i])\nend\n`);
}

export function runWrk(url: string, lua: string, seconds: number, connections: number, threads = 1): WrkResult {
  const r = spawnSync('wrk', [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '10s', '-s', lua, url], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  const out = r.stdout;
  const number = (re: RegExp): string => re.exec(out)?.[1] ?? 'NaN';
  const unit = (text: string, units: Record<string, number>): number => {
    const m = /^([\d.]+)([A-Za-z]*)$/.exec(text.trim());
    return m ? Number(m[1]) * (units[m[2] ?? ''] ?? NaN) : NaN;
  };
  const errorsMatch = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests: Number(number(/(\d+) requests in/)),
    requestsPerSecond: Number(number(/Requests\/sec:\s+([\d.]+)/)),
    mbPerSecond: unit(number(/Transfer\/sec:\s+(\S+)/), { B: 1e-6, KB: 1024 / 1e6, MB: 1024 ** 2 / 1e6, GB: 1024 ** 3 / 1e6 }),
    p99Ms: unit(number(/ 99%\s+(\S+)/), { us: 1e-3, ms: 1, s: 1000, m: 60_000 }),
    errors: Number(errorsMatch?.[1] ?? 0) + (socketErrors ? socketErrors.slice(1).reduce((s, x) => s + Number(x), 0) : 0),
  };
}

/** The media both servers serve: the fixtures with --fixtures (or without ffmpeg), else a generated ladder (--minutes). */
export function benchMedia(quick: boolean): { ism: string; files: string[]; media: string } {
  if (process.argv.includes('--fixtures') || spawnSync('sh', ['-c', 'command -v ffmpeg']).status !== 0) {
    // A copy: the benches write sidecar indexes beside the sources, never into the repository's fixtures.
    const dir = join(CACHE, 'fixtures-clean');
    cpSync(resolve('test/fixtures/clean'), dir, { recursive: true });
    const files = ['v400', 'v250', 'v120'].map((l) => join(dir, `${l}.ismv`)).concat(join(dir, 'audio.isma'));
    return { ism: join(dir, 'clean.ism'), files, media: 'fixtures (clean)' };
  }
  const p = ensurePresentation(argValue('--minutes', quick ? 2 : 10));
  return { ism: p.ism, files: p.files, media: `${p.seconds / 60} min, ${p.files.length} files, ${(p.bytes / 1e6).toFixed(0)} MB` };
}

/**
 * `n` presentations of the same media in a fresh folder `dir`: the sources (and their
 * sidecars) hard-linked once, one `.ism` each. Returns the `.ism` names.
 */
export function manyPresentations(dir: string, ism: string, files: string[], n: number): string[] {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of files) {
    linkSync(f, join(dir, basename(f)));
    if (existsSync(`${f}.smoothidx`)) linkSync(`${f}.smoothidx`, join(dir, `${basename(f)}.smoothidx`));
  }
  const xml = readFileSync(ism);
  const names = Array.from({ length: n }, (_, i) => `p${String(i).padStart(4, '0')}.ism`);
  for (const name of names) writeFileSync(join(dir, name), xml);
  return names;
}
