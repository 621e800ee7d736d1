import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { readBoxHeader, requireChild, type BoxHeader } from '../../src/bmff/box.js';
import { Cursor } from '../../src/bmff/cursor.js';
import { readMoov } from '../../src/fragments/readMoov.js';
import { readMoovBytes, type MoovBytes, type MoovReadLimits } from '../../src/fragments/readMoovBytes.js';
import { readProgressiveTracks } from '../../src/fragments/progressive/readProgressiveTracks.js';
import { openFileSource } from '../../src/source/fileSource.js';
import type { ByteSource } from '../../src/source/source.js';
import type { TrackIndex } from '../../src/fragments/types.js';
import { smoothpubError } from '../bmff/helpers.js';

const P = resolve('test/fixtures/progressive');
/** Small enough that the fixtures' moovs are walked and their tables left unread. */
const TINY: MoovReadLimits = { whole: 0, window: 256, largeTable: 64 };

async function moovHeader(src: ByteSource): Promise<BoxHeader> {
  for (let pos = 0; pos < src.size; ) {
    const h = readBoxHeader(new Cursor(await src.read(pos, 32), pos), src.size);
    if (h.type === 'moov') return h;
    pos += h.size;
  }
  throw new Error('no moov');
}

async function tracksOf(src: ByteSource, m: MoovBytes): Promise<TrackIndex[]> {
  const c = m.moov;
  const moov = readMoov(new Cursor(c.bytes, c.base, c.what, c.pos, c.end));
  return readProgressiveTracks(src.name, m, moov.tracks, src.size);
}

/** The same source without `readInto`, as a remote one is. */
function readOnly(src: ByteSource): ByteSource {
  return { name: src.name, size: src.size, read: (o, n) => src.read(o, n), close: () => src.close() };
}

test('a moov walked with its large tables left unread gives the same tracks as one read whole', async () => {
  for (const name of ['v300.mp4', 'ctts1.mp4', 'languages.mp4', 'vfr.mp4']) {
    const src = await openFileSource(`${P}/${name}`);
    try {
      const h = await moovHeader(src);
      const whole = await readMoovBytes(src, h);
      const sparse = await readMoovBytes(src, h, TINY);
      // The tables' payloads really were left out of the walked image...
      const differing = whole.moov.bytes.reduce((n, b, i) => n + (b !== sparse.moov.bytes[i] ? 1 : 0), 0);
      assert.ok(differing > 200, `${name}: only ${differing} bytes left unread`);
      // ...and each was read in when parsed: the sample tables come out the same.
      const expected = await tracksOf(src, whole);
      assert.deepEqual(await tracksOf(src, sparse), expected, name);
      assert.deepEqual(await tracksOf(src, await readMoovBytes(readOnly(src), h, TINY)), expected, `${name} without readInto`);
    } finally {
      await src.close();
    }
  }
});

test('an unread table the file no longer holds is a truncated box, at the offset where its bytes end', async () => {
  const src = await openFileSource(`${P}/v300.mp4`);
  try {
    const h = await moovHeader(src);
    // The first track's stsz, 40 bytes into its payload: the file will end there.
    let c = (await readMoovBytes(src, h)).moov;
    for (const [parent, type] of [['moov', 'trak'], ['trak', 'mdia'], ['mdia', 'minf'], ['minf', 'stbl']] as const) c = requireChild(c, parent, type).payload;
    const stsz = requireChild(c, 'stbl', 'stsz');
    const cut = stsz.offset + stsz.headerSize + 40;
    let end = Infinity;
    const shrinking: ByteSource = {
      name: src.name,
      size: src.size,
      read: async (o, n) => (await src.read(o, n)).subarray(0, Math.max(0, end - o)),
      close: () => src.close(),
    };
    const sparse = await readMoovBytes(shrinking, h, TINY);
    end = cut; // the file shrinks after the walk, before the table is read
    await assert.rejects(tracksOf(shrinking, sparse), smoothpubError('bmff.truncated-box', cut));
  } finally {
    await src.close();
  }
});
