// `smoothpub serve` behind a real caching proxy: nginx proxy_cache (test/harness/nginx.ts),
// honouring only the origin's own headers. Every object type is a MISS, then a HIT with the
// same bytes; a 404 is kept only briefly, a 5xx never; an expired document is revalidated
// with a 304 from the origin; ranges work through it; players play through it; a replaced
// source is never served stale by the origin itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startStaticServer } from '../../src/play/staticServer.js';
import { requireNginx, requireTools } from '../harness/ci.js';
import { startNginxCache, type NginxCache } from '../harness/nginx.js';
import { waitUntil } from '../harness/waitUntil.js';
import { makeRoot, objectUrls, presentations, type Root } from '../origin/helpers.js';
import { playDashInChromium } from './chromiumPlayer.js';
import { launchChromium } from './dashjsPlayer.js';
import { countVideoFrames, playWithGstreamer, repoRoot } from './helpers.js';

/** Documents and 404s expire this soon here, so that expiry is seen within the test. */
const SHORT = 'public, max-age=2';

interface Stack {
  root: Root;
  /** `smoothpub serve` itself, and nginx in front of it. */
  origin: string;
  proxy: NginxCache;
  stop(): Promise<void>;
}

async function startServe(root: string, args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'smoothpub.js'), 'serve', root, '--port', '0', '--json', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`smoothpub serve exited with ${code} before listening`)));
    lines.on('line', (line) => {
      const e = JSON.parse(line) as { event: string; url?: string };
      if (e.event === 'listening' && e.url !== undefined) resolve(e.url);
    });
  });
  return { url, child };
}

async function startStack(nginx: string, args: string[] = []): Promise<Stack> {
  const root = await makeRoot();
  // A server manifest that names no readable source: the origin answers 500.
  await writeFile(join(root.root, 'broken.ism'), '<?xml version="1.0"?><smil><body><switch><video src="x.ismv"');
  const serve = await startServe(root.root, args);
  const proxy = await startNginxCache(nginx, new URL(serve.url).host);
  return {
    root,
    origin: serve.url,
    proxy,
    stop: async () => {
      await proxy.stop();
      const exited = new Promise((resolve) => serve.child.once('exit', resolve));
      serve.child.kill('SIGTERM');
      await exited;
      await root.cleanup();
    },
  };
}

interface Got {
  status: number;
  cache: string | null;
  headers: Headers;
  body: Buffer;
}

