// HEVC through the commands: inspect and --fourcc, remux (.ismv files keep the hvc1 entry),
// publish, and serve answered by verify in all three formats.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorOf, resultOf } from './jsonEvents.js';
import { runBin as run, whileListening } from './runBin.js';
import { requireTools } from '../harness/ci.js';

const ISMV = ['test/fixtures/hevc/v200.ismv', 'test/fixtures/hevc/v100.ismv'];
const MP4 = ['test/fixtures/hevc/mp4/v200.mp4', 'test/fixtures/hevc/mp4/v100.mp4'];
let work = '';

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'smoothpub-cli-hevc-'));
});

after(() => rm(work, { recursive: true, force: true }));

type Inspected = { presentation: { streams: { type: string; qualityLevels: { fourCC: string }[] }[] } };
const fourCCs = (r: Inspected): string[] => r.presentation.streams.flatMap((s) => s.qualityLevels.map((q) => `${s.type} ${q.fourCC}`));

test('inspect: HEV1 for hev1 ISMV, HVC1 for hvc1 MP4, --fourcc sets each codec\'s code and refuses two for one codec', async () => {
  assert.deepEqual(fourCCs(resultOf<Inspected>((await run(['inspect', ...ISMV, '--json'])).stdout)), ['video HEV1', 'video HEV1', 'audio AACL']);
  assert.deepEqual(fourCCs(resultOf<Inspected>((await run(['inspect', ...MP4, '--json'])).stdout)), ['video HVC1', 'video HVC1', 'audio AACL']);
  assert.deepEqual(fourCCs(resultOf<Inspected>((await run(['inspect', ...ISMV, '--fourcc', 'avc1,hvc1', '--json'])).stdout)), ['video HVC1', 'video HVC1', 'audio AACL']);
  const two = await run(['inspect', ...ISMV, '--fourcc', 'HVC1,HEV1', '--json']);
  assert.equal(two.code, 2);
  assert.equal(errorOf(two.stdout).code, 'cli.bad-option');
  assert.match(errorOf(two.stdout).message, /at most one code per codec/);
});

test('remux writes .ismv files that keep the hvc1 entry and the source\'s frames; inspect reads them back', async (t) => {
  if (!requireTools(t, 'ffprobe', 'ffmpeg')) return;
  const out = join(work, 'remux', 'hevc.ism');
  const r = await run(['remux', ...MP4, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  const files = (await readdir(join(work, 'remux'))).filter((f) => f.endsWith('.ismv')).sort();
  assert.equal(files.length, 2, files.join(', '));
  const frames = (file: string): string => spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v', '-f', 'framemd5', '-'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(',').pop()).join('\n');
  for (const f of files) {
    const tag = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_tag_string,width', '-of', 'csv=p=0', join(work, 'remux', f)], { encoding: 'utf8' }).stdout.trim();
    const [entry, width] = tag.split(',');
    assert.equal(entry, 'hvc1', `${f}: ${tag}`);
    const source = MP4.find((m) => spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width', '-of', 'csv=p=0', m], { encoding: 'utf8' }).stdout.trim() === width);
    assert.ok(source, `${f}: a source of its width`);
    assert.equal(frames(join(work, 'remux', f)), frames(source), `${f}: decodes to the frames of ${source}`);
  }
  assert.deepEqual(fourCCs(resultOf<Inspected>((await run(['inspect', out, '--json'])).stdout)), ['video HVC1', 'video HVC1', 'audio AACL']);
  assert.match(await readFile(join(work, 'remux', 'hevc.ismc'), 'utf8'), /FourCC="HVC1"[^>]*CodecPrivateData="0000000140/);
});

test('publish writes the HEVC presentation: Manifest, MPD and playlists name the codec', async () => {
  const dest = join(work, 'pub', 'hevc.ism');
  const r = await run(['publish', ...MP4, dest, '--formats', 'smooth,dash,hls']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(await readFile(join(dest, 'Manifest'), 'utf8'), /FourCC="HVC1"/);
  assert.match(await readFile(join(dest, 'manifest.mpd'), 'utf8'), /codecs="hvc1\.1\.6\.L60\.90"/);
  assert.match(await readFile(join(dest, 'master.m3u8'), 'utf8'), /CODECS="hvc1\.1\.6\.L60\.90,mp4a\.40\.2"/);
});

test('serve answers an HEVC ISMV folder in all three formats, and verify finds every object sound', async () => {
  const root = join(work, 'serve');
  await mkdir(join(root, 'hevc.ism'), { recursive: true });
  for (const f of ISMV) await cp(f, join(root, 'hevc.ism', f.split('/').pop()!));
  await whileListening(['serve', root, '--port', '0'], async ({ url }) => {
    const base = `${String(url)}hevc.ism/`;
    assert.match(await (await fetch(`${base}Manifest`)).text(), /FourCC="HEV1"/);
    assert.match(await (await fetch(`${base}manifest.mpd`)).text(), /codecs="hev1\.1\.6\.L60\.90"/);
    const v = await run(['verify', `${base}Manifest`, '--formats', 'smooth,dash,hls']);
    assert.equal(v.code, 0, `${v.stdout}\n${v.stderr}`);
    assert.match(v.stdout, /dash: 3 documents, 3 init segments, 6 fragments, ok/);
    assert.match(v.stdout, /hls: 6 documents, 3 init segments, 6 fragments, ok/);
  });
});
