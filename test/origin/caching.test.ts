// What a cache in front of the origin relies on, object type by object type: validators,
// conditional requests, Cache-Control, Vary, HEAD, and the cacheability of errors.
// test/e2e/cacheProxy.test.ts checks the same through a real nginx proxy_cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { ALIASES } from '../../src/formats/names.js';
import type { OriginHandler } from '../../src/origin/createOrigin.js';
import { createOrigin } from '../../src/origin/nodeOrigin.js';
import { createLocalRoot } from '../../src/origin/localRoot.js';
import { DEFAULT_FRAGMENT_CACHE_CONTROL, DEFAULT_MANIFEST_CACHE_CONTROL, DEFAULT_NOT_FOUND_CACHE_CONTROL } from '../../src/plan/cacheControl.js';
import { get, makeRoot, objectUrls, presentations, startOrigin, type ObjectKind } from './helpers.js';

const expectedCacheControl: Record<ObjectKind, string> = { fragment: DEFAULT_FRAGMENT_CACHE_CONTROL, document: DEFAULT_MANIFEST_CACHE_CONTROL };

/** Headers that must be the same for HEAD as for GET: all but the ones a server adds per message. */
function comparable(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((v, k) => {
    if (k !== 'date' && k !== 'connection' && k !== 'keep-alive') out[k] = v;
  });
  return out;
}

test('every object type: strong ETag, Last-Modified, Cache-Control by type, 304 with its validators, If-Range, If-Match, HEAD as GET, no Vary', async (t) => {
  const r = await makeRoot();
  const origin = createOrigin({ root: r.root, onError: (e) => assert.fail(String(e)) });
  t.after(async () => {
    await origin.close();
    await r.cleanup();
  });
  const urls = await objectUrls(presentations.clean.inputs(r.root), presentations.clean.path);
  for (const kind of ['fragment', 'document'] as const) assert.ok(urls.filter((u) => u.kind === kind).length >= 5, `${kind}s listed`);
  for (const alias of [...ALIASES.smooth, ...ALIASES.dash, ...ALIASES.hls]) assert.ok(urls.some((u) => u.url.endsWith(`/${alias}`)), `${alias} listed`);
  for (const keyword of ['Manifest', 'manifest.mpd', 'master.m3u8', '.m3u8', '=i)', 'FragmentInfo(', 'Fragments(audio=']) assert.ok(urls.some((u) => u.url.includes(keyword)), `${keyword} listed`);
  const etags = new Map<string, string[]>();
  for (const { url, kind } of urls) {
    const full = await get(origin, url);
    assert.equal(full.status, 200, url);
    const etag = full.headers.get('etag') ?? '';
    assert.match(etag, /^"[\w.-]+"$/, `${url}: a strong, quoted ETag`);
    const lastModified = full.headers.get('last-modified') ?? '';
    assert.ok(Date.parse(lastModified) <= Date.now(), `${url}: Last-Modified is a date, not in the future: ${lastModified}`);
    assert.equal(full.headers.get('cache-control'), expectedCacheControl[kind], url);
    assert.equal(full.headers.get('vary'), null, `${url}: nothing varies with CORS '*'`);
    assert.equal(full.headers.get('age'), null, url);
    assert.equal(full.headers.get('content-length'), String(full.body.length), url);
    etags.set(etag, [...(etags.get(etag) ?? []), Buffer.from(full.body).toString('base64')]);

    const head = await get(origin, url, { method: 'HEAD' });
    assert.equal(head.status, 200, url);
    assert.equal(head.body.length, 0, url);
    assert.deepEqual(comparable(head.headers), comparable(full.headers), `${url}: HEAD has GET's headers`);

    for (const validators of [{ 'if-none-match': etag }, { 'if-none-match': `W/${etag}` }, { 'if-none-match': `"nope", ${etag}` }, { 'if-modified-since': lastModified }, { 'if-none-match': '*' }]) {
      const nm = await get(origin, url, { headers: validators });
      assert.equal(nm.status, 304, `${url} ${JSON.stringify(validators)}`);
      assert.equal(nm.body.length, 0);
      // RFC 9110 15.4.5: what a 200 would carry of ETag, Cache-Control (and Vary); Last-Modified too.
      assert.equal(nm.headers.get('etag'), etag, url);
      assert.equal(nm.headers.get('cache-control'), expectedCacheControl[kind], url);
      assert.equal(nm.headers.get('last-modified'), lastModified, url);
      assert.equal(nm.headers.get('content-type'), null, url);
      const headNm = await get(origin, url, { method: 'HEAD', headers: validators });
      assert.equal(headNm.status, 304, `HEAD ${url}`);
    }
    // If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
    assert.equal((await get(origin, url, { headers: { 'if-none-match': '"old"', 'if-modified-since': lastModified } })).status, 200, url);
    assert.equal((await get(origin, url, { headers: { 'if-modified-since': new Date(Date.parse(lastModified) - 1000).toUTCString() } })).status, 200, url);
    assert.equal((await get(origin, url, { headers: { 'if-modified-since': 'yesterday' } })).status, 200, `${url}: an invalid date is ignored`);

    const size = full.body.length;
    const range = { range: 'bytes=1-5' };
    for (const [ifRange, status] of [[etag, 206], [`W/${etag}`, 200], ['"other"', 200], [lastModified, 206], [new Date(Date.parse(lastModified) + 1000).toUTCString(), 200], ['not a date', 200]] as const) {
      const res = await get(origin, url, { headers: { ...range, 'if-range': ifRange } });
      assert.equal(res.status, status, `${url} If-Range ${ifRange}`);
      assert.deepEqual(res.body, status === 206 ? full.body.subarray(1, 6) : full.body, url);
    }
    const unsatisfiable = await get(origin, url, { headers: { range: `bytes=${size}-` } });
    assert.equal(unsatisfiable.status, 416, url);
    assert.equal(unsatisfiable.headers.get('content-range'), `bytes */${size}`, url);
    assert.equal(unsatisfiable.headers.get('cache-control'), 'no-store', `${url}: a 416 is never stored`);
    const head416 = await get(origin, url, { method: 'HEAD', headers: { range: `bytes=${size}-` } });
    assert.equal(head416.status, 416);
    assert.equal(head416.body.length, 0);
    assert.deepEqual(comparable(head416.headers), comparable(unsatisfiable.headers), `${url}: HEAD 416 as GET`);
    const head206 = await get(origin, url, { method: 'HEAD', headers: range });
    assert.equal(head206.status, 206);
    assert.equal(head206.headers.get('content-length'), '5');

    assert.equal((await get(origin, url, { headers: { 'if-match': etag } })).status, 200, url);
    const failed = await get(origin, url, { headers: { 'if-match': `W/${etag}` } });
    assert.equal(failed.status, 412, `${url}: If-Match compares strongly`);
    assert.equal(failed.headers.get('cache-control'), 'no-store');
    assert.equal((await get(origin, url, { headers: { 'if-unmodified-since': new Date(Date.parse(lastModified) - 1000).toUTCString() } })).status, 412, url);
  }
  // A strong ETag names one sequence of bytes: URLs sharing a tag (the aliases) share their bytes.
  for (const [tag, bodies] of etags) assert.equal(new Set(bodies).size, 1, `${tag} names different bytes`);
});

