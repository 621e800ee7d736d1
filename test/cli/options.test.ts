// Options each command takes because its library call supports them, and `--force`
// meaning one thing wherever it exists.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resultOf } from './jsonEvents.js';
import { runBin, whileListening } from './runBin.js';

const PLAIN = ['test/fixtures/progressive/v200.mp4', 'test/fixtures/progressive/v100.mp4'];
let work = '';

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'smoothpub-options-'));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

const run = runBin;

const chunksOf = (xml: string, type: string): number => (new RegExp(`<StreamIndex[^>]*Type="${type}"[^>]*Chunks="(\\d+)"`).exec(xml)?.[1] ?? 'none') as unknown as number;

test('every --force is `-f, --force` and replaces what is already at the destination', async () => {
  for (const command of ['package', 'remux', 'publish', 'encode']) {
    const help = await run([command, '--help']);
    assert.match(help.stdout, /-f, --force\s+replace /, command);
  }
  // publish -f: unchanged objects are uploaded again.
  const dest = join(work, 'pub', 'v.ism');
  assert.equal((await run(['publish', 'test/fixtures/clean/clean.ism', dest])).code, 0);
  const again = await run(['publish', 'test/fixtures/clean/clean.ism', dest, '-f', '--json']);
  const summary = resultOf<{ uploaded: number; skipped: number; objects: number }>(again.stdout);
  assert.deepEqual({ uploaded: summary.uploaded, skipped: summary.skipped }, { uploaded: summary.objects, skipped: 0 });
});

test('inspect --fourcc and remux --fragment-duration reach the library', async () => {
  const inspected = resultOf<{ presentation: { streams: { type: string; qualityLevels: { fourCC: string }[] }[] } }>((await run(['inspect', ...PLAIN, '--fourcc', 'AVC1', '--json'])).stdout);
  assert.deepEqual(inspected.presentation.streams.find((s) => s.type === 'video')!.qualityLevels.map((q) => q.fourCC), ['AVC1', 'AVC1']);

  const two = resultOf<{ fragments: number }>((await run(['remux', ...PLAIN, '-o', join(work, 'remux2', 'v.ism'), '--json'])).stdout);
  const four = resultOf<{ fragments: number }>((await run(['remux', ...PLAIN, '-o', join(work, 'remux4', 'v.ism'), '--fragment-duration', '4', '--json'])).stdout);
  // 3 levels (2 video, 1 audio) of 4 fragments, then of 2.
  assert.deepEqual([two.fragments, four.fragments], [12, 6]);
  const bad = await run(['remux', ...PLAIN, '-o', join(work, 'never'), '--fragment-duration', '0']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--fragment-duration must be/);
});

test('serve takes --fourcc, --fragment-duration, --no-policy and both Cache-Control options', async () => {
  const root = join(work, 'serve');
  await mkdir(join(root, 'plain.ism'), { recursive: true });
  for (const f of PLAIN) await cp(f, join(root, 'plain.ism', f.split('/').pop()!));
  const args = ['serve', root, '--port', '0', '--fourcc', 'AVC1', '--fragment-duration', '4', '--no-policy', '--fragment-cache-control', 'max-age=5', '--manifest-cache-control', 'no-cache'];
  await whileListening(args, async ({ url }) => {
    const manifest = await fetch(`${String(url)}plain.ism/Manifest`);
    assert.equal(manifest.status, 200);
    assert.equal(manifest.headers.get('cache-control'), 'no-cache');
    const xml = await manifest.text();
    assert.match(xml, /FourCC="AVC1"/);
    assert.doesNotMatch(xml, /FourCC="H264"/);
    assert.equal(chunksOf(xml, 'video'), '2');
    const bitrate = /QualityLevel [^>]*Bitrate="(\d+)"[^>]*FourCC="AVC1"/.exec(xml)?.[1];
    // Plain MP4 with AAC priming starts every track a little after 0.
    const start = /Type="video"[\s\S]*?<c t="(\d+)"/.exec(xml)?.[1];
    const fragment = await fetch(`${String(url)}plain.ism/QualityLevels(${bitrate})/Fragments(video=${start})`);
    await fragment.arrayBuffer();
    assert.equal(fragment.status, 200);
    assert.equal(fragment.headers.get('cache-control'), 'max-age=5');
    const policy = await fetch(`${String(url)}clientaccesspolicy.xml`);
    await policy.arrayBuffer();
    assert.equal(policy.status, 404, '--no-policy');
  });
});

