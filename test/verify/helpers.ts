// Packaged fixtures served on 127.0.0.1, and a faulty proxy in front of them.
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Format } from '../../src/formats/model.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { findPackageRoot } from '../../src/play/packageRoot.js';
import { startStaticServer, type StaticServer } from '../../src/play/staticServer.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { formatFragmentUrl } from '../../src/smooth/url.js';

export const fixtures = join(findPackageRoot(fileURLToPath(new URL('.', import.meta.url))), 'test', 'fixtures');
const ladder = ['v400', 'v250', 'v120'];
export const sets = {
  clean: ladder.map((l) => join(fixtures, 'clean', `${l}.ismv`)).concat(join(fixtures, 'clean', 'audio.isma')),
  cleanIsm: [join(fixtures, 'clean', 'clean.ism')],
  usersIsm: [join(fixtures, 'users', 'users.ism')],
  multitrack: [join(fixtures, 'multitrack.ismv')],
  cmaf: [join(fixtures, 'cmaf', 'video.mp4'), join(fixtures, 'cmaf', 'audio.mp4')],
  ismlmux: [join(fixtures, 'othertools', 'ismlmux.ismv')],
};

export interface Served {
  /** The packaged folder. */
  dir: string;
  server: StaticServer;
  manifestUrl: string;
  /** Fragment keys (`QualityLevels(b)/Fragments(s=t)`) by stream name, then level index, in chunk order. */
  keys: Map<string, string[][]>;
  url(key: string): string;
  close(): Promise<void>;
}

/** Packages `inputs` (as `formats`, default Smooth alone) into a fresh temp folder and serves it at `mount` (default `/video.ism/`). */
export async function packageAndServe(inputs: string[], opts: { policy?: boolean; mount?: string; formats?: Format[] } = {}): Promise<Served> {
  const dir = join(await mkdtemp(join(tmpdir(), 'smoothpub-verify-')), 'video.ism');
  await packagePresentation({ inputs, outDir: dir, policy: opts.policy === true, ...(opts.formats && { formats: opts.formats }) });
  const mount = opts.mount ?? '/video.ism/';
  const server = await startStaticServer({ root: dir, mount });
  const base = new URL(mount, server.url).href;
  const p = readManifest(await readFile(join(dir, 'Manifest'), 'utf8'));
  const keys = new Map(p.streams.map((s) => [s.name, s.qualityLevels.map((q) => s.chunks.map((c) => formatFragmentUrl(s.url, q.bitrate, c.t)))]));
  return { dir, server, manifestUrl: `${base}Manifest`, keys, url: (key) => new URL(key, base).href, close: () => server.close() };
}

export function key(s: Served, stream: string, level: number, chunk: number): string {
  const k = s.keys.get(stream)?.[level]?.[chunk];
  if (k === undefined) throw new Error(`no fragment ${stream}/${level}/${chunk}`);
  return k;
}

/** What the proxy does with a request: pass it on, answer 500, drop the connection, send half the body and close, or send half and wait. */
export type Fault = 'pass' | 'status500' | 'drop' | 'short' | 'stall';

export interface FaultyProxy {
  url: string;
  /** Requests seen per path. */
  hits: Map<string, number>;
  /** TCP connections accepted. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * An HTTP proxy to `target` that applies `fault(path, attempt)`; `stripCors` drops
 * Access-Control-* headers; `contentType` replaces the Content-Type of the paths it names.
 */
export async function startFaultyProxy(
  target: string,
  fault: (path: string, attempt: number) => Fault,
  opts: { stripCors?: boolean; contentType?: (path: string) => string | undefined } = {},
): Promise<FaultyProxy> {
  const hits = new Map<string, number>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    const attempt = (hits.get(path) ?? 0) + 1;
    hits.set(path, attempt);
    void (async () => {
      const what = fault(decodeURIComponent(path), attempt);
      if (what === 'status500') return void res.writeHead(500, { 'content-length': '0' }).end();
      if (what === 'drop') return void req.socket.destroy();
      const upstream = await fetch(new URL(path, target));
      const body = Buffer.from(await upstream.arrayBuffer());
      const headers: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (!(opts.stripCors && k.startsWith('access-control-')) && k !== 'connection' && k !== 'keep-alive') headers[k] = v;
      });
      const type = opts.contentType?.(decodeURIComponent(path));
      if (type !== undefined) headers['content-type'] = type;
      res.writeHead(upstream.status, headers);
      if (what === 'short' || what === 'stall') {
        // 'short' closes the connection once the half has left; 'stall' keeps it open.
        res.write(body.subarray(0, body.length >> 1), () => what === 'short' && req.socket.destroy());
        return;
      }
      res.end(body);
    })().catch(() => res.destroy());
  });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    hits,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}
