// The origin serves exactly what `package` writes, from byte ranges of the sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { FORMATS } from '../../src/formats/model.js';
import { contentTypeFor } from '../../src/http/contentType.js';
import { createOrigin } from '../../src/origin/nodeOrigin.js';
import { clientAccessPolicyXml, crossDomainXml } from '../../src/smooth/policy.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { verifyPresentation } from '../../src/verify/verifyPresentation.js';
import { waitUntil } from '../harness/waitUntil.js';
import { fixtures, get, listFiles, makeRoot, presentations, startOrigin } from './helpers.js';

// Served with all three formats (the default) the origin answers every object package writes
// with --formats smooth,dash,hls (tfdt added, init segments, MPD, playlists, aliases); with
// --formats smooth alone, the sources' bytes as package always wrote them.
for (const mode of [
  { name: 'all formats', origin: undefined, package: FORMATS },
  { name: 'Smooth alone', origin: ['smooth'] as const, package: undefined },
]) {
test(`every object is byte-identical to package output (clean.ism, users.ism, a folder of ISMV, plain MP4), as a fetch handler and over HTTP: ${mode.name}`, async (t) => {
  const r = await makeRoot();
  const formats = mode.origin && { formats: mode.origin };
  const origin = createOrigin({ root: r.root, ...formats, onError: (e) => assert.fail(String(e)) });
  // Over HTTP the adapter writes replies itself, file runs with sendfile(2) when built.
  const served = await startOrigin({ root: r.root, ...formats, onError: (e) => assert.fail(String(e)) });
  t.after(async () => {
    await served.close();
    await origin.close();
    await r.cleanup();
  });
  for (const [name, p] of Object.entries(presentations)) {
    await t.test(name, async () => {
      const out = join(await mkdtemp(join(tmpdir(), 'smoothpub-origin-pkg-')), 'video.ism');
      try {
        await packagePresentation({ inputs: p.inputs(r.root), outDir: out, ...(mode.package && { formats: mode.package }) });
        const keys = await listFiles(out);
        assert.ok(keys.includes('Manifest'));
        assert.equal(keys.includes('manifest.mpd'), mode.package !== undefined);
        assert.ok(keys.filter((k) => k.startsWith('QualityLevels(')).length >= 10, `fragments: ${keys.length}`);
        for (const key of keys) {
          const res = await get(origin, `/${p.path}/${key}`);
          assert.equal(res.status, 200, key);
          assert.deepEqual(res.body, new Uint8Array(await readFile(join(out, key))), key);
          assert.equal(res.headers.get('content-length'), String(res.body.length));
          assert.equal(res.headers.get('content-type'), contentTypeFor(key), key);
          const http = await fetch(`${served.url}${p.path}/${key}`);
          assert.equal(http.status, 200, key);
          assert.deepEqual(new Uint8Array(await http.arrayBuffer()), res.body, `${key} over HTTP`);
        }
        if (mode.origin) assert.equal((await get(origin, `/${p.path}/manifest.mpd`)).status, 404, 'no DASH when not asked for');
        const fragment = keys.find((k) => k.startsWith('QualityLevels(') && !k.endsWith('=i)'))!;
        const whole = await readFile(join(out, fragment));
        const part = await fetch(`${served.url}${p.path}/${fragment}`, { headers: { range: 'bytes=7-1006' } });
        assert.equal(part.status, 206);
        assert.deepEqual(new Uint8Array(await part.arrayBuffer()), new Uint8Array(whole.subarray(7, 1007)));
      } finally {
        await rm(join(out, '..'), { recursive: true, force: true });
      }
    });
  }
});
}