test('ETags: a changed source changes every fragment ETag; variants with other bytes have other ETags', async (t) => {
  const r = await makeRoot();
  t.after(() => r.cleanup());
  const all = createOrigin({ root: r.root });
  const smooth = createOrigin({ root: r.root, formats: ['smooth'] });
  const fragment = '/users/users.ism/QualityLevels(400000)/Fragments(video=0)';
  const info = fragment.replace('Fragments(', 'FragmentInfo(');
  const a = await get(all, fragment);
  const s = await get(smooth, fragment);
  // users' sources have no tfdt: DASH and HLS need one, so the bytes differ, and so must the tags.
  assert.notDeepEqual(a.body, s.body, 'the tfdt was added');
  assert.notEqual(a.headers.get('etag'), s.headers.get('etag'));
  assert.equal((await get(all, fragment, { headers: { 'if-none-match': s.headers.get('etag')! } })).status, 200, 'the other variant never gets 304');
  assert.notEqual((await get(all, info)).headers.get('etag'), a.headers.get('etag'), 'FragmentInfo is other bytes');

  // Same bytes, new mtime: a new version for a cache all the same (a strong validator may not outlive a change it cannot see).
  const before = await Promise.all([fragment, info, '/users/users.ism/QualityLevels(400000)/Fragments(video=20000000)'].map(async (u) => (await get(all, u)).headers.get('etag')));
  const later = new Date(Date.now() - 60_000);
  await utimes(join(r.root, 'users', 'v400.ismv'), later, later);
  await get(all, '/users/users.ism/Manifest');
  const after = await Promise.all([fragment, info, '/users/users.ism/QualityLevels(400000)/Fragments(video=20000000)'].map(async (u) => (await get(all, u)).headers.get('etag')));
  for (let i = 0; i < before.length; i++) assert.notEqual(after[i], before[i]);
  // Another file of the presentation changed (the .ism): a fragment's bytes may follow from it too.
  const again = (await get(all, fragment)).headers.get('etag');
  await writeFile(join(r.root, 'users', 'users.ism'), `${await readFile(join(r.root, 'users', 'users.ism'), 'utf8')}\n`);
  await get(all, '/users/users.ism/Manifest');
  assert.notEqual((await get(all, fragment)).headers.get('etag'), again);
});

