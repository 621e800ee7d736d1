// `package --key` on the HEVC fixtures: every video level of the DASH/HLS output (its init
// segment and fragments, concatenated) decrypts in ffmpeg to the source's frames, with cenc
// and with cbcs; without the key it does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { fixtures, requireTools } from '../e2e/helpers.js';
import { concat, framemd5, TEST_KEY } from './helpers.js';

const inputs = ['v200', 'v100'].map((l) => join(fixtures, 'hevc', `${l}.ismv`));
const hashes = (lines: string[]): string[] => lines.map((l) => l.split(',').pop()!.trim());

function sourceFrames(file: string): string[] {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v:0', '-f', 'framemd5', '-'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return hashes(r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#')));
}

for (const scheme of ['cenc', 'cbcs'] as const) {
  test(`HEVC ISMV packaged with ${scheme}: each video level decrypts to its source's frames`, async (t) => {
    if (!requireTools(t, 'ffmpeg')) return;
    const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-hevc-key-'));
    t.after(() => rm(tmp, { recursive: true, force: true }));
    const out = join(tmp, 'video.ism');
    const result = await packagePresentation({ inputs, outDir: out, formats: ['smooth', 'dash', 'hls'], protection: { signal: { scheme }, keys: [{ key: TEST_KEY }] } });
    const video = result.presentation.streams.find((s) => s.type === 'video')!;
    const expected = inputs.map(sourceFrames);
    for (const q of video.qualityLevels) {
      const dir = join(out, `QualityLevels(${q.bitrate})`);
      const names = (await readdir(dir)).filter((n) => n !== 'Fragments(video=i)');
      names.sort((a, b) => Number(/=(\d+)\)/.exec(a)![1]) - Number(/=(\d+)\)/.exec(b)![1]));
      const bytes = concat(await Promise.all([join(dir, 'Fragments(video=i)'), ...names.map((n) => join(dir, n))].map((f) => readFile(f))));
      const clear = framemd5(bytes, TEST_KEY.key);
      assert.equal(clear.code, 0, clear.stderr);
      const frames = hashes(clear.lines);
      assert.ok(expected.some((e) => e.length > 0 && e.join() === frames.join()), `${q.bitrate}: decrypted to one source's ${frames.length} frames`);
      const locked = framemd5(bytes);
      assert.notDeepEqual(hashes(locked.lines), frames, `${q.bitrate}: without the key the frames differ`);
    }
  });
}