async function fetchBody(base: string, path: string, init: RequestInit = {}): Promise<Got> {
  const res = await fetch(new URL(path.slice(1), base), init);
  return { status: res.status, cache: res.headers.get('x-cache-status'), headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

test('through nginx proxy_cache: every object type a MISS then a HIT with the same bytes; Range; HEAD', { timeout: 120_000 }, async (t) => {
  const nginx = requireNginx(t);
  if (nginx === undefined) return;
  const s = await startStack(nginx);
  t.after(() => s.stop());
  const urls = await objectUrls(presentations.clean.inputs(s.root.root), presentations.clean.path);
  for (const keyword of ['/Manifest', 'manifest.mpd', 'master.m3u8', 'manifest(format=m3u8-aapl)', '.m3u8', '=i)', 'FragmentInfo(', 'Fragments(audio=', 'Fragments(video=', 'crossdomain.xml']) {
    assert.ok(urls.some((u) => u.url.includes(keyword)), `${keyword} listed`);
  }
  for (const { url } of urls) {
    const direct = await fetchBody(s.origin, url);
    const first = await fetchBody(s.proxy.url, url);
    const second = await fetchBody(s.proxy.url, url);
    assert.equal(first.status, 200, url);
    assert.equal(first.cache, 'MISS', url);
    assert.equal(second.status, 200, url);
    assert.equal(second.cache, 'HIT', `${url}: the second request is served from the cache`);
    assert.ok(second.body.equals(first.body) && first.body.equals(direct.body), `${url}: the same bytes as the origin's`);
    assert.equal(second.headers.get('etag'), direct.headers.get('etag'), url);
    assert.equal(second.headers.get('cache-control'), direct.headers.get('cache-control'), url);
    const head = await fetchBody(s.proxy.url, url, { method: 'HEAD' });
    assert.equal(head.cache, 'HIT', `HEAD ${url}`);
    assert.equal(head.headers.get('content-length'), String(direct.body.length), `HEAD ${url}`);
  }
  // nginx asked the origin once per object: the HITs never reached it.
  const asked = new Set(urls.map((u) => u.url));
  // nginx logs a request after its response is sent, so the last line may lag a moment.
  const log = await waitUntil('every request logged', async () => {
    const l = (await s.proxy.accessLog()).filter((x) => asked.has(x.uri));
    return l.length >= 3 * urls.length ? l : undefined;
  });
  assert.equal(log.filter((l) => l.cacheStatus === 'MISS').length, urls.length);
  assert.equal(log.filter((l) => l.upstreamStatus !== '-').length, urls.length);
  assert.ok(log.filter((l) => l.cacheStatus === 'HIT').length >= 2 * urls.length);

  // Range: nginx fetches the whole object for its cache (it never forwards Range upstream
  // while caching) and cuts the range itself, on a MISS and on a HIT.
  const fragments = urls.filter((u) => u.url.includes('/Fragments(video='));
  const cached = fragments[0]!.url;
  // Not cached yet: another cache key (the origin ignores the query).
  const fresh = `${fragments[1]!.url}?range`;
  const whole = (await fetchBody(s.origin, fresh)).body;
  for (const [url, cache] of [[fresh, 'MISS'], [fresh, 'HIT'], [cached, 'HIT']] as const) {
    const part = await fetchBody(s.proxy.url, url, { headers: { range: 'bytes=100-1099' } });
    const body = url === cached ? (await fetchBody(s.origin, cached)).body : whole;
    assert.equal(part.status, 206, url);
    assert.equal(part.cache, cache, url);
    assert.equal(part.headers.get('content-range'), `bytes 100-1099/${body.length}`);
    assert.ok(part.body.equals(body.subarray(100, 1100)), `${url}: the range's bytes`);
  }
  const rangeLog = await waitUntil('the range requests logged', async () => {
    const l = (await s.proxy.accessLog()).filter((x) => x.uri === fresh);
    return l.length >= 2 ? l : undefined;
  });
  assert.deepEqual(rangeLog.map((l) => [l.status, l.upstreamStatus]), [[206, '200'], [206, '-']], 'the origin was asked for the whole object once');
  const etag = (await fetchBody(s.proxy.url, fresh)).headers.get('etag')!;
  assert.equal((await fetchBody(s.proxy.url, fresh, { headers: { range: 'bytes=0-9', 'if-range': etag } })).status, 206, 'If-Range with the current ETag');
  assert.equal((await fetchBody(s.proxy.url, fresh, { headers: { range: 'bytes=0-9', 'if-range': '"old"' } })).status, 200, 'If-Range with another ETag: the whole object');
  // A HEAD first: nginx asks the origin with GET (proxy_cache_convert_head), so the object is cached whole.
  const headFirst = `${fragments[2]!.url}?head`;
  const h = await fetchBody(s.proxy.url, headFirst, { method: 'HEAD' });
  assert.equal(h.cache, 'MISS');
  const g = await fetchBody(s.proxy.url, headFirst);
  assert.equal(g.cache, 'HIT');
  assert.equal(h.headers.get('content-length'), String(g.body.length));
  // The client's validators are answered by nginx from its copy.
  assert.equal((await fetchBody(s.proxy.url, headFirst, { headers: { 'if-none-match': g.headers.get('etag')! } })).status, 304);
});

test('through nginx: a 404 is kept only for its short max-age, a 5xx never; an expired document is revalidated (304 from the origin)', { timeout: 120_000 }, async (t) => {
  const nginx = requireNginx(t);
  if (nginx === undefined) return;
  const s = await startStack(nginx, ['--manifest-cache-control', SHORT, '--not-found-cache-control', SHORT, '--fragment-cache-control', SHORT]);
  t.after(() => s.stop());
  // nginx logs a request after its response is sent, so a line may lag the answer a moment.
  const asked = new Map<string, number>();
  const get = async (uri: string): Promise<Got> => {
    asked.set(uri, (asked.get(uri) ?? 0) + 1);
    return fetchBody(s.proxy.url, uri);
  };
  const upstream = async (uri: string): Promise<string[]> => {
    const lines = await waitUntil(`${asked.get(uri)} log lines for ${uri}`, async () => {
      const l = (await s.proxy.accessLog()).filter((x) => x.uri === uri);
      return l.length >= (asked.get(uri) ?? 0) ? l : undefined;
    });
    return lines.map((l) => l.upstreamStatus);
  };

  const missing = '/later.ism/Manifest';
  assert.deepEqual([(await get(missing)).cache, (await get(missing)).cache], ['MISS', 'HIT']);
  assert.equal((await get(missing)).status, 404);
  // Published meanwhile: found once the 404 expires.
  await writeFile(join(s.root.root, 'later.ism'), await readFile(join(s.root.root, 'clean', 'clean.ism')));
  for (const f of ['v400.ismv', 'v250.ismv', 'v120.ismv', 'audio.isma']) await cp(join(s.root.root, 'clean', f), join(s.root.root, f));
  const found = await waitUntil('the cached 404 to expire', async () => {
    const r = await get(missing);
    return r.status === 200 ? r : undefined;
  }, { timeoutMs: 30_000, intervalMs: 250 });
  assert.equal(found.cache, 'EXPIRED', 'the expired 404 was fetched again');
  assert.deepEqual((await upstream(missing)).filter((u) => u !== '-'), ['404', '200'], 'the origin was asked once for the 404, once after it expired');

  const broken = '/broken.ism/Manifest';
  const errors = [await get(broken), await get(broken), await get(broken)];
  for (const e of errors) {
    assert.match(String(e.status), /^5\d\d$/);
    assert.equal(e.cache, 'MISS', 'a 5xx is never served from the cache');
    assert.equal(e.headers.get('cache-control'), 'no-store');
  }
  assert.deepEqual(await upstream(broken), errors.map((e) => String(e.status)), 'each request reached the origin');

  // Every type, once expired (a short fragment max-age here), is revalidated with the
  // origin's validators; the origin answers 304 and nginx keeps its copy.
  const base = `/${presentations.clean.path}`;
  const objects = ['Manifest', 'manifest.mpd', 'master.m3u8', 'manifest(format=m3u8-aapl)', 'QualityLevels(400000)/Fragments(video=0)', 'QualityLevels(400000)/FragmentInfo(video=0)', 'QualityLevels(400000)/Fragments(video=i)'];
  // All at once: each waits out its own max-age.
  await Promise.all([...objects.map((o) => `${base}/${o}`), '/crossdomain.xml'].map(async (doc) => {
    const first = await get(doc);
    assert.equal(first.cache, 'MISS', doc);
    assert.equal((await get(doc)).cache, 'HIT', doc);
    const again = await waitUntil(`${doc} to expire`, async () => {
      const r = await get(doc);
      return r.cache !== 'HIT' ? r : undefined;
    }, { timeoutMs: 30_000, intervalMs: 250 });
    assert.equal(again.cache, 'REVALIDATED', `${doc}: nginx revalidated its copy`);
    assert.ok(again.body.equals(first.body), doc);
    assert.deepEqual((await upstream(doc)).filter((u) => u !== '-'), ['200', '304'], `${doc}: asked once, then only to revalidate, which it answered with 304`);
    assert.equal((await get(doc)).cache, 'HIT', `${doc}: fresh again after the 304`);
  }));
});

test('a source replaced at the origin: never served stale by the origin (new bytes and ETag; the old ETag gets 200, not 304)', { timeout: 120_000 }, async (t) => {
  const nginx = requireNginx(t);
  if (nginx === undefined) return;
  const s = await startStack(nginx, ['--manifest-cache-control', SHORT]);
  t.after(() => s.stop());
  const fragment = '/clean/clean.ism/QualityLevels(400000)/Fragments(video=20000000)';
  const before = await fetchBody(s.proxy.url, fragment);
  assert.equal(before.cache, 'MISS');
  const v120 = await fetchBody(s.origin, fragment.replace('400000', '120000'));
  // v400 now holds v120's bytes, with a new mtime and size.
  const file = join(s.root.root, 'clean', 'v400.ismv');
  await writeFile(file, await readFile(join(s.root.root, 'clean', 'v120.ismv')));
  const later = new Date(Date.now() + 2000);
  await utimes(file, later, later);

  const direct = await fetchBody(s.origin, fragment);
  assert.equal(direct.status, 200);
  assert.ok(direct.body.equals(v120.body), 'the origin serves the new bytes at once');
  assert.notEqual(direct.headers.get('etag'), before.headers.get('etag'));
  const revalidation = await fetchBody(s.origin, fragment, { headers: { 'if-none-match': before.headers.get('etag')!, 'if-modified-since': before.headers.get('last-modified')! } });
  assert.equal(revalidation.status, 200, 'a revalidation with the old validators is never a 304');
  assert.equal(revalidation.headers.get('etag'), direct.headers.get('etag'));
  // Through nginx under a new cache key (the origin ignores the query): the new bytes too.
  const newKey = await fetchBody(s.proxy.url, `${fragment}?v=2`);
  assert.equal(newKey.cache, 'MISS');
  assert.ok(newKey.body.equals(v120.body));
  // Under the old key nginx keeps its immutable copy: replacing a source under a published
  // path needs a purge (or a new path), as README says.
  const old = await fetchBody(s.proxy.url, fragment);
  assert.equal(old.cache, 'HIT');
  assert.ok(old.body.equals(before.body));
});

test('through nginx with a CORS allow-list: Vary: Origin keeps one copy per Origin, none answers another origin', { timeout: 60_000 }, async (t) => {
  const nginx = requireNginx(t);
  if (nginx === undefined) return;
  const s = await startStack(nginx, ['--cors', 'https://a.example,https://b.example']);
  t.after(() => s.stop());
  const url = `/${presentations.clean.path}/QualityLevels(400000)/Fragments(video=0)`;
  const as = (origin: string): Promise<Got> => fetchBody(s.proxy.url, url, { headers: { origin } });
  const a = await as('https://a.example');
  assert.equal(a.headers.get('vary'), 'Origin');
  assert.equal(a.headers.get('access-control-allow-origin'), 'https://a.example');
  assert.equal((await as('https://a.example')).cache, 'HIT');
  const b = await as('https://b.example');
  assert.equal(b.cache, 'MISS', 'another Origin is another variant');
  assert.equal(b.headers.get('access-control-allow-origin'), 'https://b.example');
  const other = await as('https://evil.example');
  assert.equal(other.headers.get('access-control-allow-origin'), null, 'never the allowed origins\' answer');
  assert.ok(other.body.equals(a.body));
});

test('players play through nginx: GStreamer (Smooth) and dash.js in Chromium (DASH, from a page on another origin)', { timeout: 240_000 }, async (t) => {
  const nginx = requireNginx(t);
  if (nginx === undefined || !requireTools(t, 'gst-launch-1.0', 'ffprobe', 'timeout', 'chromium')) return;
  const s = await startStack(nginx);
  t.after(() => s.stop());
  const frames = await countVideoFrames(join(s.root.root, 'clean', 'v400.ismv'), 0);
  const manifest = new URL(`${presentations.clean.path}/Manifest`, s.proxy.url).href;
  for (const pass of ['first', 'second']) {
    const r = await playWithGstreamer({ playbin: 'playbin', uri: manifest });
    const tail = `\n--- stderr ---\n${r.stderr.slice(-2000)}`;
    assert.equal(r.code, 0, `${pass} play: gst-launch exit code (124 = timed out)${tail}`);
    assert.ok(r.eos, `${pass} play reached EOS${tail}`);
    assert.equal(r.frames, frames, `${pass} play: every frame`);
  }
  const played = await s.proxy.accessLog();
  const smooth = played.filter((l) => l.uri.includes('/Fragments('));
  assert.ok(smooth.length > 0 && smooth.every((l) => l.status === 200), 'every fragment answered 200');
  assert.ok(smooth.some((l) => l.cacheStatus === 'HIT'), 'the second play was served from the cache');

  const page = await startStaticServer({ root: s.root.root, host: '127.0.0.1', port: 0 });
  const browser = await launchChromium();
  t.after(async () => {
    await browser.close();
    await page.close();
  });
  const r = await playDashInChromium(browser, { pageUrl: page.url, manifestUrl: new URL(`${presentations.clean.path}/manifest.mpd`, s.proxy.url).href });
  assert.deepEqual(r.errors, [], `no player errors (console: ${r.consoleErrors.join(' | ')})`);
  assert.ok(r.finished, `played to the end (${r.currentTime} of ${r.duration} s)`);
  assert.equal(r.decodedFrames, frames, 'decoded every frame');
  assert.ok((r.audioDecodedBytes ?? 0) > 0, 'audio decoded');
  const dash = (await s.proxy.accessLog()).slice(played.length).filter((l) => l.method === 'GET');
  assert.ok(dash.length > 0 && dash.every((l) => l.status === 200 || l.status === 206), `every DASH request answered: ${JSON.stringify(dash.filter((l) => l.status >= 300))}`);
  // DASH segments are the Smooth fragments' URLs: those GStreamer fetched were HITs for dash.js.
  assert.ok(dash.some((l) => l.uri.includes('/Fragments(') && l.cacheStatus === 'HIT'), 'dash.js got fragments from the cache');
  assert.ok(dash.some((l) => l.uri.endsWith('/manifest.mpd')), 'the MPD came through nginx');
});
