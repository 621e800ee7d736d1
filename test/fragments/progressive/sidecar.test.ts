import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { indexFile } from '../../../src/fragments/indexFile.js';
import { readSidecar } from '../../../src/fragments/sidecar.js';
import { decodeSidecar, encodeSidecar, encodeSidecarParts } from '../../../src/fragments/sidecarFormat.js';
import type { SampleTable, SourceIndex, TrackIndex } from '../../../src/fragments/types.js';
import { writeSidecarsFor } from '../../../src/fragments/sidecarInputs.js';
import { SmoothpubError } from '../../../src/errors.js';
import { openFileSource } from '../../../src/source/fileSource.js';

const P = resolve('test/fixtures/progressive');
const tmp = (): Promise<string> => mkdtemp(join(tmpdir(), 'smoothpub-progidx-'));

test('a plain MP4 sidecar holds the sample tables and reads back as the same index', async () => {
  const dir = await tmp();
  for (const name of ['v300.mp4', 'ctts1.mp4', 'languages.mp4']) await copyFile(join(P, name), join(dir, name));
  const written = await writeSidecarsFor([dir]);
  assert.deepEqual(written.map((w) => [w.source.slice(dir.length + 1), w.tracks, w.fragments, w.samples]), [
    ['ctts1.mp4', 1, 4, 240],
    ['languages.mp4', 3, 12, 240 + 2 * 376],
    ['v300.mp4', 2, 8, 240 + 376],
  ]);
  for (const w of written) {
    const ix = await indexFile(w.source);
    const src = await openFileSource(w.source);
    try {
      const back = await readSidecar(w.source, src);
      assert.deepEqual(back, ix, w.source);
      assert.ok(back?.tracks.every((t) => t.samples !== undefined));
    } finally {
      await src.close();
    }
    // About 25 bytes a sample as base64 of the typed arrays; the moov itself is ~10 bytes a sample.
    assert.ok(w.bytes < 40 * w.samples + 2000, `${w.source}: ${w.bytes} bytes for ${w.samples} samples`);
  }
});

test('a plain MP4 sidecar with a sample table that does not fit its source is not used', async () => {
  const ix = await indexFile(join(P, 'v100.mp4'));
  const text = encodeSidecar(ix);
  const expected = { file: ix.file, size: ix.size, mtimeMs: ix.mtimeMs };
  assert.ok(decodeSidecar(text, expected));
  const json = JSON.parse(text) as { tracks: { samples: { count: number; sizes: string } }[] };
  json.tracks[0]!.samples.count += 1;
  assert.equal(decodeSidecar(JSON.stringify(json), expected), undefined, 'count differs from the arrays');
  json.tracks[0]!.samples.count -= 1;
  const big = Buffer.from(json.tracks[0]!.samples.sizes, 'base64');
  big.writeUInt32LE(0xffffffff, 0);
  json.tracks[0]!.samples.sizes = big.toString('base64');
  assert.equal(decodeSidecar(JSON.stringify(json), expected), undefined, 'a sample beyond the end of the file');
  assert.equal(decodeSidecar(text, { ...expected, size: 1000 }), undefined, 'the source is smaller now');
});

test('index of a misaligned plain MP4 ladder fails naming both and writes no sidecar', async () => {
  const dir = await tmp();
  for (const name of ['a.mp4', 'b.mp4']) await copyFile(join(P, 'misaligned', name), join(dir, name));
  await assert.rejects(writeSidecarsFor([dir]), (e: unknown) => e instanceof SmoothpubError && e.code === 'index.misaligned' && /a\.mp4/.test(e.message) && /b\.mp4/.test(e.message));
  assert.deepEqual((await readdir(dir)).sort(), ['a.mp4', 'b.mp4']);
  // Each alone cuts fine, at the duration asked for.
  const alone = await writeSidecarsFor([join(dir, 'b.mp4')], undefined, { fragmentDuration: 2.5 });
  assert.equal(alone[0]!.fragments, 4);
});

test('large sample tables stream out of the sidecar encoder in pieces and read back exactly, 32- and 64-bit times alike', async () => {
  const ix = await indexFile(join(P, 'v100.mp4'));
  const count = 100_000; // 800 KB of offsets: many base64 pieces
  const [first, second] = ix.tracks as [TrackIndex, TrackIndex];
  const table = (times: Uint32Array | Float64Array): SampleTable => ({
    count,
    offsets: Float64Array.from({ length: count }, (_, i) => i % ix.size),
    sizes: new Uint32Array(count).fill(1),
    times: times.map((_, i) => i * 3),
    sync: Uint8Array.from({ length: count }, (_, i) => (i % 48 === 0 ? 1 : 0)),
    mediaTime: -1024,
    delay: 7,
  });
  const big: SourceIndex = { ...ix, tracks: [{ ...first, samples: table(new Uint32Array(count + 1)) }, { ...second, samples: table(new Float64Array(count + 1)) }] };
  const parts = [...encodeSidecarParts(big)];
  assert.ok(parts.length > 20, `${parts.length} pieces`);
  assert.ok(parts.every((p) => p.length <= 70_000), 'no piece holds a whole table');
  const back = decodeSidecar(parts.join(''), { file: ix.file, size: ix.size, mtimeMs: ix.mtimeMs });
  assert.deepEqual(back, big);
  assert.equal(encodeSidecar(big), parts.join(''));
});