test('a source replaced by other media: a revalidation with the old ETag gets 200 and the new ETag, never 304', async (t) => {
  const r = await makeRoot();
  t.after(() => r.cleanup());
  const origin = createOrigin({ root: r.root });
  const urls = ['/clean/clean.ism/QualityLevels(400000)/Fragments(video=0)', '/clean/clean.ism/QualityLevels(400000)/FragmentInfo(video=0)', '/clean/clean.ism/Manifest', '/clean/clean.ism/manifest.mpd', '/clean/clean.ism/master.m3u8'];
  const old = new Map<string, { etag: string; lastModified: string; body: Uint8Array }>();
  for (const u of urls) {
    const res = await get(origin, u);
    old.set(u, { etag: res.headers.get('etag')!, lastModified: res.headers.get('last-modified')!, body: res.body });
  }
  // v400 now holds v120's bytes, written a second later than anything before.
  const file = join(r.root, 'clean', 'v400.ismv');
  await writeFile(file, await readFile(join(r.root, 'clean', 'v120.ismv')));
  const now = new Date(Date.now() + 1000);
  await utimes(file, now, now);
  for (const u of urls) {
    const before = old.get(u)!;
    const res = await get(origin, u, { headers: { 'if-none-match': before.etag, 'if-modified-since': before.lastModified } });
    const changed = !Buffer.from(res.body).equals(Buffer.from(before.body));
    if (u.includes('QualityLevels')) {
      assert.equal(res.status, 200, `${u}: new bytes, so never 304`);
      assert.ok(changed, `${u}: the new bytes`);
    }
    // A document whose text did not change keeps its ETag (and may be 304): it is the same representation.
    if (res.status === 200) assert.notEqual(res.headers.get('etag'), before.etag, u);
    else assert.equal(res.status, 304, u);
    if (changed) assert.equal(res.status, 200, u);
  }
});

