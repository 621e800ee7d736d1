// Files over 4 GB use co64 chunk offsets and 64-bit box sizes. A real one is too big to
// commit, so rewrite a small plain MP4 into that shape: same samples at the same offsets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readBoxHeader } from '../../../src/bmff/box.js';
import { readStco } from '../../../src/bmff/stco.js';
import { writeCo64 } from '../../../src/bmff/co64.js';
import { Cursor } from '../../../src/bmff/cursor.js';
import { boxHeader } from '../../../src/bmff/writer.js';
import { indexFile } from '../../../src/fragments/indexFile.js';
import { packagePresentation } from '../../../src/package/packagePresentation.js';

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);

/** The boxes in [start, end) rewritten: stco -> co64, containers rebuilt around them, every header 64-bit. */
function rewrite(bytes: Uint8Array, start: number, end: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const c = new Cursor(bytes, 0, 'file', start, end);
  while (c.pos < end) {
    const h = readBoxHeader(c, end);
    const payloadAt = h.offset + h.headerSize;
    c.pos = h.offset + h.size;
    if (CONTAINERS.has(h.type)) {
      const children = rewrite(bytes, payloadAt, h.offset + h.size);
      const n = children.reduce((s, x) => s + x.length, 0);
      out.push(boxHeader(h.type, n, { largesize: true }), ...children);
    } else if (h.type === 'stco') {
      out.push(writeCo64({ offsets: readStco(new Cursor(bytes, 0, 'stco', payloadAt, h.offset + h.size)).offsets }));
    } else {
      out.push(bytes.subarray(h.offset, h.offset + h.size));
    }
  }
  return out;
}

test('co64 offsets and 64-bit box sizes (mdat and moov) index and package like the original', async () => {
  const original = new Uint8Array(await readFile(resolve('test/fixtures/progressive/v300.mp4')));
  // v300.mp4: ftyp(32) free(8) mdat(...) moov at the end. ffmpeg leaves that 8-byte free
  // exactly so that the mdat header can grow to 16 bytes without moving the samples.
  const view = new DataView(original.buffer, original.byteOffset);
  assert.equal(String.fromCharCode(...original.subarray(36, 40)), 'free');
  const mdatSize = view.getUint32(40);
  const moovAt = 40 + mdatSize;
  const mdat = boxHeader('mdat', mdatSize - 8, { largesize: true });
  assert.equal(mdat.length, 16);
  const parts = [original.subarray(0, 32), mdat, original.subarray(48, moovAt), ...rewrite(original, moovAt, original.length)];
  const rewritten = Buffer.concat(parts);
  assert.ok(rewritten.includes(Buffer.from('co64')) && !rewritten.includes(Buffer.from('stco')));

  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-co64-'));
  const file = join(dir, 'big.mp4');
  await writeFile(file, rewritten);
  const [a, b] = [await indexFile(resolve('test/fixtures/progressive/v300.mp4')), await indexFile(file)];
  assert.deepEqual(b.tracks.map((t) => t.samples), a.tracks.map((t) => t.samples));

  const outA = join(dir, 'a.ism');
  const outB = join(dir, 'b.ism');
  await packagePresentation({ inputs: [resolve('test/fixtures/progressive/v300.mp4')], outDir: outA });
  await packagePresentation({ inputs: [file], outDir: outB });
  for (const level of await readdir(outA)) {
    if (level === 'Manifest') {
      assert.equal(await readFile(join(outB, level), 'utf8'), await readFile(join(outA, level), 'utf8'));
      continue;
    }
    for (const f of await readdir(join(outA, level))) assert.ok((await readFile(join(outB, level, f))).equals(await readFile(join(outA, level, f))), `${level}/${f}`);
  }
});
