// Seeded fuzz of request URLs against the origin: never a 5xx, never a throw, never a
// byte from outside the root, memory bounded. SMOOTHPUB_FUZZ_SEED / SMOOTHPUB_ORIGIN_FUZZ_CASES
// change the run (test/harness/ci.ts: the count may only grow, and only outside CI); a
// failure prints the seed and the request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, open, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { indexFile } from '../../src/fragments/indexFile.js';
import type { OriginHandler } from '../../src/origin/createOrigin.js';
import { createOrigin } from '../../src/origin/nodeOrigin.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { formatFragmentUrl } from '../../src/smooth/url.js';
import { testNumber } from '../harness/ci.js';
import { mulberry32 as rng } from '../harness/mulberry32.js';
import { get, makeRoot, presentations, startOrigin } from './helpers.js';

const SEED = testNumber('SMOOTHPUB_FUZZ_SEED', 0x0121_9e17) >>> 0;
const CASES = testNumber('SMOOTHPUB_ORIGIN_FUZZ_CASES');

const TRAVERSALS = ['../', '..', '%2e%2e/', '%2E%2e%2f', '..%2f', '..%2F..%2F', '%252e%252e%252f', '..\\', '..%5c', '%5c', '\\', '%c0%ae%c0%ae/', '%e0%80%ae%e0%80%ae/', '%c0%af', '%00', '%2500', '//', '/./', '.%2e/', '%2e./', '%u002e%u002e/', '..;/', '%ff', '%', '%2', '?x=../', '#../'];
const NUMBERS = ['0', '-1', '-213333', '1e10', '0x10', 'NaN', 'Infinity', ' 1', '+1', '00', '007', '4294967295', '4294967296', '18446744073709551615', '9223372036854775807', '9223372036854775808', '99999999999999999999999', '1.5', '', '٣', '%31'];
const NAMES = ['video', 'VIDEO', 'audio', 'audio_eng', 'audio_fra', '..', '.', 'a'.repeat(129), 'a'.repeat(5000), 'vídeo', '%00', '*', 'video video', 'video=0', 'vid%65o', '$root'];
const ABSOLUTE = ['/etc/passwd', '//etc/passwd', '/C:/Windows/win.ini', '/file:///etc/passwd', '/%2fetc%2fpasswd', '/..%2f..%2fsecret.txt', '/../secret.txt', '/%2e%2e/secret.txt', '/leak.txt', '/leak.ism/Manifest', '/leakdir.ism/Manifest', '/evil/evil.ism/Manifest', '/secret.txt', '/root/clean/clean.ism/Manifest'];

interface Planted {
  /** Bytes found only outside the root. */
  marker: Buffer;
}

/** Secrets beside the root and ways into them from inside: symlinks, a .ism naming one. */
async function plantSecrets(root: string, base: string): Promise<Planted> {
  const marker = Buffer.from(`SECRET-${randomBytes(12).toString('hex')}`);
  await writeFile(join(base, 'secret.txt'), Buffer.concat([marker, marker]));
  // Outside media: a real ISMV whose every mdat carries the marker.
  await mkdir(join(base, 'outside'));
  const secretMedia = join(base, 'outside', 'secret.ismv');
  await cp(join(root, 'clean', 'v120.ismv'), secretMedia);
  const fh = await open(secretMedia, 'r+');
  try {
    for (const f of (await indexFile(secretMedia)).tracks[0]!.fragments) {
      const head = Buffer.alloc(4);
      await fh.read(head, 0, 4, f.offset);
      await fh.write(marker, 0, marker.length, f.offset + head.readUInt32BE(0) + 8 + 32);
    }
  } finally {
    await fh.close();
  }
  await writeFile(join(base, 'secret.ism'), `<smil><body><switch><video src="outside/secret.ismv"/></switch></body></smil>`);
  await symlink('../secret.txt', join(root, 'leak.txt'));
  await symlink('../secret.ism', join(root, 'leak.ism'));
  await symlink('../outside', join(root, 'leakdir.ism'));
  await mkdir(join(root, 'evil'));
  await symlink('../../outside/secret.ismv', join(root, 'evil', 'link.ismv'));
  await writeFile(join(root, 'evil', 'evil.ism'), `<smil><body><switch><video src="link.ismv"/></switch></body></smil>`);
  await mkdir(join(root, 'evil', 'dir.ism'));
  await symlink('../../../outside/secret.ismv', join(root, 'evil', 'dir.ism', 'a.ismv'));

  return { marker };
}

