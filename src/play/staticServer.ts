import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { closeGracefully } from '../http/closeGracefully.js';
import { contentTypeFor } from '../http/contentType.js';
import { listen } from '../http/listen.js';
import { findPackageRoot } from './packageRoot.js';
import { parseRange } from '../http/parseRange.js';
import { decodeRequestPath, resolveInside } from '../http/safePath.js';

export interface StaticServerOptions {
  /** The packaged presentation folder (holds `Manifest` and `QualityLevels(...)/`). */
  root: string;
  host?: string;
  /** 0 or absent: any free port. */
  port?: number;
  /** The player page; default: the package's `web/` folder. */
  webDir?: string;
  /** dash.js browser bundles; default: the package's `web/vendor/dashjs/` (copied from the dashjs dev dependency at build time). */
  dashDir?: string;
  /** hls.js browser bundle; default: the package's `web/vendor/hlsjs/` (copied from the hls.js dev dependency at build time). */
  hlsDir?: string;
  /** Where the presentation appears; default `/video.ism/`. */
  mount?: string;
}

export interface ServedRequest {
  method: string;
  path: string;
  status: number;
}

export interface StaticServer {
  /** Base URL, e.g. `http://127.0.0.1:40123/`. */
  url: string;
  port: number;
  /** Every request answered so far, in order. */
  requests: ServedRequest[];
  /** Stops accepting; responses in flight may finish for `graceMs` (default 0: cut at once). */
  close(graceMs?: number): Promise<void>;
}

/**
 * Serves a packaged presentation the way any static web server would, plus the player
 * page at `/`, dash.js at `/dash/` and hls.js at `/hls/`. For local playback and for tests
 * with real clients.
 */
export async function startStaticServer(opts: StaticServerOptions): Promise<StaticServer> {
  const mount = normalizeMount(opts.mount ?? '/video.ism/');
  const webDir = opts.webDir ?? join(findPackageRoot(), 'web');
  const dashDir = opts.dashDir ?? join(findPackageRoot(), 'web', 'vendor', 'dashjs');
  const hlsDir = opts.hlsDir ?? join(findPackageRoot(), 'web', 'vendor', 'hlsjs');
  const routes: Route[] = [
    { prefix: mount, dir: opts.root },
    { prefix: '/dash/', dir: dashDir },
    { prefix: '/hls/', dir: hlsDir },
    { prefix: '/', dir: webDir, index: 'index.html' },
  ];
  const requests: ServedRequest[] = [];

  const server = createServer((req, res) => {
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    res.on('finish', () => {
      requests.push({ method: req.method ?? '', path: decodeRequestPath(rawPath) ?? rawPath, status: res.statusCode });
    });
    handle(req, res, rawPath, routes).catch(() => {
      if (!res.headersSent) send(res, 500);
      else res.destroy();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await listen(server, opts.port ?? 0, host);
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/`,
    port,
    requests,
    close: (graceMs = 0) => closeGracefully(server, graceMs),
  };
}

interface Route {
  prefix: string;
  dir: string;
  /** File served for the route's own folder; otherwise folders are 404 (no listings). */
  index?: string;
}

async function handle(req: IncomingMessage, res: ServerResponse, rawPath: string, routes: Route[]): Promise<void> {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range, Accept-Ranges');
  const method = req.method ?? '';
  if (method === 'OPTIONS') {
    // CORS preflight (a Range header from another origin may need one).
    res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Range');
    res.setHeader('Access-Control-Max-Age', '86400');
    return send(res, 204);
  }
  if (method !== 'GET' && method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD, OPTIONS');
    return send(res, 405);
  }
  if (!rawPath.startsWith('/') || decodeRequestPath(rawPath) === undefined) return send(res, 400);

  const route = routes.find((r) => rawPath.startsWith(r.prefix));
  if (!route) return send(res, 404);
  let relative = decodeRequestPath(rawPath.slice(route.prefix.length));
  if (relative === undefined) return send(res, 400);
  if (relative === '' && route.index !== undefined) relative = route.index;
  if (relative === '' || relative.endsWith('/')) return send(res, 404);

  const file = await resolveInside(route.dir, relative);
  if (file === undefined) return send(res, 404);
  const info = await stat(file);
  if (!info.isFile()) return send(res, 404);

  res.setHeader('Content-Type', contentTypeFor(relative));
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Last-Modified', info.mtime.toUTCString());
  const range = parseRange(req.headers.range, info.size);
  if (range === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${info.size}`);
    return send(res, 416);
  }
  const { start, end } = range ?? { start: 0, end: info.size - 1 };
  res.statusCode = range ? 206 : 200;
  if (range) res.setHeader('Content-Range', `bytes ${start}-${end}/${info.size}`);
  res.setHeader('Content-Length', String(end - start + 1));
  if (method === 'HEAD' || info.size === 0) {
    res.end();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(file, { start, end });
    stream.on('error', reject);
    res.on('close', () => {
      stream.destroy();
      resolve();
    });
    stream.pipe(res);
  });
}

function send(res: ServerResponse, status: number): void {
  res.statusCode = status;
  const body = `${status}\n`;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', String(Buffer.byteLength(body)));
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function normalizeMount(mount: string): string {
  const withLead = mount.startsWith('/') ? mount : `/${mount}`;
  return withLead.endsWith('/') ? withLead : `${withLead}/`;
}
