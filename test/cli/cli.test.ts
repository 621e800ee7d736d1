import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { errorOf, parseEvents, resultOf } from './jsonEvents.js';
import { walkBoxes } from '../fragments/rawBoxes.js';

const BIN = 'bin/smoothpub.js';

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--help lists the commands and exit codes; each command has its own help', () => {
  const r = cli('--help');
  assert.equal(r.status, 0);
  for (const c of ['inspect', 'package', 'publish', 'verify', 'serve', 'index', 'play']) assert.match(r.stdout, new RegExp(`\\n  ${c} `));
  assert.match(r.stdout, /Exit codes: 0 ok, 1 failed, 2 usage error, 130 interrupted \(SIGINT, Ctrl-C\), 143 terminated \(SIGTERM\)/);
  const p = cli('package', '--help');
  assert.equal(p.status, 0);
  assert.match(p.stdout, /--policy/);
  assert.match(p.stdout, /--fourcc/);
});

test('a reader that closes the pipe early ends the CLI quietly (no EPIPE crash)', async () => {
  const child = spawn(process.execPath, [BIN, 'inspect', 'test/fixtures/multitrack.ismv', 'test/fixtures/clean/clean.ism'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  // Like `| head -0`: our end is closed before the CLI writes anything.
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /EPIPE|Unhandled/);
});

test('--version prints the package version', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  assert.equal(cli('--version').stdout.trim(), pkg.version);
});

test('package --json prints a result; the output is complete', async () => {
  const out = join(await mkdtemp(join(tmpdir(), 'smoothpub-cli-')), 'v.ism');
  const r = cli('package', 'test/fixtures/clean/clean.ism', '-o', out, '--json', '--policy');
  assert.equal(r.status, 0, r.stderr);
  const result = resultOf<{ objects: number; bytes: number; manifest: string }>(r.stdout);
  assert.equal(result.objects, 3 * 4 + 4 + 2 + 1);
  assert.ok(existsSync(result.manifest));
});

test('bad input: exit 1, one line naming the code and file, nothing written', async () => {
  const out = join(await mkdtemp(join(tmpdir(), 'smoothpub-cli-')), 'v.ism');
  const r = cli('package', 'test/fixtures/cmaf.mp4', '-o', out);
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /^error input\.unsupported: .*test\/fixtures\/cmaf\.mp4/);
  assert.ok(!existsSync(out));
  const j = cli('package', 'test/fixtures/cmaf.mp4', '-o', out, '--json');
  assert.equal(j.status, 1);
  assert.equal(errorOf(j.stdout).code, 'input.unsupported');
});

test('usage errors exit 2', () => {
  assert.equal(cli('package', 'test/fixtures/clean/v120.ismv').status, 2);
  assert.equal(cli('frobnicate').status, 2);
  const r = cli('package', 'test/fixtures/clean/v120.ismv', '-o', join(tmpdir(), 'never'), '--fourcc', 'XVID');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /error cli\.bad-option: --fourcc takes H264 or AVC1 \(H\.264\) and HVC1 or HEV1 \(HEVC\)/);
});

test('inspect --json reports tracks and the presentation; misalignment is a problem with exit 1', () => {
  const r = cli('inspect', 'test/fixtures/multitrack.ismv', '--json');
  assert.equal(r.status, 0, r.stderr);
  const report = resultOf<{ ok: boolean; sources: { tracks: { kind: string; language: string }[] }[]; presentation: { streams: { name: string }[] } }>(r.stdout);
  assert.equal(report.ok, true);
  assert.deepEqual(report.sources[0]!.tracks.map((t) => t.kind), ['video', 'video', 'audio', 'audio']);
  assert.deepEqual(report.presentation.streams.map((s) => s.name), ['video', 'audio_eng', 'audio_fra']);
  // An ISMV level and a plain MP4 one: the plain MP4's fragments start 1024/48000 s later (AAC priming it cannot skip).
  const bad = cli('inspect', 'test/fixtures/clean/v120.ismv', 'test/fixtures/progressive/v100.mp4');
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /problem index\.misaligned: /);
  assert.match(bad.stdout, /track 1 {2}video {2}avc1 {2}192x108/);
});

test('play serves the bundled sample with a player page until interrupted', async () => {
  const child = spawn(process.execPath, [BIN, 'play', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (l) => (JSON.parse(l) as { event: string }).event === 'listening' && resolve(l));
      child.once('exit', (code) => reject(new Error(`play exited ${code}`)));
    });
    const { player, manifest } = JSON.parse(line) as { player: string; manifest: string };
    const m = await fetch(manifest);
    assert.equal(m.status, 200);
    assert.match(await m.text(), /<SmoothStreamingMedia /);
    const page = await fetch(player);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /dash\.mss\.min\.js/);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    assert.equal(await exited, 130);
  }
});

