// Differential test against ffmpeg's own Smooth muxer (`-c copy -f smoothstreaming`) on the
// same input: same fragment boundaries and durations, same sample bytes in every fragment,
// manifests equal apart from what ffmpeg gets wrong or rounds (its missing first `t`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import type { Presentation, StreamIndex } from '../../src/smooth/model.js';
import { requireTools } from '../e2e/helpers.js';

const FIX = 'test/fixtures';

/** The payload of the `mdat` box of a fragment file: the samples, whoever muxed them. */
function mdatPayload(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (pos + 8 <= bytes.length) {
    const size = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    if (type === 'mdat') return bytes.subarray(pos + 8, pos + size);
    pos += size;
  }
  throw new Error('no mdat');
}

function tolerantlyEqual(a: bigint, b: bigint, tolerance: bigint, what: string): void {
  const diff = a > b ? a - b : b - a;
  assert.ok(diff <= tolerance, `${what}: ${a} vs ${b}`);
}

async function fragmentFiles(root: string, s: StreamIndex, bitrate: number): Promise<Uint8Array[]> {
  const dir = join(root, `QualityLevels(${bitrate})`);
  const names = (await readdir(dir)).filter((n) => n.startsWith('Fragments('));
  const time = (n: string): bigint => BigInt(/=(\d+)\)$/.exec(n)![1]!);
  names.sort((x, y) => (time(x) < time(y) ? -1 : 1));
  assert.equal(names.length, s.chunks.length, `${dir}: one file per chunk`);
  return Promise.all(names.map((n) => readFile(join(dir, n))));
}

test('package matches ffmpeg -f smoothstreaming on the clean set', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const work = await mkdtemp(join(tmpdir(), 'smoothpub-diff-'));
  const inputs = [`${FIX}/clean/v400.ismv`, `${FIX}/clean/v250.ismv`, `${FIX}/clean/v120.ismv`, `${FIX}/clean/audio.isma`];
  const ff = join(work, 'ffmpeg');
  // min_frag_duration 1 s: fragment at every 2 s keyframe, as the source is (ffmpeg's default is 5 s).
  const r = spawnSync('ffmpeg', ['-v', 'error', ...inputs.flatMap((i) => ['-i', i]), '-map', '0:v', '-map', '1:v', '-map', '2:v', '-map', '3:a', '-c', 'copy', '-min_frag_duration', '1000000', '-f', 'smoothstreaming', ff]);
  assert.equal(r.status, 0, r.stderr.toString());
  const ours = await packagePresentation({ inputs, outDir: join(work, 'ours') });

  const theirs: Presentation = readManifest(await readFile(join(ff, 'Manifest'), 'utf8'));
  const mine: Presentation = readManifest(await readFile(join(ours.outDir, 'Manifest'), 'utf8'));
  assert.equal(mine.streams.length, theirs.streams.length);
  for (const [i, their] of theirs.streams.entries()) {
    const my = mine.streams[i]!;
    assert.equal(my.type, their.type);
    assert.equal(my.url, their.url);
    assert.equal(my.chunks.length, their.chunks.length, `${my.name}: chunk count`);
    // ffmpeg rescales through its own time base and rounds each duration by up to 1 tick.
    my.chunks.forEach((c, k) => {
      tolerantlyEqual(c.t, their.chunks[k]!.t, BigInt(k + 1), `${my.name} chunk ${k} start`);
      tolerantlyEqual(c.d, their.chunks[k]!.d, 1n, `${my.name} chunk ${k} duration`);
    });
    assert.equal(my.qualityLevels.length, their.qualityLevels.length);
    for (const tq of their.qualityLevels) {
      // Levels are matched by resolution (video) or order (audio): bitrates are measured differently.
      const mq = my.qualityLevels.find((q) => q.maxWidth === tq.maxWidth && q.maxHeight === tq.maxHeight && q.channels === tq.channels)!;
      assert.ok(mq, `a level like ffmpeg's ${tq.bitrate}`);
      assert.equal(mq.fourCC, tq.fourCC);
      assert.equal(mq.codecPrivateData.toUpperCase(), tq.codecPrivateData.toUpperCase());
      assert.equal(mq.samplingRate, tq.samplingRate);
      assert.equal(mq.audioTag, tq.audioTag);
      const myFragments = await fragmentFiles(ours.outDir, my, mq.bitrate);
      const theirFragments = await fragmentFiles(ff, their, tq.bitrate);
      myFragments.forEach((f, k) => assert.deepEqual(mdatPayload(f), mdatPayload(theirFragments[k]!), `${my.name} ${mq.bitrate} fragment ${k}: same samples`));
    }
  }
  // What ffmpeg gets wrong: no `t` on the first chunk. We always write it.
  const text = await readFile(join(ours.outDir, 'Manifest'), 'utf8');
  assert.equal(text.match(/<c t="/g)?.length, mine.streams.length);
});

// ffmpeg re-cuts audio at its own times and names video by presentation time (B-frame
// delay), so here the streams must carry the same samples and the same video cuts.
test('on B-frame/priming input ffmpeg and smoothpub carry the same samples', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const work = await mkdtemp(join(tmpdir(), 'smoothpub-diff-'));
  const input = `${FIX}/users/v400.ismv`;
  const ff = join(work, 'ffmpeg');
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', input, '-map', '0', '-c', 'copy', '-min_frag_duration', '1000000', '-f', 'smoothstreaming', ff]);
  assert.equal(r.status, 0, r.stderr.toString());
  const ours = await packagePresentation({ inputs: [input], outDir: join(work, 'ours') });
  const theirs = readManifest(await readFile(join(ff, 'Manifest'), 'utf8'));
  for (const [i, my] of ours.presentation.streams.entries()) {
    const their = theirs.streams[i]!;
    assert.equal(my.chunks.length, their.chunks.length);
    const myFragments = await fragmentFiles(ours.outDir, my, my.qualityLevels[0]!.bitrate);
    const theirFragments = await fragmentFiles(ff, their, their.qualityLevels[0]!.bitrate);
    const samples = (fs: Uint8Array[]): Buffer => Buffer.concat(fs.map(mdatPayload));
    assert.ok(samples(myFragments).equals(samples(theirFragments)), `${my.name}: same samples in the same order`);
    if (my.type === 'video') {
      myFragments.forEach((f, k) => assert.deepEqual(mdatPayload(f), mdatPayload(theirFragments[k]!), `video fragment ${k}`));
      const shift = their.chunks[0]!.t - my.chunks[0]!.t;
      my.chunks.forEach((c, k) => tolerantlyEqual(c.t + shift, their.chunks[k]!.t, BigInt(k + 1), `video chunk ${k}`));
    }
  }
});