/** Every fragment URL of the fixture presentations, from their Manifests (as the origin serves them). */
async function fragmentUrls(handler: OriginHandler): Promise<string[]> {
  const out: string[] = [];
  for (const p of Object.values(presentations)) {
    const m = readManifest(new TextDecoder().decode((await get(handler, `/${p.path}/Manifest`)).body));
    for (const s of m.streams) {
      for (const q of s.qualityLevels) for (const c of s.chunks) out.push(`/${p.path}/${formatFragmentUrl(s.url, q.bitrate, c.t)}`);
    }
  }
  return out;
}

function mutate(url: string, r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  let u = url;
  const steps = 1 + Math.floor(r() * 3);
  for (let i = 0; i < steps; i++) {
    const at = Math.floor(r() * (u.length + 1));
    switch (Math.floor(r() * 10)) {
      case 0: // flip the case of some characters
        u = [...u].map((ch) => (r() < 0.3 ? (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase()) : ch)).join('');
        break;
      case 1: // a traversal token anywhere
        u = u.slice(0, at) + pick(TRAVERSALS) + u.slice(at);
        break;
      case 2: // traversal as whole segments towards the secret
        u = '/' + Array.from({ length: 1 + Math.floor(r() * 4) }, () => pick(TRAVERSALS)).join('') + pick(['secret.txt', 'secret.ism/Manifest', 'outside/secret.ismv', 'root/clean/clean.ism/Manifest']);
        break;
      case 3: // a number replaced
        u = u.replace(/\d+/g, (d) => (r() < 0.5 ? pick(NUMBERS) : d));
        break;
      case 4: // a stream name replaced
        u = u.replace(/\(([A-Za-z_]+)=/, () => `(${pick(NAMES)}=`);
        break;
      case 5: // random bytes, percent-encoded or raw
        u = u.slice(0, at) + [...randomBytesFrom(r, 1 + Math.floor(r() * 6))].map((b) => (r() < 0.7 ? `%${b.toString(16).padStart(2, '0')}` : String.fromCharCode(b))).join('') + u.slice(at);
        break;
      case 6: // truncated
        u = u.slice(0, at);
        break;
      case 7: // a segment duplicated or dropped
        {
          const segs = u.split('/');
          const j = Math.floor(r() * segs.length);
          if (r() < 0.5) segs.splice(j, 0, segs[j] ?? '');
          else segs.splice(j, 1);
          u = segs.join('/');
        }
        break;
      case 8: // an absolute or planted path
        u = pick(ABSOLUTE);
        break;
      default: // a character percent-encoded (keywords and .ism spelled otherwise)
        if (at < u.length) u = u.slice(0, at) + `%${u.charCodeAt(at).toString(16).padStart(2, '0')}` + u.slice(at + 1);
    }
  }
  return u.startsWith('/') ? u : `/${u}`;
}

function randomBytesFrom(r: () => number, n: number): number[] {
  return Array.from({ length: n }, () => Math.floor(r() * 256));
}

test(`fuzz: ${CASES} requests (seed ${SEED}): no 5xx, no throw, nothing from outside the root`, { timeout: 180_000 }, async (t) => {
  const root = await makeRoot();
  t.after(() => root.cleanup());
  const { marker } = await plantSecrets(root.root, root.base);
  const errors: unknown[] = [];
  const handler = createOrigin({ root: root.root, maxCachedPresentations: 2, onError: (e) => errors.push(e) });
  const valid = [...(await fragmentUrls(handler)), '/clientaccesspolicy.xml', '/crossdomain.xml', ...Object.values(presentations).map((p) => `/${p.path}/Manifest`), ...ABSOLUTE];
  const r = rng(SEED);
  const methods = ['GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'HEAD', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'DELETE', 'PATCH', 'MKCOL', 'PROPFIND'];
  const statuses = new Map<number, number>();
  let unconstructible = 0;
  let served = 0;
  let rssBaseline = 0;
  for (let i = 0; i < CASES; i++) {
    if (i === 500) {
      globalThis.gc?.();
      rssBaseline = process.memoryUsage().rss;
    }
    const base = valid[Math.floor(r() * valid.length)]!;
    const path = r() < 0.1 ? base : mutate(base, r);
    const method = methods[Math.floor(r() * methods.length)]!;
    const headers: Record<string, string> = {};
    if (r() < 0.2) headers['range'] = `bytes=${Math.floor(r() * 5000) - 100}-${r() < 0.5 ? '' : Math.floor(r() * 100000)}`;
    if (r() < 0.1) headers['if-none-match'] = r() < 0.5 ? '*' : `"${Math.floor(r() * 1e6)}"`;
    if (r() < 0.05) headers['if-modified-since'] = r() < 0.5 ? 'garbage' : new Date(r() * 4e12).toUTCString();
    let request: Request;
    try {
      request = new Request(`http://origin.test${path}`, { method, headers, ...(method === 'POST' || method === 'PUT' ? { body: 'x' } : {}) });
    } catch {
      unconstructible++;
      continue;
    }
    const where = `seed ${SEED} case ${i}: ${method} ${path} ${JSON.stringify(headers)}`;
    let response: Response;
    try {
      response = await handler(request);
    } catch (e) {
      assert.fail(`threw: ${String(e)} (${where})`);
    }
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    assert.ok(response.status < 500, `${response.status} ${response.headers.get('x-smoothpub-error')} (${where})`);
    const body = Buffer.from(await response.arrayBuffer());
    if (response.status === 200 || response.status === 206) served++;
    assert.equal(body.indexOf(marker), -1, `secret bytes served (${where})`);
  }
  globalThis.gc?.();
  const growthMb = (process.memoryUsage().rss - rssBaseline) / 1e6;
  t.diagnostic(`statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}; ${served} bodies served; ${unconstructible} URLs no Request can carry; RSS growth ${growthMb.toFixed(1)} MB`);
  assert.deepEqual(errors, []);
  for (const planted of ['/leak.txt', '/leak.ism/Manifest', '/leakdir.ism/Manifest', '/leakdir.ism/QualityLevels(1)/Fragments(video=0)', '/evil/evil.ism/Manifest', '/evil/dir.ism/Manifest']) {
    assert.equal((await get(handler, planted)).status, 404, `${planted}: the way out is refused`);
  }
  assert.ok(served > CASES / 20, 'the fuzz reaches real fragments too');
  assert.ok((statuses.get(400) ?? 0) > 100 && (statuses.get(404) ?? 0) > 100);
  assert.ok(growthMb < 100, `RSS grew ${growthMb.toFixed(1)} MB`);
});

/** Raw request targets over TCP: what a Request would normalize, the node adapter sees as sent. */
test('fuzz through the node adapter with raw request targets', { timeout: 60_000 }, async (t) => {
  const root = await makeRoot();
  const { marker } = await plantSecrets(root.root, root.base);
  const origin = await startOrigin({ root: root.root, onError: (e) => assert.fail(String(e)) });
  t.after(async () => {
    await origin.close();
    await root.cleanup();
  });
  const { port } = new URL(origin.url);
  const r = rng(SEED ^ 0xadab7e4);
  const valid = await fragmentUrls(origin.handler);
  const targets = [...ABSOLUTE, ...Array.from({ length: 400 }, () => mutate(valid[Math.floor(r() * valid.length)]!, r))];
  for (const target of targets) {
    const raw = await new Promise<Buffer>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (d) => chunks.push(d));
      socket.on('end', () => resolve(Buffer.concat(chunks)));
      socket.on('error', reject);
      socket.write(`GET ${target.replaceAll(/[\r\n ]/g, '%20')} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 'latin1');
    });
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw.toString('latin1'))?.[1]);
    assert.ok(status >= 200 && status < 500, `${status} for ${target}`);
    assert.equal(raw.indexOf(marker), -1, `secret bytes served for ${target}`);
  }
});
