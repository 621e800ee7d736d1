import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { childBoxes, readBoxHeader, requireChild } from '../../src/bmff/box.js';
import { Cursor } from '../../src/bmff/cursor.js';
import { readSaio } from '../../src/bmff/saio.js';
import { readSaiz } from '../../src/bmff/saiz.js';
import { readSenc } from '../../src/bmff/senc.js';
import { readTrun } from '../../src/bmff/trun.js';
import { SmoothpubError } from '../../src/errors.js';
import { decryptPayload } from '../../src/protect/encryptPayload.js';
import type { EncryptionScheme } from '../../src/protect/model.js';
import { encryptedFragment, protectFragment } from '../../src/protect/protectFragment.js';
import { trackEncryptionFor } from '../../src/protect/trackEncryptionFor.js';
import { fixtures, fixtureSets } from '../e2e/helpers.js';
import { clearLevels, TEST_KEY } from './helpers.js';

const inputs = [join(fixtures, 'clean', 'v250.ismv'), join(fixtures, 'clean', 'audio.isma')];

for (const scheme of ['cenc', 'cbcs'] as EncryptionScheme[]) {
  test(`protectFragment (${scheme}): senc/saiz/saio describe every sample, data offsets still find them, decryption gives the clear payload back`, async () => {
    for (const level of await clearLevels(inputs)) {
      const enc = trackEncryptionFor({ kind: level.kind, sampleEntry: level.sampleEntry, scheme, key: TEST_KEY, label: level.label });
      const ivs = new Set<string>();
      for (const [fi, body] of level.bodies.entries()) {
        const p = protectFragment(body, enc, fi, { offset: 1000 });
        const out = encryptedFragment(body, enc, fi, { offset: 1000 });
        const what = `${level.label} fragment ${fi}`;
        assert.equal(out.length, p.head.length + body.length - p.payloadStart, `${what}: head + payload`);
        assert.notDeepEqual(out.subarray(p.head.length), body.subarray(p.payloadStart), `${what}: payload encrypted`);
        // The mdat header is carried over unchanged.
        assert.deepEqual(p.head.subarray(p.head.length - 8), body.subarray(p.payloadStart - 8, p.payloadStart));

        const c = new Cursor(out);
        const moofH = readBoxHeader(c, out.length);
        assert.equal(moofH.type, 'moof');
        const traf = requireChild(c.sub(moofH.size - moofH.headerSize, 'moof'), 'moof', 'traf');
        const kids = [...childBoxes(traf.payload, 'traf')];
        const trun = readTrun(kids.find((b) => b.type === 'trun')!.payload);
        const saizBox = kids.find((b) => b.type === 'saiz');
        const saioBox = kids.find((b) => b.type === 'saio');
        const emptyEntries = scheme === 'cbcs' && level.kind === 'audio';
        assert.equal(saizBox === undefined && saioBox === undefined, emptyEntries, `${what}: saiz and saio unless the entries are empty (cbcs audio)`);
        const saiz = saizBox === undefined ? { sampleCount: trun.sampleCount, defaultSampleInfoSize: 0, sampleSizes: [] as number[] } : readSaiz(saizBox.payload);
        const sencBox = kids.find((b) => b.type === 'senc')!;
        const senc = readSenc(sencBox.payload, scheme === 'cenc' ? 8 : 0);
        assert.equal(kids.some((b) => b.type === 'uuid' && b.uuid === 'a2394f525a9b4f14a2446c427c648df4'), scheme === 'cenc', `${what}: PIFF box for cenc only`);
        assert.equal(senc.samples.length, trun.sampleCount);
        assert.equal(saiz.sampleCount, trun.sampleCount);
        if (saioBox !== undefined) assert.deepEqual(readSaio(saioBox.payload).offsets, [sencBox.offset + sencBox.headerSize + 8], `${what}: saio points at the first senc entry`);
        // The data offset still points at the first sample: the payload start in the new fragment.
        assert.equal(trun.dataOffset, p.head.length + p.encryption.start, `${what}: data offset`);
        for (const [i, s] of senc.samples.entries()) {
          const size = trun.samples[i]!.size!;
          const info = s.iv.length + (s.subsamples === undefined ? 0 : 2 + 6 * s.subsamples.length);
          assert.equal(saiz.defaultSampleInfoSize || (saiz.sampleSizes[i] ?? 0), info, `${what} sample ${i}: saiz`);
          if (level.kind === 'video') {
            const sum = s.subsamples!.reduce((t, x) => t + x.clear + x.protected, 0);
            assert.equal(sum, size, `${what} sample ${i}: subsamples add up to the sample size`);
            for (const x of s.subsamples!) if (scheme === 'cenc') assert.equal(x.protected % 16, 0, `${what} sample ${i}: cenc protected ranges are whole blocks`);
          } else {
            assert.equal(s.subsamples, undefined, 'audio is whole-sample');
          }
          if (scheme === 'cenc') {
            const key = Buffer.from(s.iv).toString('hex');
            assert.ok(!ivs.has(key), `${what} sample ${i}: IV ${key} used before`);
            ivs.add(key);
          } else {
            assert.equal(s.iv.length, 0, 'cbcs: constant IV');
          }
        }
        const payload = out.slice(p.head.length);
        decryptPayload(payload, p.encryption);
        assert.deepEqual(payload, body.subarray(p.payloadStart), `${what}: decrypts to the clear payload`);
      }
    }
  });
}

