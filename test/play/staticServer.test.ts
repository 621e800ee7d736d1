import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStaticServer, type StaticServer } from '../../src/play/staticServer.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Raw request: node's http client sends the path verbatim (fetch would normalize `..`). */
function raw(server: StaticServer, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

let dir: string;
let server: StaticServer;
const fragment = Buffer.from('0123456789abcdef');

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smoothpub-static-'));
  const root = join(dir, 'pres');
  await mkdir(join(root, 'QualityLevels(400000)'), { recursive: true });
  await writeFile(join(root, 'Manifest'), '<SmoothStreamingMedia/>');
  await writeFile(join(root, 'QualityLevels(400000)', 'Fragments(video=0)'), fragment);
  await writeFile(join(root, 'QualityLevels(400000)', 'Fragments(audio=-213333)'), fragment);
  await writeFile(join(dir, 'secret'), 'secret');
  await symlink(join(dir, 'secret'), join(root, 'link'));
  server = await startStaticServer({ root });
});

after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

test('serves the Manifest and fragments with content types and CORS', async () => {
  const m = await raw(server, '/video.ism/Manifest');
  assert.equal(m.status, 200);
  assert.match(String(m.headers['content-type']), /^text\/xml/);
  assert.equal(m.headers['access-control-allow-origin'], '*');
  assert.equal(m.body.toString(), '<SmoothStreamingMedia/>');

  const v = await raw(server, '/video.ism/QualityLevels(400000)/Fragments(video=0)');
  assert.equal(v.status, 200);
  assert.equal(v.headers['content-type'], 'video/mp4');
  assert.deepEqual(v.body, fragment);

  // Percent-encoded parentheses and '=' name the same object.
  const a = await raw(server, '/video.ism/QualityLevels%28400000%29/Fragments%28audio%3D-213333%29');
  assert.equal(a.status, 200);
  assert.equal(a.headers['content-type'], 'audio/mp4');
});

test('serves the player page, dash.js and hls.js', async () => {
  const page = await raw(server, '/');
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  // The page loads dash.js and then its Smooth bundle from /dash/, hls.js from /hls/.
  assert.match(page.body.toString(), /dash\.all\.min\.js[\s\S]*dash\.mss\.min\.js/);
  assert.match(page.body.toString(), /<script src="\/hls\/hls\.min\.js">/);
  const hls = await raw(server, '/hls/hls.min.js', 'HEAD');
  assert.equal(hls.status, 200);
  assert.match(String(hls.headers['content-type']), /^text\/javascript/);
  const js = await raw(server, '/player.js', 'HEAD');
  assert.equal(js.status, 200);
  assert.match(String(js.headers['content-type']), /^text\/javascript/);
  const css = await raw(server, '/player.css', 'HEAD');
  assert.match(String(css.headers['content-type']), /^text\/css/);
  const dash = await raw(server, '/dash/dash.all.min.js', 'HEAD');
  assert.equal(dash.status, 200);
  assert.match(String(dash.headers['content-type']), /^text\/javascript/);
  assert.equal((await raw(server, '/dash/dash.mss.min.js', 'HEAD')).status, 200);
});

test('the dash.js files served are the dashjs dev dependency\'s UMD bundles, with its licence', async () => {
  // The package ships copies (web/vendor/dashjs/, made by `npm run build`); a stale copy
  // after a dashjs upgrade would have the end-to-end tests judge another dash.js.
  const require = createRequire(import.meta.url);
  const all = await raw(server, '/dash/dash.all.min.js');
  assert.equal(all.status, 200);
  assert.ok(all.body.equals(await readFile(require.resolve('dashjs'))), 'dash.all.min.js differs from dashjs/dist/modern/umd: run npm run build');
  const mss = await raw(server, '/dash/dash.mss.min.js');
  assert.equal(mss.status, 200);
  assert.ok(mss.body.equals(await readFile(require.resolve('dashjs/mss'))), 'dash.mss.min.js differs from dashjs/dist/modern/umd: run npm run build');
  const licence = await raw(server, '/dash/LICENSE.md');
  assert.equal(licence.status, 200);
  assert.match(licence.body.toString(), /BSD License[\s\S]*Dash Industry Forum/);
});

test('the hls.js file served is the hls.js dev dependency\'s full UMD build, with its licence and notices', async () => {
  const require = createRequire(import.meta.url);
  const min = await raw(server, '/hls/hls.min.js');
  assert.equal(min.status, 200);
  assert.ok(min.body.equals(await readFile(require.resolve('hls.js/dist/hls.min.js'))), 'hls.min.js differs from hls.js/dist/hls.min.js: run npm run build');
  const licence = await raw(server, '/hls/LICENSE');
  assert.equal(licence.status, 200);
  assert.match(licence.body.toString(), /Apache License, Version 2\.0/);
  // hls.js ships no notices file; scripts/vendor-players.js collects them from its unminified build.
  const notices = (await raw(server, '/hls/hls.min.js.NOTICES.txt')).body.toString();
  const version = (JSON.parse(await readFile(require.resolve('hls.js/package.json'), 'utf8')) as { version: string }).version;
  assert.match(notices, new RegExp(`hls\\.js ${version.replace(/\./g, '\\.')}`));
  for (const notice of ['Copyright (c) 2015-2016, DASH Industry Forum', 'Copyright 2013 vtt.js Contributors', 'Copyright (c) 2014 Arnout Kazemier']) {
    assert.ok(notices.includes(notice), `notices name ${notice}`);
  }
});

