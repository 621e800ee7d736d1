// Already-protected sources published by smoothpub decrypt with the key, in real tools, to
// the frames of the clear source they were encrypted from (test/fixtures/protected, made
// from clean/v120.ismv and clean/audio.isma): ffmpeg's -decryption_key and Shaka Packager's
// raw-key decryption read each level's published init segment + fragments, their frames
// (framemd5) equal to the clear source's. smoothpub itself never decrypts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initKey } from '../../src/formats/names.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { formatFragmentUrl } from '../../src/smooth/url.js';
import type { Presentation } from '../../src/smooth/model.js';
import { requireShakaPackager } from '../harness/ci.js';
import { fixtures, requireTools, run } from './helpers.js';

const KEY = '00112233445566778899aabbccddeeff';
const KID = '0123456789abcdef0123456789abcdef';
const dir = join(fixtures, 'protected');
const CLEAR = { video: join(fixtures, 'clean', 'v120.ismv'), audio: join(fixtures, 'clean', 'audio.isma') };

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'smoothpub-e2e-passthrough-'));
});
after(() => rm(tmp, { recursive: true, force: true }));

/** ffmpeg's framemd5 of every decoded frame of `input` (a file, or '-' fed `stdin`), without its comment lines. */
function framemd5(args: string[], stdin?: Uint8Array): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-v', 'error', ...args, '-f', 'framemd5', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 && err === '' ? resolve(out.split('\n').filter((l) => l !== '' && !l.startsWith('#')).join('\n')) : reject(new Error(`ffmpeg exited ${code}: ${err.slice(0, 500)}`))));
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
  });
}

/** Each level's init segment and fragments in order: what a DASH/HLS player appends. */
async function levelFiles(out: string, p: Presentation): Promise<Map<string, Uint8Array>> {
  const levels = new Map<string, Uint8Array>();
  for (const s of p.streams) {
    for (const q of s.qualityLevels) {
      const parts = [await readFile(join(out, initKey(s.name, q.bitrate)))];
      for (const c of s.chunks) parts.push(await readFile(join(out, formatFragmentUrl(s.url, q.bitrate, c.t))));
      levels.set(s.type, Buffer.concat(parts));
    }
  }
  return levels;
}

for (const scheme of ['cenc', 'cbcs'] as const) {
  test(`Shaka Packager's ${scheme} sources, published as DASH/HLS, decrypt in ffmpeg to the clear source's frames`, async (t) => {
    if (!requireTools(t, 'ffmpeg')) return;
    const out = join(tmp, `ffmpeg-${scheme}`);
    const { presentation } = await packagePresentation({ inputs: [join(dir, scheme, 'video.mp4'), join(dir, scheme, 'audio.mp4')], outDir: out, formats: ['smooth', 'dash', 'hls'] });
    const levels = await levelFiles(out, presentation);
    assert.deepEqual([...levels.keys()], ['video', 'audio']);
    for (const [type, bytes] of levels) {
      // A pipe: on a seekable concatenation ffmpeg 5.1 takes the wrong fragment's IVs (docs/architecture.md).
      const decrypted = await framemd5(['-decryption_key', KEY, '-i', '-'], bytes);
      const clear = await framemd5(['-i', CLEAR[type as 'video' | 'audio']]);
      assert.ok(clear.split('\n').length >= (type === 'video' ? 192 : 375), `${type}: ${clear.split('\n').length} frames`);
      assert.equal(decrypted, clear, `${scheme} ${type}`);
    }
  });
}

test('the PIFF PlayReady source, its tfdt added for DASH/HLS (saio moved), decrypts in ffmpeg to the clear frames', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const out = join(tmp, 'ffmpeg-piff');
  const { presentation } = await packagePresentation({ inputs: [join(dir, 'piff', 'piff.ism')], outDir: out, formats: ['smooth', 'dash', 'hls'] });
  const video = (await levelFiles(out, presentation)).get('video')!;
  const file = join(tmp, 'piff-video.mp4');
  await writeFile(file, video);
  // ffmpeg 5.1 reads the IVs by saiz/saio (not from PIFF's uuid box); from a pipe it cannot
  // reach them there ("saiz atom found without saio"), so a file without the index.
  assert.equal(await framemd5(['-fflags', '+ignidx', '-decryption_key', KEY, '-i', file]), await framemd5(['-i', CLEAR.video]));
});

test("Shaka Packager decrypts smoothpub's published fragments of its own cenc and cbcs output to the clear frames", async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const packager = requireShakaPackager(t);
  if (packager === undefined) return;
  for (const scheme of ['cenc', 'cbcs'] as const) {
    const out = join(tmp, `shaka-${scheme}`);
    const { presentation } = await packagePresentation({ inputs: [join(dir, scheme, 'video.mp4'), join(dir, scheme, 'audio.mp4')], outDir: out, formats: ['dash'] });
    for (const [type, bytes] of await levelFiles(out, presentation)) {
      const input = join(tmp, `${scheme}-${type}.mp4`);
      const output = join(tmp, `${scheme}-${type}-clear.mp4`);
      await writeFile(input, bytes);
      const r = await run(packager, [`in=${input},stream=${type},output=${output}`, '--enable_raw_key_decryption', '--keys', `label=:key_id=${KID}:key=${KEY}`], 60);
      assert.equal(r.code, 0, r.stderr.split('\n').filter((l) => !l.startsWith('I')).join('\n'));
      assert.equal(await framemd5(['-i', output]), await framemd5(['-i', CLEAR[type as 'video' | 'audio']]), `${scheme} ${type}`);
    }
  }
});
