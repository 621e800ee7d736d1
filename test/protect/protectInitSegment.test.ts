import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { childBoxes, readBoxHeader, requireChild } from '../../src/bmff/box.js';
import { Cursor } from '../../src/bmff/cursor.js';
import { readSinf } from '../../src/bmff/sinf.js';
import { readStsd } from '../../src/bmff/stsd.js';
import { box } from '../../src/bmff/writer.js';
import { protectInitSegment } from '../../src/protect/protectInitSegment.js';
import { trackEncryptionFor } from '../../src/protect/trackEncryptionFor.js';
import { fixtures } from '../e2e/helpers.js';
import { clearLevels, TEST_KEY } from './helpers.js';

function moovOf(init: Uint8Array): Cursor {
  const c = new Cursor(init);
  while (c.remaining > 0) {
    const h = readBoxHeader(c, init.length);
    const payload = c.sub(h.size - h.headerSize, h.type);
    if (h.type === 'moov') return payload;
  }
  throw new Error('no moov');
}

function stsdOf(init: Uint8Array): Cursor {
  let c = moovOf(init);
  for (const [parent, type] of [['moov', 'trak'], ['trak', 'mdia'], ['mdia', 'minf'], ['minf', 'stbl'], ['stbl', 'stsd']] as const) c = requireChild(c, parent, type).payload;
  return c;
}

for (const scheme of ['cenc', 'cbcs'] as const) {
  test(`protectInitSegment (${scheme}): encv/enca with sinf (frma, schm, tenc with the key's KID), sizes consistent, pssh at the end of the moov`, async () => {
    // ffmpeg's ISMV, and GStreamer's QuickTime entries (mp4a sound description version 1, a zero after the avc1 children).
    const levels = [...(await clearLevels([join(fixtures, 'clean', 'v120.ismv'), join(fixtures, 'clean', 'audio.isma')])), ...(await clearLevels([join(fixtures, 'othertools', 'qtmux.mov')]))];
    assert.equal(levels.length, 4);
    for (const level of levels) {
      const enc = trackEncryptionFor({ kind: level.kind, sampleEntry: level.sampleEntry, scheme, key: TEST_KEY, label: level.label });
      const pssh = box('pssh', new Uint8Array(28).fill(1));
      const out = protectInitSegment(level.init, enc, [pssh]);
      assert.equal(out.length, level.init.length + pssh.length + 8 + 12 + 20 + 8 + (scheme === 'cenc' ? 32 : 49), `${level.label}: grows by sinf and pssh only`);
      const clearStsd = readStsd(stsdOf(level.init));
      const stsd = readStsd(stsdOf(out));
      const entry = stsd.entries[0]!;
      const original = clearStsd.entries[0]!;
      assert.equal(entry.format, level.kind === 'video' ? 'encv' : 'enca');
      assert.equal(entry.originalFormat, original.format);
      // Everything the clear entry said is still read the same.
      assert.deepEqual({ ...entry, format: original.format, originalFormat: undefined }, { ...original, originalFormat: undefined });
      const s = stsdOf(out);
      const at = Buffer.from(s.bytes.subarray(s.pos, s.end)).indexOf('sinf') - 4;
      const sinfC = new Cursor(s.bytes, 0, 'sinf', s.pos + at);
      const sinfH = readBoxHeader(sinfC, s.end);
      const sinf = readSinf(sinfC.sub(sinfH.size - sinfH.headerSize, 'sinf'));
      assert.equal(sinf.originalFormat, original.format);
      assert.deepEqual(sinf.schm, { type: 'schm', flags: 0, schemeType: scheme, schemeVersion: 0x00010000 });
      assert.deepEqual(sinf.tenc!.defaultKid, TEST_KEY.kid, 'tenc KID is the key\'s');
      assert.equal(sinf.tenc!.defaultPerSampleIvSize, scheme === 'cenc' ? 8 : 0);
      if (scheme === 'cbcs') {
        assert.deepEqual(sinf.tenc!.defaultConstantIv, enc.constantIv);
        assert.deepEqual([sinf.tenc!.defaultCryptByteBlock, sinf.tenc!.defaultSkipByteBlock], level.kind === 'video' ? [1, 9] : [0, 0]);
      }
      const moovKids = [...childBoxes(moovOf(out), 'moov')];
      assert.equal(moovKids.at(-1)!.type, 'pssh');
    }
  });
}

test('protectInitSegment refuses a track that is encrypted already', async () => {
  const [level] = await clearLevels([join(fixtures, 'clean', 'v120.ismv')]);
  const enc = trackEncryptionFor({ kind: 'video', sampleEntry: level!.sampleEntry, scheme: 'cenc', key: TEST_KEY, label: 'v' });
  const once = protectInitSegment(level!.init, enc, []);
  assert.throws(() => protectInitSegment(once, enc, []), (e: unknown) => (e as { code?: string }).code === 'input.unsupported');
});