test('protectFragment gives the same bytes on every run (package and serve agree)', async () => {
  const [level] = await clearLevels(inputs);
  const a = encryptedFragment(level!.bodies[1]!, trackEncryptionFor({ kind: 'video', sampleEntry: level!.sampleEntry, scheme: 'cenc', key: TEST_KEY, label: 'video_250000' }), 1, { offset: 0 });
  const b = encryptedFragment(level!.bodies[1]!, trackEncryptionFor({ kind: 'video', sampleEntry: level!.sampleEntry, scheme: 'cenc', key: TEST_KEY, label: 'video_250000' }), 1, { offset: 0 });
  assert.deepEqual(a, b);
  const other = encryptedFragment(level!.bodies[1]!, trackEncryptionFor({ kind: 'video', sampleEntry: level!.sampleEntry, scheme: 'cenc', key: TEST_KEY, label: 'video_400000' }), 1, { offset: 0 });
  assert.notDeepEqual(a, other, 'another label, other IVs');
  const later = encryptedFragment(level!.bodies[1]!, trackEncryptionFor({ kind: 'video', sampleEntry: level!.sampleEntry, scheme: 'cenc', key: TEST_KEY, label: 'video_250000' }), 2, { offset: 0 });
  assert.notDeepEqual(a, later, 'another fragment number, other IVs');
});


test('cenc IVs are unique across every track sharing a key (each track its own 64-bit base)', async () => {
  const seen = new Map<string, string>();
  for (const level of await clearLevels(fixtureSets.clean.inputs)) {
    const enc = trackEncryptionFor({ kind: level.kind, sampleEntry: level.sampleEntry, scheme: 'cenc', key: TEST_KEY, label: level.label });
    for (const [k, body] of level.bodies.entries()) {
      const p = protectFragment(body, enc, k, { offset: 0 });
      for (let i = 0; i < p.sampleCount; i++) {
        const iv = Buffer.from(p.encryption.ivs.subarray(16 * i, 16 * i + 8)).toString('hex');
        assert.equal(seen.get(iv), undefined, `${level.label} fragment ${k} sample ${i}: IV ${iv} already used by ${seen.get(iv)}`);
        seen.set(iv, `${level.label} fragment ${k} sample ${i}`);
      }
    }
  }
  assert.ok(seen.size > 500, `${seen.size} IVs`);
});

test('a sample whose NAL units do not add up is a typed error naming the file, the sample and its offset', async () => {
  const [level] = await clearLevels([inputs[0]!]);
  const enc = trackEncryptionFor({ kind: 'video', sampleEntry: level!.sampleEntry, scheme: 'cenc', key: TEST_KEY, label: 'v' });
  const body = level!.bodies[1]!.slice();
  const clean = protectFragment(body, enc, 1, { file: 'in.ismv', offset: 5000 });
  const second = clean.payloadStart + clean.encryption.start + clean.encryption.sampleSizes[0]!;
  new DataView(body.buffer).setUint32(second, 0x7fffffff); // the first NAL length of the fragment's sample 1
  assert.throws(() => protectFragment(body, enc, 1, { file: 'in.ismv', offset: 5000 }), (e: unknown) => {
    assert.ok(e instanceof SmoothpubError);
    assert.equal(e.code, 'encrypt.bad-sample');
    assert.equal(e.context.file, 'in.ismv');
    assert.equal(e.context.offset, 5000 + second);
    assert.match(e.message, /sample 1 of fragment 1:/);
    return true;
  });
});