test('errors: 404 briefly cacheable (configurable), 400/405/414/412/416/5xx/503 never stored; HEAD as GET', async (t) => {
  const r = await makeRoot();
  await writeFile(join(r.root, 'broken.ism'), '<smil><body><switch><video src="nope/../../x.ismv"');
  const local = createLocalRoot(r.root);
  // A root whose sources always look changed: the origin gives up re-indexing with a 503.
  const changing = createOrigin({ root: { ...local, description: local.description, recheckMs: local.recheckMs, open: () => Promise.resolve(undefined), close: () => local.close() } });
  const origin = createOrigin({ root: r.root });
  const short = createOrigin({ root: r.root, notFoundCacheControl: 'no-store' });
  const listed = createOrigin({ root: r.root, cors: 'https://a.example' });
  t.after(async () => {
    await origin.close();
    await changing.close();
    await r.cleanup();
  });
  const cases: { handler: OriginHandler; url: string; init?: RequestInit; status: number | RegExp; cacheControl: string }[] = [
    { handler: origin, url: '/clean/clean.ism/QualityLevels(400000)/Fragments(video=1)', status: 404, cacheControl: DEFAULT_NOT_FOUND_CACHE_CONTROL },
    { handler: origin, url: '/nothing.ism/Manifest', status: 404, cacheControl: DEFAULT_NOT_FOUND_CACHE_CONTROL },
    { handler: origin, url: '/nothing.ism/manifest.mpd', status: 404, cacheControl: DEFAULT_NOT_FOUND_CACHE_CONTROL },
    { handler: origin, url: '/favicon.ico', status: 404, cacheControl: DEFAULT_NOT_FOUND_CACHE_CONTROL },
    { handler: short, url: '/nothing.ism/Manifest', status: 404, cacheControl: 'no-store' },
    { handler: origin, url: '/clean/clean.ism/QualityLevels(abc)/Fragments(video=0)', status: 400, cacheControl: 'no-store' },
    { handler: origin, url: '/a%5cb', status: 400, cacheControl: 'no-store' },
    { handler: origin, url: `/${'a'.repeat(5000)}`, status: 414, cacheControl: 'no-store' },
    { handler: origin, url: '/clean/clean.ism/Manifest', init: { method: 'DELETE' }, status: 405, cacheControl: 'no-store' },
    { handler: origin, url: '/broken.ism/Manifest', status: /^5/, cacheControl: 'no-store' },
    { handler: changing, url: '/clean/clean.ism/QualityLevels(400000)/Fragments(video=0)', status: 503, cacheControl: 'no-store' },
  ];
  for (const c of cases) {
    const res = await get(c.handler, c.url, c.init);
    if (typeof c.status === 'number') assert.equal(res.status, c.status, c.url.slice(0, 80));
    else assert.match(String(res.status), c.status, c.url.slice(0, 80));
    assert.equal(res.headers.get('cache-control'), c.cacheControl, c.url.slice(0, 80));
    assert.equal(res.headers.get('vary'), null);
    assert.equal(res.headers.get('etag'), null, 'an error is no version of the object');
    assert.equal(res.headers.get('content-length'), String(res.body.length));
    if (c.init?.method === undefined) {
      const head = await get(c.handler, c.url, { method: 'HEAD' });
      assert.equal(head.status, res.status);
      assert.equal(head.body.length, 0);
      assert.deepEqual(comparable(head.headers), comparable(res.headers), `HEAD ${c.url.slice(0, 80)}`);
    }
  }
  // With a CORS allow-list every answer varies by Origin, errors and 304 included.
  for (const init of [{}, { headers: { 'if-none-match': '*' } }, { method: 'OPTIONS' }]) {
    assert.equal((await get(listed, '/clean/clean.ism/Manifest', init)).headers.get('vary'), 'Origin', JSON.stringify(init));
  }
  assert.equal((await get(listed, '/nothing.ism/Manifest')).headers.get('vary'), 'Origin');
  assert.equal((await get(origin, '/clean/clean.ism/Manifest', { method: 'OPTIONS' })).headers.get('vary'), null);
});

/** A raw HTTP/1.1 exchange: the headers exactly as the node adapter wrote them. */
function rawRequest(url: string, method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('over HTTP: Date on every answer, no Age, HEAD as GET (fragments sent with sendfile too), the adapter\'s own 400 never stored', async (t) => {
  const r = await makeRoot();
  const o = await startOrigin({ root: r.root });
  t.after(async () => {
    await o.close();
    await r.cleanup();
  });
  const fragment = '/clean/clean.ism/QualityLevels(400000)/Fragments(video=0)';
  const etag = (await rawRequest(o.url, 'GET', fragment)).headers['etag'] as string;
  for (const [path, headers] of [
    [fragment, {}],
    [fragment, { range: 'bytes=10-99' }],
    [fragment, { 'if-none-match': etag }],
    [fragment, { range: 'bytes=99999999-' }],
    ['/clean/clean.ism/Manifest', {}],
    ['/clean/clean.ism/master.m3u8', {}],
    ['/nothing.ism/Manifest', {}],
    ['/clean/clean.ism/QualityLevels(x)/Fragments(video=0)', {}],
  ] as const) {
    const g = await rawRequest(o.url, 'GET', path, headers);
    const h = await rawRequest(o.url, 'HEAD', path, headers);
    assert.ok(Date.parse(String(g.headers['date'])) > 0, `${path}: Date`);
    assert.equal(g.headers['age'], undefined);
    assert.equal(h.status, g.status, path);
    assert.equal(h.body.length, 0);
    const strip = (x: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'date'));
    assert.deepEqual(strip(h.headers), strip(g.headers), `${path} ${JSON.stringify(headers)}: HEAD as GET`);
    if (g.status !== 304) assert.equal(g.headers['content-length'], String(g.body.length), path);
  }
  // An absolute-form target (a proxy request) is refused by the adapter itself.
  const absolute = await rawRequest(o.url, 'GET', 'http://elsewhere.example/x');
  assert.equal(absolute.status, 400);
  assert.equal(absolute.headers['cache-control'], 'no-store');
});