test('verify passes against the origin over HTTP, with policy files and CORS', async (t) => {
  const r = await makeRoot();
  const o = await startOrigin({ root: r.root });
  t.after(async () => {
    await o.close();
    await r.cleanup();
  });
  for (const p of Object.values(presentations)) {
    const report = await verifyPresentation(`${o.url}${p.path}/Manifest`, { checkPolicy: true, origin: 'https://player.example' });
    assert.deepEqual(report.problems, [], p.path);
    assert.ok(report.ok && report.fragments > 10);
  }
});

test('CMAF on other clocks is served retimed to 10 MHz, byte-identical to package output; the Manifest timeline as asked', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'smoothpub-origin-cmaf-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const folder = join(base, 'root', 'cmaf.ism');
  await mkdir(folder, { recursive: true });
  for (const f of ['video.mp4', 'audio.mp4']) await cp(join(fixtures, 'cmaf', f), join(folder, f));
  const out = join(base, 'packaged');
  await packagePresentation({ inputs: [join(folder, 'audio.mp4'), join(folder, 'video.mp4')], outDir: out });
  const origin = createOrigin({ root: join(base, 'root'), onError: (e) => assert.fail(String(e)) });
  const expanded = createOrigin({ root: join(base, 'root'), manifestTimeline: 'expanded' });
  t.after(() => Promise.all([origin.close(), expanded.close()]));
  const keys = await listFiles(out);
  assert.equal(keys.length, 10, 'the Manifest and 9 fragments');
  for (const key of keys) assert.deepEqual((await get(origin, `/cmaf.ism/${key}`)).body, new Uint8Array(await readFile(join(out, key))), key);
  const compact = new TextDecoder().decode((await get(origin, '/cmaf.ism/Manifest')).body);
  assert.match(compact, /<SmoothStreamingMedia [^>]*TimeScale="10000000"/);
  assert.doesNotMatch(compact, /<StreamIndex [^>]*TimeScale=/);
  assert.match(compact, / r="4"/);
  const long = new TextDecoder().decode((await get(expanded, '/cmaf.ism/Manifest')).body);
  assert.doesNotMatch(long, / r="/);
  assert.deepEqual(readManifest(long), readManifest(compact));
});

test('FragmentInfo is the moof alone; keywords case-insensitive, the .ism path is not', async (t) => {
  const r = await makeRoot();
  t.after(() => r.cleanup());
  const origin = createOrigin({ root: r.root });
  const whole = await get(origin, '/clean/clean.ism/QualityLevels(400000)/Fragments(video=20000000)');
  const info = await get(origin, '/clean/clean.ism/QualityLevels(400000)/FragmentInfo(video=20000000)');
  assert.equal(whole.status, 200);
  assert.equal(info.status, 200);
  const view = new DataView(info.body.buffer, info.body.byteOffset);
  assert.equal(view.getUint32(0), info.body.length, 'the body is one box');
  assert.equal(String.fromCharCode(...info.body.subarray(4, 8)), 'moof');
  assert.deepEqual(info.body, whole.body.subarray(0, info.body.length));
  assert.notEqual(info.headers.get('etag'), whole.headers.get('etag'));
  const mixed = await get(origin, '/clean/clean.ism/qualitylevels(400000)/fragments(video=20000000)');
  assert.deepEqual(mixed.body, whole.body);
  assert.equal((await get(origin, '/clean/clean.ism/MANIFEST')).status, 200);
  assert.equal((await get(origin, '/clean/CLEAN.ism/Manifest')).status, 404);
});