test('the page names the documents as src/formats/names.ts does', async () => {
  const { MPD_KEY, MASTER_PLAYLIST_KEY } = await import('../../src/formats/names.js');
  const js = (await raw(server, '/player.js')).body.toString();
  assert.match(js, /smooth: \{ label: 'Smooth', name: 'Manifest'/);
  assert.match(js, new RegExp(`dash: \\{ label: 'DASH', name: '${MPD_KEY.replace('.', '\\.')}'`));
  assert.match(js, new RegExp(`hls: \\{ label: 'HLS', name: '${MASTER_PLAYLIST_KEY.replace('.', '\\.')}'`));
});

test('HEAD answers headers without a body', async () => {
  const r = await raw(server, '/video.ism/QualityLevels(400000)/Fragments(video=0)', 'HEAD');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-length'], String(fragment.length));
  assert.equal(r.body.length, 0);
});

test('single byte ranges: 206, suffix, open end, 416', async () => {
  const path = '/video.ism/QualityLevels(400000)/Fragments(video=0)';
  const a = await raw(server, path, 'GET', { Range: 'bytes=2-5' });
  assert.equal(a.status, 206);
  assert.equal(a.headers['content-range'], `bytes 2-5/${fragment.length}`);
  assert.equal(a.body.toString(), '2345');
  const b = await raw(server, path, 'GET', { Range: 'bytes=-4' });
  assert.equal(b.status, 206);
  assert.equal(b.body.toString(), 'cdef');
  const c = await raw(server, path, 'GET', { Range: 'bytes=10-' });
  assert.equal(c.body.toString(), 'abcdef');
  const d = await raw(server, path, 'GET', { Range: 'bytes=10-999' });
  assert.equal(d.status, 206);
  assert.equal(d.headers['content-range'], `bytes 10-15/${fragment.length}`);
  const e = await raw(server, path, 'GET', { Range: 'bytes=16-' });
  assert.equal(e.status, 416);
  assert.equal(e.headers['content-range'], `bytes */${fragment.length}`);
  // Several ranges: allowed to answer the whole body.
  const f = await raw(server, path, 'GET', { Range: 'bytes=0-1,4-5' });
  assert.equal(f.status, 200);
  assert.deepEqual(f.body, fragment);
});

test('never serves outside the root', async () => {
  const bad: [string, number][] = [
    ['/video.ism/../secret', 400],
    ['/video.ism/%2e%2e/secret', 400],
    ['/video.ism/%2E%2E%2Fsecret', 400],
    ['/video.ism/QualityLevels(400000)/%2e%2e/%2e%2e/secret', 400],
    ['/video.ism/..%5csecret', 400],
    ['/video.ism/..\\secret', 400],
    ['/video.ism/Manifest%00', 400],
    ['/video.ism/./Manifest', 400],
    ['/video.ism/%ZZ', 400],
    ['/dash/../package.json', 400],
    ['/../package.json', 400],
    // Decoded once only: this is the literal name "%2e%2e", which does not exist.
    ['/video.ism/%252e%252e/secret', 404],
    // An absolute path after the mount stays inside the folder.
    ['//etc/passwd', 404],
    ['/video.ism//etc/passwd', 404],
    // Absolute-form request targets are not paths.
    ['http://127.0.0.1/video.ism/Manifest', 400],
    // A symlink leading out of the root.
    ['/video.ism/link', 404],
  ];
  for (const [path, status] of bad) {
    const r = await raw(server, path);
    assert.equal(r.status, status, path);
    assert.ok(!r.body.toString().includes('secret'), path);
  }
});

test('404 for missing objects and folders (no listings), 405 for other methods', async () => {
  assert.equal((await raw(server, '/video.ism/Fragments(video=1)')).status, 404);
  assert.equal((await raw(server, '/video.ism/')).status, 404);
  assert.equal((await raw(server, '/video.ism/QualityLevels(400000)')).status, 404);
  assert.equal((await raw(server, '/video.ism/QualityLevels(400000)/')).status, 404);
  assert.equal((await raw(server, '/dash/')).status, 404);
  const post = await raw(server, '/video.ism/Manifest', 'POST');
  assert.equal(post.status, 405);
  assert.match(String(post.headers.allow), /GET/);
  assert.equal((await raw(server, '/video.ism/Manifest', 'DELETE')).status, 405);
});

test('records every request with its status', async () => {
  const before = server.requests.length;
  await raw(server, '/video.ism/Manifest');
  await raw(server, '/video.ism/nope');
  assert.deepEqual(server.requests.slice(before), [
    { method: 'GET', path: '/video.ism/Manifest', status: 200 },
    { method: 'GET', path: '/video.ism/nope', status: 404 },
  ]);
});

test('mount option moves the presentation', async () => {
  const other = await startStaticServer({ root: join(dir, 'pres'), mount: 'clip.ism', webDir: dir });
  try {
    assert.equal((await raw(other, '/clip.ism/Manifest')).status, 200);
    assert.equal((await raw(other, '/video.ism/Manifest')).status, 404);
    assert.equal((await raw(other, '/secret')).status, 200); // webDir is `dir` here
    assert.ok(other.url.startsWith('http://127.0.0.1:'));
  } finally {
    await other.close();
  }
});
