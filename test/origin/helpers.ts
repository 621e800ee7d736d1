// A temp origin root with the fixture presentations, and ways to serve and read it.
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPackageRoot } from '../../src/play/packageRoot.js';
import { FORMATS } from '../../src/formats/model.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import type { OriginHandler } from '../../src/origin/createOrigin.js';
import { createOrigin, type NodeOriginOptions } from '../../src/origin/nodeOrigin.js';
import { createOriginServer } from '../../src/origin/nodeAdapter.js';
import type { RequestLike } from '../../src/origin/reply.js';
import type { ServedRequest } from '../../src/play/staticServer.js';

export const fixtures = join(findPackageRoot(fileURLToPath(new URL('.', import.meta.url))), 'test', 'fixtures');

/** Presentations in a root made by makeRoot, by URL path, with the inputs `package` takes. */
export const presentations = {
  clean: { path: 'clean/clean.ism', inputs: (root: string) => [join(root, 'clean', 'clean.ism')] },
  users: { path: 'users/users.ism', inputs: (root: string) => [join(root, 'users', 'users.ism')] },
  // A folder named *.ism holding the media file(s) is a presentation of all of them.
  multitrack: { path: 'multi/multitrack.ism', inputs: (root: string) => [join(root, 'multi', 'multitrack.ism', 'multitrack.ismv')] },
  // Plain MP4 renditions: fragments built from sample tables on request.
  progressive: { path: 'prog/ladder.ism', inputs: (root: string) => PROGRESSIVE.map((f) => join(root, 'prog', 'ladder.ism', f)) },
};

const PROGRESSIVE = ['v100.mp4', 'v200.mp4', 'v300.mp4'];

export interface Root {
  root: string;
  /** The temp folder holding `root` (and whatever a test plants beside it). */
  base: string;
  cleanup(): Promise<void>;
}

/** Copies the fixtures into `<tmp>/root/{clean,users,multi/multitrack.ism,prog/ladder.ism}/`. */
export async function makeRoot(): Promise<Root> {
  const base = await mkdtemp(join(tmpdir(), 'smoothpub-origin-'));
  const root = join(base, 'root');
  await cp(join(fixtures, 'clean'), join(root, 'clean'), { recursive: true });
  await cp(join(fixtures, 'users'), join(root, 'users'), { recursive: true });
  await mkdir(join(root, 'multi', 'multitrack.ism'), { recursive: true });
  await cp(join(fixtures, 'multitrack.ismv'), join(root, 'multi', 'multitrack.ism', 'multitrack.ismv'));
  await mkdir(join(root, 'prog', 'ladder.ism'), { recursive: true });
  for (const f of PROGRESSIVE) await cp(join(fixtures, 'progressive', f), join(root, 'prog', 'ladder.ism', f));
  return { root, base, cleanup: () => rm(base, { recursive: true, force: true }) };
}

export async function get(handler: OriginHandler, path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: Uint8Array }> {
  const r = await handler(new Request(`http://origin.test${path}`, init));
  return { status: r.status, headers: r.headers, body: new Uint8Array(await r.arrayBuffer()) };
}

/** Every file under `dir`, as paths relative to it with '/' separators. */
export async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out.sort();
}

export interface RunningOrigin {
  url: string;
  handler: OriginHandler;
  /** Every request answered, in order (decoded path). */
  requests: ServedRequest[];
  close(): Promise<void>;
}

/** createOrigin behind the node adapter on 127.0.0.1 (any free port). */
export async function startOrigin(opts: NodeOriginOptions): Promise<RunningOrigin> {
  const handler = createOrigin(opts);
  const requests: ServedRequest[] = [];
  // The adapter's own path for createOrigin (replies written straight to the socket, file
  // runs with sendfile), with every answer recorded on the way.
  const recorded = Object.assign((request: Request) => handler(request), {
    close: () => handler.close(),
    reply: async (request: RequestLike, target?: string) => {
      const reply = await handler.reply(request, target);
      requests.push({ method: request.method, path: safeDecode(new URL(request.url).pathname), status: reply.status });
      return reply;
    },
    fragmentNow: (target: string) => {
      const now = handler.fragmentNow?.(target);
      if (now !== undefined) requests.push({ method: 'GET', path: safeDecode(new URL(target, 'http://origin.invalid').pathname), status: 200 });
      return now;
    },
  });
  const server = createOriginServer(recorded);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    handler,
    requests,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await handler.close();
    },
  };
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** Which Cache-Control an object takes: long (fragments, init segments) or short (documents). */
export type ObjectKind = 'fragment' | 'document';

/**
 * Every object URL of a presentation with all three formats, as `package` names them (Smooth
 * Manifest, MPD, playlists, aliases, init segments, fragments), plus FragmentInfo and the
 * policy files, each with the Cache-Control class it belongs to.
 */
export async function objectUrls(inputs: string[], path: string): Promise<{ url: string; kind: ObjectKind }[]> {
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-caching-'));
  try {
    await packagePresentation({ inputs, outDir: join(tmp, 'video.ism'), formats: FORMATS });
    const keys = await listFiles(join(tmp, 'video.ism'));
    const out = keys.map((key) => ({ url: `/${path}/${key}`, kind: (key.startsWith('QualityLevels(') ? 'fragment' : 'document') as ObjectKind }));
    const fragment = keys.find((k) => /^QualityLevels\(\d+\)\/Fragments\(video=\d+\)$/.test(k))!;
    out.push({ url: `/${path}/${fragment.replace('Fragments(', 'FragmentInfo(')}`, kind: 'fragment' });
    out.push({ url: '/clientaccesspolicy.xml', kind: 'document' }, { url: '/crossdomain.xml', kind: 'document' });
    return out;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