test('Range, ETag, Last-Modified, 304, HEAD, CORS, OPTIONS, 405', async (t) => {
  const r = await makeRoot();
  t.after(() => r.cleanup());
  const origin = createOrigin({ root: r.root });
  const url = '/clean/clean.ism/QualityLevels(250000)/Fragments(video=0)';
  const full = await get(origin, url);
  const etag = full.headers.get('etag')!;
  const lastModified = full.headers.get('last-modified')!;
  assert.match(etag, /^"f-[0-9a-z-]+"$/);
  assert.equal(full.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(full.headers.get('content-type'), 'video/mp4');
  assert.equal(full.headers.get('accept-ranges'), 'bytes');
  assert.equal(full.headers.get('access-control-allow-origin'), '*');

  const part = await get(origin, url, { headers: { range: 'bytes=100-199' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 100-199/${full.body.length}`);
  assert.deepEqual(part.body, full.body.subarray(100, 200));
  const suffix = await get(origin, url, { headers: { range: 'bytes=-10' } });
  assert.deepEqual(suffix.body, full.body.subarray(-10));
  const beyond = await get(origin, url, { headers: { range: `bytes=${full.body.length}-` } });
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers.get('content-range'), `bytes */${full.body.length}`);
  const staleIfRange = await get(origin, url, { headers: { range: 'bytes=0-9', 'if-range': '"other"' } });
  assert.equal(staleIfRange.status, 200, 'If-Range with another ETag: the whole body');

  assert.equal((await get(origin, url, { headers: { 'if-none-match': etag } })).status, 304);
  assert.equal((await get(origin, url, { headers: { 'if-none-match': `"x", W/${etag}` } })).status, 304);
  assert.equal((await get(origin, url, { headers: { 'if-none-match': '"x"' } })).status, 200);
  assert.equal((await get(origin, url, { headers: { 'if-modified-since': lastModified } })).status, 304);
  assert.equal((await get(origin, url, { headers: { 'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' } })).status, 200);

  const head = await get(origin, url, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.equal(head.headers.get('content-length'), String(full.body.length));
  assert.equal(head.headers.get('etag'), etag);

  const manifest = await get(origin, '/clean/clean.ism/Manifest');
  assert.equal(manifest.headers.get('cache-control'), 'public, max-age=60');
  assert.equal(manifest.headers.get('content-type'), 'text/xml; charset=utf-8');
  assert.equal((await get(origin, '/clean/clean.ism/Manifest', { headers: { 'if-none-match': manifest.headers.get('etag')! } })).status, 304);

  const pre = await get(origin, url, { method: 'OPTIONS', headers: { origin: 'https://a.example', 'access-control-request-headers': 'range' } });
  assert.equal(pre.status, 204);
  assert.match(pre.headers.get('access-control-allow-headers') ?? '', /Range/);
  assert.equal((await get(origin, url, { method: 'POST', body: 'x' })).status, 405);
  assert.equal((await get(origin, url, { method: 'DELETE' })).headers.get('allow'), 'GET, HEAD, OPTIONS');

  assert.equal(new TextDecoder().decode((await get(origin, '/clientaccesspolicy.xml')).body), clientAccessPolicyXml());
  assert.equal(new TextDecoder().decode((await get(origin, '/crossdomain.xml')).body), crossDomainXml());
  assert.equal((await get(createOrigin({ root: r.root, policyFiles: false }), '/crossdomain.xml')).status, 404);

  const listed = createOrigin({ root: r.root, cors: 'https://a.example, https://b.example' });
  const allowed = await get(listed, url, { headers: { origin: 'https://b.example' } });
  assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://b.example');
  assert.match(allowed.headers.get('vary') ?? '', /Origin/);
  assert.equal((await get(listed, url, { headers: { origin: 'https://evil.example' } })).headers.get('access-control-allow-origin'), null);
  assert.equal((await get(createOrigin({ root: r.root, cors: '' }), url)).headers.get('access-control-allow-origin'), null);
});

test('malformed and unknown names: 400 or 404, never 5xx; no listings', async (t) => {
  const r = await makeRoot();
  t.after(() => r.cleanup());
  const origin = createOrigin({ root: r.root, onError: (e) => assert.fail(String(e)) });
  const cases: [string, number][] = [
    ['/clean/clean.ism/QualityLevels(400000)/Fragments(video=1)', 404],
    ['/clean/clean.ism/QualityLevels(400001)/Fragments(video=0)', 404],
    ['/clean/clean.ism/QualityLevels(400000)/Fragments(nope=0)', 404],
    ['/clean/clean.ism/QualityLevels(400000)/Fragments(video=-1)', 400],
    ['/clean/clean.ism/QualityLevels(99999999999)/Fragments(video=0)', 400],
    ['/clean/clean.ism/QualityLevels(400000)/Fragments(video=99999999999999999999999)', 400],
    ['/clean/clean.ism/QualityLevels(0400000)/Fragments(video=0)', 400],
    ['/clean/clean.ism/QualityLevels(abc)/Fragments(video=0)', 400],
    ['/clean/clean.ism/QualityLevels(400000)/Fragments(video=0)/x', 404],
    ['/clean/clean.ism/', 404],
    ['/clean/', 404],
    ['/', 404],
    ['/clean/v400.ismv', 404],
    ['/clean/clean.ism', 404],
    ['/nothing.ism/Manifest', 404],
    ['/clean/%00.ism/Manifest', 400],
    ['/clean/%c0%ae%c0%ae/x.ism/Manifest', 400],
    ['/clean/..%5cclean.ism/Manifest', 400],
  ];
  for (const [path, status] of cases) assert.equal((await get(origin, path)).status, status, path);
});

test('concurrent first requests index a presentation once; the cache is bounded', async (t) => {
  const r = await makeRoot();
  t.after(() => r.cleanup());
  const indexed: string[] = [];
  const origin = createOrigin({ root: r.root, maxCachedPresentations: 1, onIndexed: (f) => indexed.push(f) });
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => get(origin, i % 2 ? '/clean/clean.ism/Manifest' : '/clean/clean.ism/QualityLevels(120000)/Fragments(video=0)')));
  assert.ok(results.every((x) => x.status === 200));
  assert.equal(indexed.length, 4, 'three video files and one audio file, once each');
  // One slot: a second presentation evicts the first, which is then indexed again.
  assert.equal((await get(origin, '/users/users.ism/Manifest')).status, 200);
  assert.equal((await get(origin, '/clean/clean.ism/Manifest')).status, 200);
  assert.equal(indexed.length, 4 + 3 + 4);
});

for (const path of ['sendfile where built', 'copying through memory'] as const) {
test(`a client that goes away mid-body releases the source file (${path})`, async (t) => {
  // SMOOTHPUB_NO_NATIVE is read on every send: the copying path is the one a socket gets
  // when the addon is missing or the socket's buffer fills.
  if (path === 'copying through memory') {
    process.env['SMOOTHPUB_NO_NATIVE'] = '1';
    t.after(() => {
      delete process.env['SMOOTHPUB_NO_NATIVE'];
    });
  }
  const r = await makeRoot();
  // One file kept open: alternating sources drops each handle, which closes only when
  // every lease on it is released, so a leaked lease shows as an open descriptor.
  const o = await startOrigin({ root: r.root, readChunkBytes: 512, maxOpenFiles: 1 });
  t.after(async () => {
    await o.close();
    await r.cleanup();
  });
  const openFds = async (): Promise<number> => (await readdir('/proc/self/fd')).length;
  // Source files stay open between requests (bounded): count with this one open already.
  await get(o.handler, '/clean/clean.ism/QualityLevels(400000)/Fragments(video=0)');
  const before = await openFds();
  for (let i = 0; i < 20; i++) {
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${o.url}clean/clean.ism/QualityLevels(${i % 2 ? 250000 : 400000})/Fragments(video=0)`, { agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => resolve());
      req.end();
    });
  }
  let open = 0;
  await waitUntil('the file handles to be released', async () => (open = await openFds()) <= before, { timeoutMs: 2000, detail: () => `${open} open, ${before} before` });
});
}

