// nginx as a caching reverse proxy (proxy_cache) in front of an origin, from its own
// config in a temp folder: `daemon off`, 127.0.0.1 on a free port, pid, temp, cache and
// logs in that folder. Runs as root (CI) and as a normal user: only root may (and must)
// name the worker's user, since workers started by root drop to `nobody`, which cannot
// enter a mkdtemp folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './emulator.js';
import { waitUntil } from './waitUntil.js';

export interface NginxCache {
  /** `http://127.0.0.1:PORT/`. */
  url: string;
  dir: string;
  /** The config nginx runs with (the README's minimal proxy_cache config, plus test-only paths). */
  config: string;
  /** Access log lines so far, parsed. */
  accessLog(): Promise<AccessLine[]>;
  errorLog(): Promise<string>;
  stop(): Promise<void>;
}

/** One request as nginx logged it. */
export interface AccessLine {
  method: string;
  uri: string;
  status: number;
  /** $upstream_cache_status: MISS, HIT, EXPIRED, REVALIDATED, BYPASS, ... or '-'. */
  cacheStatus: string;
  /** What the origin answered, '-' when nginx did not ask it. */
  upstreamStatus: string;
}

/**
 * The proxy part of the config: the README shows the same lines. Nothing overrides the
 * origin's Cache-Control (no proxy_cache_valid, no proxy_ignore_headers), so a wrong
 * header shows up as a wrong cache status; an expired entry is revalidated with the
 * origin's validators (If-None-Match, If-Modified-Since) instead of fetched again.
 */
export function proxyCacheConfig(upstream: string, cacheDir: string): string {
  return `  proxy_cache_path ${cacheDir} levels=1:2 keys_zone=smoothpub:10m max_size=10g inactive=7d use_temp_path=off;
  upstream smoothpub_origin {
    server ${upstream};
    keepalive 32;
  }
  server {
    listen LISTEN;
    location / {
      proxy_pass http://smoothpub_origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache smoothpub;
      proxy_cache_revalidate on;
      proxy_cache_lock on;
      add_header X-Cache-Status $upstream_cache_status always;
    }
  }
`;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Starts nginx with proxy_cache in front of `upstream` (`host:port`). */
export async function startNginxCache(nginx: string, upstream: string): Promise<NginxCache> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // nginx outlives a test process that dies without stopping it.
    process.on('exit', () => {
      for (const child of running) child.kill('SIGKILL');
    });
  }
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-nginx-'));
  for (const d of ['logs', 'tmp', 'cache']) await mkdir(join(dir, d));
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${join(dir, 'tmp', k)};`).join('\n');
    const config = `daemon off;
master_process on;
worker_processes 1;
${process.getuid?.() === 0 ? 'user root;\n' : ''}pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'logs', 'error.log')} info;
events { worker_connections 256; }
http {
  log_format cache '$request_method $request_uri $status $upstream_cache_status $upstream_status';
  access_log ${join(dir, 'logs', 'access.log')} cache;
${temps}
${proxyCacheConfig(upstream, join(dir, 'cache')).replace('LISTEN', `127.0.0.1:${port}`)}}
`;
    const file = join(dir, 'nginx.conf');
    await writeFile(file, config);
    const child = spawn(nginx, ['-p', dir, '-c', file, '-e', join(dir, 'logs', 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
    running.add(child);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let gone = false;
    void exited.then(() => (gone = true));
    const url = `http://127.0.0.1:${port}/`;
    try {
      await waitUntil(`nginx answering at ${url}`, async () => {
        if (gone) throw new Error(`nginx exited: ${stderr}${await readFile(join(dir, 'logs', 'error.log'), 'utf8').catch(() => '')}`);
        try {
          await (await fetch(`${url}nginx-probe`, { signal: AbortSignal.timeout(1000) })).arrayBuffer();
          return true;
        } catch {
          return false;
        }
      }, { timeoutMs: 20_000, intervalMs: 50 });
    } catch (e) {
      child.kill('SIGKILL');
      running.delete(child);
      lastError = e as Error;
      continue;
    }
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      running.delete(child);
      await rm(dir, { recursive: true, force: true });
    };
    return {
      url,
      dir,
      config,
      accessLog: async () => parseAccessLog(await readFile(join(dir, 'logs', 'access.log'), 'utf8').catch(() => '')),
      errorLog: () => readFile(join(dir, 'logs', 'error.log'), 'utf8').catch(() => ''),
      stop,
    };
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError ?? new Error('nginx did not start');
}

function parseAccessLog(text: string): AccessLine[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [method = '', uri = '', status = '0', cacheStatus = '-', upstreamStatus = '-'] = l.split(' ');
      return { method, uri, status: Number(status), cacheStatus, upstreamStatus };
    });
}