test('--fragment-duration cuts plain MP4 input (inspect, package, publish, index take it)', () => {
  const r = cli('inspect', 'test/fixtures/progressive/v200.mp4', 'test/fixtures/progressive/v100.mp4', '--fragment-duration', '4', '--json');
  assert.equal(r.status, 0, r.stderr);
  const report = resultOf<{ presentation: { streams: { type: string; chunks: unknown[] }[] }; sources: { method: string }[] }>(r.stdout);
  assert.equal(report.presentation.streams.find((s) => s.type === 'video')!.chunks.length, 2);
  assert.deepEqual(report.sources.map((s) => s.method), ['progressive', 'progressive']);
  for (const c of ['package', 'publish', 'index']) assert.match(cli(c, '--help').stdout, /--fragment-duration <s>/);
  const bad = cli('inspect', 'test/fixtures/progressive/v100.mp4', '--fragment-duration', 'soon');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /error cli\.bad-option: --fragment-duration must be a number of seconds/);
});

test('inspect says which plain MP4 track is left out as the same audio as another, instead of showing no fragments', () => {
  const r = cli('inspect', 'test/fixtures/progressive/v300.mp4', 'test/fixtures/progressive/v200.mp4');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /v200\.mp4 [^\n]*\n {2}track 1 [^\n]*4 fragments[^\n]*\n {2}track 2 {2}audio [^\n]* {2}not used: the same samples as test\/fixtures\/progressive\/v300\.mp4 track 2\n/);
  const json = resultOf<{ sources: { tracks: { notUsed?: string; fragments: unknown[] }[] }[] }>(cli('inspect', 'test/fixtures/progressive/v300.mp4', 'test/fixtures/progressive/v200.mp4', '--json').stdout);
  assert.deepEqual(json.sources.map((s) => s.tracks.map((t) => t.notUsed ?? t.fragments.length)), [[4, 4], [4, 'the same samples as test/fixtures/progressive/v300.mp4 track 2']]);
});

test('--manifest-timeline: compact (r) by default, expanded on request; package, publish, serve and remux take it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-cli-timeline-'));
  const compact = cli('package', 'test/fixtures/clean/clean.ism', '-o', join(dir, 'c.ism'), '--json');
  assert.equal(compact.status, 0, compact.stderr);
  assert.match(readFileSync(join(dir, 'c.ism', 'Manifest'), 'utf8'), /<c t="0" d="20000000" r="4"\/>/);
  const expanded = cli('package', 'test/fixtures/clean/clean.ism', '-o', join(dir, 'e.ism'), '--manifest-timeline', 'expanded', '--json');
  assert.equal(expanded.status, 0, expanded.stderr);
  const xml = readFileSync(join(dir, 'e.ism', 'Manifest'), 'utf8');
  assert.doesNotMatch(xml, / r="/);
  assert.equal((xml.match(/<c /g) ?? []).length, 8, 'one <c> a fragment');
  for (const c of ['package', 'publish', 'serve', 'remux']) assert.match(cli(c, '--help').stdout, /--manifest-timeline <form>/);
  const bad = cli('package', 'test/fixtures/clean/clean.ism', '-o', join(dir, 'b.ism'), '--manifest-timeline', 'short');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /error cli\.bad-option: --manifest-timeline must be compact or expanded, got 'short'/);
  assert.ok(!existsSync(join(dir, 'b.ism')));
});