test('a body cancelled after one chunk releases the source file', async (t) => {
  const r = await makeRoot();
  t.after(() => r.cleanup());
  // One file kept open, as above: a leaked lease keeps a dropped descriptor open.
  const origin = createOrigin({ root: r.root, readChunkBytes: 512, maxOpenFiles: 1 });
  const openFds = async (): Promise<number> => (await readdir('/proc/self/fd')).length;
  await get(origin, '/clean/clean.ism/QualityLevels(400000)/Fragments(video=0)');
  const before = await openFds();
  for (let i = 0; i < 20; i++) {
    const res = await origin(new Request(`http://origin.test/clean/clean.ism/QualityLevels(${i % 2 ? 250000 : 400000})/Fragments(video=0)`));
    const reader = res.body!.getReader();
    // The first chunk is the moof with a tfdt added (in memory), or 512 bytes of the source.
    const first = await reader.read();
    assert.ok(first.done === false && first.value.length > 0 && first.value.length <= 1024);
    await reader.cancel();
  }
  assert.ok((await openFds()) <= before, `file handles released: ${await openFds()} open, ${before} before`);
});

test('a broken presentation is a 500 with a stable code (an operator problem), not a crash', async (t) => {
  const r = await makeRoot();
  t.after(() => r.cleanup());
  await writeFile(join(r.root, 'broken.ism'), '<smil><body><switch><video src="clean/v400.ismv" systemBitrate="1"><param name="trackID" value="9"/></video></switch></body></smil>');
  const errors: unknown[] = [];
  const res = await get(createOrigin({ root: r.root, onError: (e) => errors.push(e) }), '/broken.ism/Manifest');
  assert.equal(res.status, 500);
  assert.equal(res.headers.get('x-smoothpub-error'), 'smooth.bad-ism');
  assert.doesNotMatch(new TextDecoder().decode(res.body), /\//, 'no server paths in the body');
  assert.equal(errors.length, 1);
});

test('the media-services URL forms are answered in any case, with the type of what they name', async (t) => {
  const r = await makeRoot();
  const origin = createOrigin({ root: r.root, onError: (e) => assert.fail(String(e)) });
  t.after(async () => {
    await origin.close();
    await r.cleanup();
  });
  const p = presentations.clean!.path;
  const body = async (path: string): Promise<{ status: number; type: string | null; text: string }> => {
    const res = await get(origin, `/${p}/${path}`);
    return { status: res.status, type: res.headers.get('content-type'), text: Buffer.from(res.body).toString() };
  };
  const mpd = await body('manifest.mpd');
  const master = await body('master.m3u8');
  const smooth = await body('Manifest');
  for (const [path, want] of [
    ['manifest(format=mpd-time-csf)', mpd],
    ['Manifest(format=mpd-time-cmaf)', mpd],
    ['manifest(format=mpd-time-csf).mpd', mpd],
    ['manifest(format=m3u8-cmaf)', master],
    ['MANIFEST(FORMAT=M3U8-AAPL)', master],
    ['manifest(format=m3u8-aapl).m3u8', master],
    ['manifest', smooth],
    ['MANIFEST', smooth],
  ] as const) {
    const got = await body(path);
    assert.equal(got.status, 200, path);
    assert.equal(got.type, want.type, path);
    assert.equal(got.text, want.text, path);
  }
  assert.equal(mpd.type, 'application/dash+xml');
  assert.equal(master.type, 'application/vnd.apple.mpegurl');
  for (const bad of ['manifest(format=mpd-time-xyz)', 'manifest(format=m3u8-aapl', 'video-0400000.m3u8', 'QualityLevels(400000)/Fragments(video=j)']) {
    const res = await body(bad);
    assert.ok(res.status >= 400 && res.status < 500, `${bad}: ${res.status}`);
  }
  const media = /^[^#].*\.m3u8$/m.exec(master.text)![0];
  assert.equal((await body(media)).status, 200, media);
  assert.equal((await body(media.replace(/\d+\.m3u8$/, '1.m3u8'))).status, 404, 'a level that does not exist');
});
