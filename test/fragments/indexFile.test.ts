import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { indexFile } from '../../src/fragments/indexFile.js';
import type { SourceIndex } from '../../src/fragments/types.js';
import { SmoothpubError } from '../../src/errors.js';

const FIX = 'test/fixtures';

function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(...bytes.subarray(at + 4, at + 8));
}

/** Every fragment starts with a moof followed by an mdat, and together they tile the file. */
async function assertTiles(ix: SourceIndex): Promise<void> {
  const bytes = await readFile(ix.file);
  const all = ix.tracks.flatMap((t) => t.fragments).sort((a, b) => a.offset - b.offset);
  for (const [i, f] of all.entries()) {
    assert.equal(fourcc(bytes, f.offset), 'moof', `fragment at ${f.offset}`);
    const moofSize = new DataView(bytes.buffer, bytes.byteOffset).getUint32(f.offset);
    assert.equal(fourcc(bytes, f.offset + moofSize), 'mdat');
    const next = all[i + 1];
    if (next) assert.equal(f.offset + f.size, next.offset, 'fragments are contiguous');
  }
}

test('clean video level: mfra path, 4 fragments of 2 s from 0', async () => {
  const ix = await indexFile(`${FIX}/clean/v400.ismv`);
  assert.equal(ix.method, 'mfra');
  assert.equal(ix.brand, 'isml');
  assert.equal(ix.tracks.length, 1);
  const t = ix.tracks[0]!;
  assert.equal(t.kind, 'video');
  assert.equal(t.codec, 'avc1');
  assert.equal(t.timescale, 10_000_000);
  assert.deepEqual([t.width, t.height], [320, 180]);
  assert.deepEqual(t.fragments.map((f) => f.time), [0n, 20_000_000n, 40_000_000n, 60_000_000n]);
  assert.ok(t.fragments.every((f) => f.duration === 20_000_000n));
  assert.ok(t.measuredBitrate > 200_000 && t.measuredBitrate < 800_000, `bitrate ${t.measuredBitrate}`);
  await assertTiles(ix);
});

test('users set: audio muxed in, first AAC fragment at negative time (priming)', async () => {
  const ix = await indexFile(`${FIX}/users/v400.ismv`);
  const audio = ix.tracks.find((t) => t.kind === 'audio')!;
  assert.equal(audio.codec, 'mp4a');
  assert.equal(audio.fragments[0]!.time, -213_333n);
  assert.ok(audio.channels! >= 1 && audio.sampleRate! > 0);
  await assertTiles(ix);
});

test('a file without mfra is scanned and gives the same fragments', async () => {
  const src = `${FIX}/clean/v250.ismv`;
  const withMfra = await indexFile(src);
  const bytes = await readFile(src);
  const mfraSize = new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 4);
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-ix-'));
  const cut = join(dir, 'nomfra.ismv');
  await writeFile(cut, bytes.subarray(0, bytes.length - mfraSize));
  const scanned = await indexFile(cut);
  assert.equal(withMfra.method, 'mfra');
  assert.equal(scanned.method, 'scan');
  assert.deepEqual(scanned.tracks.map((t) => t.fragments), withMfra.tracks.map((t) => t.fragments));
});

test('CMAF input (one track per file): times from tfdt in the track timescale', async () => {
  const video = (await indexFile(`${FIX}/cmaf/video.mp4`)).tracks[0]!;
  const audio = (await indexFile(`${FIX}/cmaf/audio.mp4`)).tracks[0]!;
  assert.equal(video.kind, 'video');
  assert.equal(audio.kind, 'audio');
  assert.ok(video.timescale !== 10_000_000);
  assert.ok(video.fragments.length >= 2);
  for (const t of [video, audio]) {
    for (let i = 1; i < t.fragments.length; i++) {
      const prev = t.fragments[i - 1]!;
      assert.equal(t.fragments[i]!.time, prev.time + prev.duration, `${t.kind} fragment ${i} follows its predecessor`);
    }
  }
});

test('a moof carrying two tracks is refused with a remux hint', async () => {
  await assert.rejects(indexFile(`${FIX}/cmaf.mp4`), (e: unknown) => e instanceof SmoothpubError && e.code === 'input.unsupported' && /one track per fragment/.test(e.message) && e.context.offset !== undefined);
});

test('multi-track ISMV: two video levels and two audio languages', async () => {
  const ix = await indexFile(`${FIX}/multitrack.ismv`);
  assert.deepEqual(ix.tracks.map((t) => t.kind), ['video', 'video', 'audio', 'audio']);
  assert.deepEqual(ix.tracks.filter((t) => t.kind === 'audio').map((t) => t.language), ['eng', 'fra']);
  await assertTiles(ix);
});

test('a plain MP4 is indexed by its sample tables: fragments are cut later', async () => {
  const ix = await indexFile(`${FIX}/plain.mp4`);
  assert.equal(ix.method, 'progressive');
  assert.deepEqual(ix.tracks.map((t) => [t.kind, t.fragments.length, t.samples?.count]), [['video', 0, 48], ['audio', 0, 88]]);
});

test('a text file is not mistaken for media', async () => {
  await assert.rejects(indexFile('package.json'), (e: unknown) => e instanceof SmoothpubError && e.code === 'input.unsupported' && e.context.offset === 0);
});

test('a missing file gives input.read-failed naming it', async () => {
  await assert.rejects(indexFile(`${FIX}/nope.ismv`), (e: unknown) => e instanceof SmoothpubError && e.code === 'input.read-failed' && e.message.includes('nope.ismv'));
});

test('a damaged mfra (tfra pointing into an mdat) falls back to the scan', async () => {
  const src = `${FIX}/clean/v120.ismv`;
  const good = await indexFile(src);
  const bytes = new Uint8Array(await readFile(src));
  const view = new DataView(bytes.buffer);
  const mfraAt = bytes.length - view.getUint32(bytes.length - 4);
  // mfra: header 8, tfra: header 8 + version/flags 4 + track 4 + sizes 4 + count 4, then entry 0 (v1: time 8, offset 8)
  const tfraVersion = bytes[mfraAt + 16]!;
  const firstOffsetAt = mfraAt + 8 + 8 + 4 + 4 + 4 + 4 + (tfraVersion === 1 ? 8 : 4);
  if (tfraVersion === 1) view.setBigUint64(firstOffsetAt, BigInt(good.tracks[0]!.fragments[0]!.offset + 100));
  else view.setUint32(firstOffsetAt, good.tracks[0]!.fragments[0]!.offset + 100);
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-ix-'));
  const damaged = join(dir, 'damaged.ismv');
  await writeFile(damaged, bytes);
  const ix = await indexFile(damaged);
  assert.equal(ix.method, 'scan');
  assert.deepEqual(ix.tracks[0]!.fragments, good.tracks[0]!.fragments);
});