test('warnings: inspect, package, publish and remux print them as lines (exit 0), and with --json as warning events', async () => {
  const ladder = ['v300', 'v200', 'v100'].map((n) => `test/fixtures/opengop/${n}.ismv`);
  const text = cli('inspect', ...ladder);
  assert.equal(text.status, 0, text.stderr);
  assert.equal(text.stdout.match(/^warning index\.tfxd-disagrees: test\/fixtures\/opengop\/v\d00\.ismv track 1: /gm)?.length, 3, text.stdout);
  assert.match(text.stdout, /no problems found, 3 warnings\n$/);
  const inspected = cli('inspect', '--json', ...ladder).stdout;
  const json = resultOf<{ ok: boolean; warnings: { code: string }[] }>(inspected);
  assert.equal(json.ok, true);
  assert.deepEqual(json.warnings.map((w) => w.code), ['index.tfxd-disagrees', 'index.tfxd-disagrees', 'index.tfxd-disagrees']);
  assert.deepEqual(parseEvents(inspected).filter((e) => e.event === 'warning').map((e) => e['code']), json.warnings.map((w) => w.code), 'a warning line each');
  const out = join(await mkdtemp(join(tmpdir(), 'smoothpub-cli-warn-')), 'w.ism');
  const mp4 = ['v300', 'v200', 'v100'].map((n) => `test/fixtures/opengop/mp4/${n}.mp4`);
  const packaged = cli('package', ...mp4, '-o', out, '--fragment-duration', '1', '--json');
  assert.equal(packaged.status, 0, packaged.stderr);
  const result = resultOf<{ warnings: { code: string; message: string }[] }>(packaged.stdout);
  assert.deepEqual(result.warnings.map((w) => w.code), ['index.fragment-duration']);
  assert.deepEqual(parseEvents(packaged.stdout).filter((e) => e.event === 'warning').map((e) => e['code']), ['index.fragment-duration']);
  const plain = cli('package', ...mp4, '-o', `${out}2`, '--fragment-duration', '1', '--no-progress');
  assert.match(plain.stderr, /^warning index\.fragment-duration: video fragments last up to /m);
  // publish says the same before it uploads (to a folder here; a store gets the same plan).
  const published = cli('publish', ...mp4, `${out}3`, '--fragment-duration', '1', '--json');
  assert.equal(published.status, 0, published.stderr);
  assert.deepEqual(parseEvents(published.stdout).filter((e) => e.event === 'warning').map((e) => e['code']), ['index.fragment-duration']);
  const publishedText = cli('publish', ...mp4, `${out}4`, '--fragment-duration', '1', '--no-progress');
  assert.match(publishedText.stderr, /^warning index\.fragment-duration: /m);
  const remuxed = cli('remux', ...mp4, '-o', join(`${out}5`, 'r.ism'), '--fragment-duration', '1', '--json');
  assert.equal(remuxed.status, 0, remuxed.stderr);
  assert.deepEqual(parseEvents(remuxed.stdout).filter((e) => e.event === 'warning').map((e) => e['code']), ['index.fragment-duration']);
});

test('inspect warns about fragments that start at a non-sync sample (GStreamer ismlmux); package warns about those it cannot join', async () => {
  const file = 'test/fixtures/othertools/ismlmux.ismv';
  const r = cli('inspect', file);
  assert.equal(r.status, 0, r.stderr);
  const warnings = r.stdout.split('\n').filter((l) => l.startsWith('warning '));
  assert.equal(warnings.length, 6, r.stdout);
  assert.ok(warnings.includes(`warning index.non-sync-start: fragment at 1.969 s (t=59059) starts at a non-sync sample, where no client can start or switch quality levels: joined to the fragment before it, at 0.000 s (t=0), into one fragment that starts at a keyframe (${file}, byte 89579, track 1)`), warnings.join('\n'));
  const json = resultOf<{ ok: boolean; warnings: { code: string; context: { file: string; offset: number; trackId: number } }[] }>(cli('inspect', file, '--json').stdout);
  assert.equal(json.ok, true);
  assert.deepEqual(json.warnings.map((w) => [w.code, w.context.trackId, w.context.offset]), [
    ['index.non-sync-start', 1, 89579], ['index.non-sync-start', 1, 167015], ['index.non-sync-start', 1, 246334],
    ['index.non-sync-start', 2, 90274], ['index.non-sync-start', 2, 167779], ['index.non-sync-start', 2, 247097],
  ]);

  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-cli-'));
  const joined = cli('package', file, '-o', join(dir, 'joined.ism'));
  assert.equal(joined.status, 0, joined.stderr);
  assert.equal(joined.stderr, '', 'every one was joined: nothing to warn about');
  // A sample group box in one of them (in both levels, which must stay aligned) keeps that
  // one apart: package says so, and still packages.
  const bytes = new Uint8Array(readFileSync(file));
  for (const moof of [167015, 167779]) {
    const sdtp = walkBoxes(bytes).find((b) => b.type === 'sdtp' && b.start > moof && b.start < moof + 113)!;
    bytes.set([0x73, 0x62, 0x67, 0x70], sdtp.start + 4); // 'sbgp'
  }
  const patched = join(dir, 'patched.ismv');
  writeFileSync(patched, bytes);
  const apart = cli('package', patched, '-o', join(dir, 'apart.ism'));
  assert.equal(apart.status, 0, apart.stderr);
  const lines = apart.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 2, apart.stderr);
  assert.match(lines[0]!, /^warning index\.non-sync-start: fragment at 3\.971 s \(t=39706333\) starts at a non-sync sample, where no client can start or switch quality levels, and is left as it is because its traf carries a 'sbgp' box .*: a client starting or switching there shows damaged pictures until the next keyframe\. .*\(.*patched\.ismv, byte 167015, track 1\)$/);
  assert.match(lines[1]!, /\(.*patched\.ismv, byte 167779, track 2\)$/);
  const apartOut = cli('package', patched, '-o', join(dir, 'apart2.ism'), '--json').stdout;
  assert.deepEqual(resultOf<{ warnings: { code: string }[] }>(apartOut).warnings.map((w) => w.code), ['index.non-sync-start', 'index.non-sync-start']);
  assert.deepEqual(parseEvents(apartOut).filter((e) => e.event === 'warning').map((e) => e['code']), ['index.non-sync-start', 'index.non-sync-start']);
});
