import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBoxHeader } from '../../src/bmff/box.js';
import { Cursor } from '../../src/bmff/cursor.js';
import type { EncryptionScheme } from '../../src/protect/model.js';
import { encryptPayload } from '../../src/protect/encryptPayload.js';
import { protectFragment } from '../../src/protect/protectFragment.js';
import { trackEncryptionFor } from '../../src/protect/trackEncryptionFor.js';
import { requireShakaPackager } from '../harness/ci.js';
import { fixtures, run } from '../e2e/helpers.js';
import { clearLevels, hex, type Layout, ourLayouts, sencLayouts, TEST_KEY } from './helpers.js';

// x264 without B-frames; x264 defaults (B-frames, weighted prediction, CABAC); open GOP.
const inputs = [join(fixtures, 'clean', 'v250.ismv'), join(fixtures, 'users', 'v400.ismv'), join(fixtures, 'opengop', 'v100.ismv')];

for (const [scheme, input] of (['cbcs', 'cenc'] as EncryptionScheme[]).flatMap((s) => inputs.map((i) => [s, i] as const))) {
  test(`${scheme} subsamples equal Shaka Packager's for the same H.264 samples (${input.slice(fixtures.length + 1)}): the same NAL and slice header bytes stay clear`, async (t) => {
    const packager = requireShakaPackager(t);
    if (packager === undefined) return;
    const dir = await mkdtemp(join(tmpdir(), 'smoothpub-shaka-subsamples-'));
    try {
      const r = await run(packager, [
        `in=${input},stream=video,init_segment=${join(dir, 'init.mp4')},segment_template=${join(dir, '$Number$.m4s')}`,
        '--enable_raw_key_encryption', '--keys', `label=:key_id=${hex(TEST_KEY.kid)}:key=${hex(TEST_KEY.key)}`,
        '--protection_scheme', scheme, '--clear_lead', '0', '--segment_duration', '2', '--mpd_output', join(dir, 'manifest.mpd'),
      ], 120);
      assert.equal(r.code, 0, r.stderr);
      const segments = (await readdir(dir)).filter((f) => f.endsWith('.m4s')).sort((a, b) => parseInt(a) - parseInt(b));
      const theirs: Layout = [];
      for (const s of segments) theirs.push(...sencLayouts(new Uint8Array(await readFile(join(dir, s))), scheme === 'cenc' ? 8 : 0));

      const level = (await clearLevels([input])).find((l) => l.kind === 'video');
      const enc = trackEncryptionFor({ kind: 'video', sampleEntry: level!.sampleEntry, scheme, key: TEST_KEY, label: level!.label });
      const ours: Layout = [];
      for (const [k, body] of level!.bodies.entries()) ours.push(...ourLayouts(protectFragment(body, enc, k, { offset: 0 })));
      assert.equal(ours.length, theirs.length, 'samples');
      assert.ok(ours.length > 100);
      assert.deepEqual(ours, theirs);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

/** The `mdat` payloads of a segment file, concatenated. */
function mdatBytes(segment: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const c = new Cursor(segment);
  while (c.remaining > 0) {
    const h = readBoxHeader(c, segment.length);
    const payload = c.sub(h.size - h.headerSize, h.type);
    if (h.type === 'mdat') out.push(segment.subarray(payload.pos, payload.end));
  }
  return out;
}

for (const scheme of ['cenc', 'cbcs'] as EncryptionScheme[]) {
  test(`${scheme}: given smoothpub's IVs, Shaka Packager encrypts the same samples to the same bytes (video and audio)`, async (t) => {
    const packager = requireShakaPackager(t);
    if (packager === undefined) return;
    const inputs = [join(fixtures, 'clean', 'v250.ismv'), join(fixtures, 'clean', 'audio.isma')];
    for (const level of await clearLevels(inputs)) {
      const enc = trackEncryptionFor({ kind: level.kind, sampleEntry: level.sampleEntry, scheme, key: TEST_KEY, label: level.label });
      const iv = scheme === 'cenc' ? hex(new Uint8Array(new BigUint64Array([enc.ivBase]).buffer).reverse()) : hex(enc.constantIv!);
      const dir = await mkdtemp(join(tmpdir(), 'smoothpub-shaka-bytes-'));
      try {
        const input = inputs[level.kind === 'video' ? 0 : 1]!;
        const r = await run(packager, [
          `in=${input},stream=${level.kind},init_segment=${join(dir, 'init.mp4')},segment_template=${join(dir, '$Number$.m4s')}`,
          '--enable_raw_key_encryption', '--keys', `label=:key_id=${hex(TEST_KEY.kid)}:key=${hex(TEST_KEY.key)}:iv=${iv}`,
          '--protection_scheme', scheme, '--clear_lead', '0', '--segment_duration', '2', '--mpd_output', join(dir, 'manifest.mpd'),
        ], 120);
        assert.equal(r.code, 0, r.stderr);
        const segments = (await readdir(dir)).filter((f) => f.endsWith('.m4s')).sort((a, b) => parseInt(a) - parseInt(b));
        const theirs: Uint8Array[] = [];
        for (const s of segments) theirs.push(...mdatBytes(new Uint8Array(await readFile(join(dir, s)))));
        const ours: Uint8Array[] = [];
        let first = 0n;
        for (const [k, body] of level.bodies.entries()) {
          // Shaka Packager counts IVs on from sample to sample: the same IVs for fragment k
          // (smoothpub's are ivBase + k * 2^32 + i) from a base moved to match.
          const p = protectFragment(body, { ...enc, ivBase: BigInt.asUintN(64, enc.ivBase + first - (BigInt(k) << 32n)) }, k, { offset: 0 });
          const payload = body.slice(p.payloadStart);
          encryptPayload(payload, p.encryption);
          const total = p.encryption.sampleSizes.reduce((a, b) => a + b, 0);
          ours.push(payload.subarray(p.encryption.start, p.encryption.start + total));
          first += BigInt(p.sampleCount);
        }
        const a = Buffer.concat(ours);
        const b = Buffer.concat(theirs);
        assert.equal(a.length, b.length, `${level.label}: sample bytes`);
        assert.ok(a.equals(b), `${level.label}: ${scheme} encrypted samples differ from Shaka Packager's`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  });
}