test('play takes --fragment-duration and --fourcc for the presentation it packages', async () => {
  await whileListening(['play', ...PLAIN, '--port', '0', '--fragment-duration', '4', '--fourcc', 'AVC1'], async ({ manifest }) => {
    const xml = await (await fetch(String(manifest))).text();
    assert.match(xml, /FourCC="AVC1"/);
    assert.equal(chunksOf(xml, 'video'), '2');
  });
});

test('verify --timeout and --retries bound the wait for a server that never answers', async () => {
  const hanging = createServer(() => undefined);
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = hanging.address() as AddressInfo;
    const r = await run(['verify', `http://127.0.0.1:${port}/video.ism/Manifest`, '--timeout', '1', '--retries', '0', '--json']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(resultOf<{ problems: { code: string }[] }>(r.stdout).problems[0]?.code, 'verify.manifest');
    // One attempt of 1 s (the default would be 4 attempts of 30 s).
    assert.ok(r.ms < 10_000, `${r.ms} ms`);
  } finally {
    hanging.closeAllConnections();
    hanging.close();
  }
});

test('--protection-header (package, publish, serve; verify checks it) gives the Manifest header of an already-protected source, from the line or a file', async () => {
  const video = 'test/fixtures/protected/cenc/video.mp4';
  for (const command of ['package', 'publish', 'serve', 'verify']) assert.match((await run([command, '--help'])).stdout, /--protection-header <systemId:base64>/, command);
  const out = join(work, 'protected-header');
  assert.equal((await run(['package', video, '-o', out, '--protection-header', '9A04F079-9840-4286-AB92-E65BE0885F95:QUJDRA=='])).code, 0);
  const { readFile, writeFile } = await import('node:fs/promises');
  assert.match(await readFile(join(out, 'Manifest'), 'utf8'), /<ProtectionHeader SystemID="9a04f079-9840-4286-ab92-e65be0885f95">QUJDRA==<\/ProtectionHeader>/);
  // A file of bytes (a PlayReady Object as a key server hands it out) is sent as base64.
  const file = join(work, 'pro.bin');
  await writeFile(file, Uint8Array.of(6, 2, 0, 0, 1, 0, 1, 0));
  const published = join(work, 'protected-publish', 'v.ism');
  assert.equal((await run(['publish', video, published, '--protection-header', `9a04f079-9840-4286-ab92-e65be0885f95:@${file}`])).code, 0);
  assert.match(await readFile(join(published, 'Manifest'), 'utf8'), />BgIAAAEAAQA=<\/ProtectionHeader>/);
  for (const bad of ['nope:QUJD', '9a04f079-9840-4286-ab92-e65be0885f95:not base64!']) {
    const r = await run(['package', video, '-o', join(work, 'never-protected'), '--protection-header', bad]);
    assert.equal(r.code, 2, bad);
    assert.match(r.stderr, /error cli\.bad-option: --protection-header/, bad);
  }
  const root = join(work, 'serve-protected');
  await mkdir(join(root, 'p.ism'), { recursive: true });
  await cp(video, join(root, 'p.ism', 'video.mp4'));
  await whileListening(['serve', root, '--port', '0', '--workers', '1', '--protection-header', '9a04f079-9840-4286-ab92-e65be0885f95:R0lWRU4='], async ({ url }) => {
    assert.match(await (await fetch(`${String(url)}p.ism/Manifest`)).text(), />R0lWRU4=<\/ProtectionHeader>/);
  });
});

/** `--words` in src/ that are other tools' options or not options at all, not smoothpub's. */
const NOT_OURS = new Set([
  '--test', // node's own flags, filtered out of a worker's execArgv
  '--ol-s3', '--x-s3', '--table-s3', // S3 bucket name suffixes
  '--enable', // Shaka Packager's --enable_raw_key_encryption, cut at the underscore
  '--pssh', // Shaka Packager's option, named in a comment
]);

test('every --option an error message or hint names is one some command takes (its --help lists it)', async () => {
  const help = (await Promise.all(['', 'inspect', 'package', 'remux', 'publish', 'verify', 'serve', 'index', 'play', 'encode', 'ingest'].map((c) => run(c ? [c, '--help'] : ['--help'])))).map((r) => r.stdout).join('\n');
  const named = new Map<string, string>();
  for (const entry of await readdir('src', { recursive: true })) {
    if (!entry.endsWith('.ts')) continue;
    for (const m of (await readFile(join('src', entry), 'utf8')).matchAll(/--[a-z][a-z0-9-]*/g)) if (!NOT_OURS.has(m[0])) named.set(m[0], entry);
  }
  assert.ok(named.has('--encryption-scheme'));
  const unknown = [...named].filter(([option]) => !new RegExp(`${option}\\b(?!-)`).test(help));
  assert.deepEqual(unknown, []);
});
