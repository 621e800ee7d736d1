import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { haveTools, requireTools } from '../harness/ci.js';
import { errorOf, parseEvents } from '../cli/jsonEvents.js';

const BIN = 'bin/smoothpub.js';
let work = '';
let input = '';

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'smoothpub-encode-cli-'));
  input = join(work, 'talk.mp4');
  if (haveTools('ffmpeg')) {
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=24:duration=4', '-f', 'lavfi', '-i', 'sine=duration=4', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', input]);
  }
});

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('encode --help documents the layout and options; bad options exit 2', () => {
  const h = cli(['encode', '--help']);
  assert.equal(h.status, 0);
  for (const s of ['--ladder', '--fragment-duration', '--no-package', '--ffmpeg', '<dir>/renditions/', 'SMOOTHPUB_FFMPEG']) assert.ok(h.stdout.includes(s), s);
  const bad = cli(['encode', 'x.mp4', '-o', join(work, 'never'), '--preset', 'warp']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^error cli\.bad-option: --preset must be one of/);
  assert.equal(cli(['encode', 'x.mp4', '-o', join(work, 'never'), '--fragment-duration', '0']).status, 2);
});

test('SMOOTHPUB_FFMPEG pointing nowhere: exit 1, one line with encode.ffmpeg-missing', (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const r = cli(['encode', input, '-o', join(work, 'none')], { SMOOTHPUB_FFMPEG: '/nonexistent/bin/ffmpeg', SMOOTHPUB_FFPROBE: '/nonexistent/bin/ffprobe' });
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /^error encode\.ffmpeg-missing: ffprobe not found \('\/nonexistent\/bin\/ffprobe'\)/);
  const j = cli(['encode', input, '-o', join(work, 'none'), '--json'], { SMOOTHPUB_FFMPEG: '/nonexistent/bin/ffmpeg', SMOOTHPUB_FFPROBE: 'ffprobe' });
  assert.equal(j.status, 1);
  assert.equal(errorOf(j.stdout).code, 'encode.ffmpeg-missing');
});

test('encode --json: progress lines then the result', (t) => {
  if (!requireTools(t, 'ffmpeg', 'ffprobe')) return;
  const out = join(work, 'json');
  const r = cli(['encode', input, '-o', out, '--ladder', '320x180@300k,160x90@100k', '--preset', 'ultrafast', '--no-package', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const lines = parseEvents(r.stdout) as unknown as { event: string; phase?: string; fraction?: number; renditions?: { file: string }[]; ism?: string }[];
  assert.equal(lines[0]!.event, 'start');
  const progress = lines.filter((l) => l.event === 'progress');
  assert.ok(progress.length >= 1);
  assert.equal(progress.at(-1)!.fraction, 1);
  const result = lines.at(-1)!;
  assert.equal(result.event, 'result');
  assert.deepEqual(result.renditions!.map((x) => x.file), ['video_320x180_300k.mp4', 'video_160x90_100k.mp4']);
  assert.equal(result.ism, join(out, 'renditions', 'talk.ism'));
});

for (const [signal, code, name] of [['SIGINT', 130, 'Ctrl-C (SIGINT)'], ['SIGTERM', 143, 'SIGTERM']] as const) {
  test(`${name}: exit ${code} within 5 s, ffmpeg gone, nothing at or beside the output path`, { timeout: 60_000 }, async (t) => {
    if (!requireTools(t, 'ffmpeg', 'ffprobe')) return;
    const label = `interrupted-${signal}`;
    const out = join(work, label);
    const child = spawn(process.execPath, [BIN, 'encode', input, '-o', out, '--ladder', '1920x1080@6000k', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => child.kill('SIGKILL'));
    const lines = createInterface({ input: child.stdout });
    // The first progress line means ffmpeg is running.
    await new Promise<void>((resolve) => lines.on('line', (l) => (JSON.parse(l) as { event: string }).event === 'progress' && resolve()));
    const sent = Date.now();
    child.kill(signal);
    const exit = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(exit, code);
    assert.ok(Date.now() - sent < 5000, `ended ${Date.now() - sent} ms after the signal`);
    assert.ok(!(await readdir(work)).some((f) => f.includes(label)));
    assert.ok(!execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).includes(label), 'ffmpeg still running');
  });
}
