// The plan step that protects a presentation, and what refuses protected fragments: sizes in
// the plan are the bytes written, sample ordinals run on across fragments (cenc IVs never
// repeat within a level), a missing key fails before anything is written, remux and sidecar
// indexes refuse protected fragments.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSmoothpubError } from '../../src/errors.js';
import { encodeSidecar } from '../../src/fragments/sidecarFormat.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { loadPresentation } from '../../src/plan/loadPresentation.js';
import type { PresentationProtection } from '../../src/plan/protectionSettings.js';
import { toProtectWhenWritten } from '../../src/plan/protectPresentation.js';
import { fragmentParts } from '../../src/fragments/fragmentParts.js';
import { remuxPresentation } from '../../src/remux/remuxPresentation.js';
import { fixtures } from '../e2e/helpers.js';

const ism = join(fixtures, 'clean', 'clean.ism');
const kid = Uint8Array.from({ length: 16 }, (_, i) => i);
const key = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 - i);
const protection: PresentationProtection = { signal: { scheme: 'cenc' }, keys: [{ key: { kid, key } }] };
const work = await mkdtemp(join(tmpdir(), 'smoothpub-protect-plan-'));
after(() => rm(work, { recursive: true, force: true }));

const hasCode = (code: string) => (e: unknown) => isSmoothpubError(e) && e.code === code;

test('every fragment is built protected, its size the bytes written, its IVs after the last fragment\'s', async () => {
  const loaded = await loadPresentation([ism], { protection, formats: ['smooth', 'dash', 'hls'] });
  assert.ok(loaded.protection, 'the presentation says it is protected');
  assert.equal(loaded.presentation.protection?.[0]?.systemId, '9a04f079-9840-4286-ab92-e65be0885f95', 'the Smooth Manifest gets the PlayReady header');
  for (const level of loaded.levels) {
    assert.ok(level.encryption, `${level.streamName} ${level.bitrate}: encrypted`);
    const ivs = new Set<string>();
    for (const f of level.track.fragments) {
      const enc = f.built?.encryption;
      assert.ok(enc, 'a protected fragment');
      assert.equal(f.size, f.built!.head().length + f.built!.runs().reduce((n, r) => n + r.size, 0), 'size = head + payload runs');
      for (let i = 0; i < enc.sampleSizes.length; i++) ivs.add(Buffer.from(enc.ivs.subarray(16 * i, 16 * i + 8)).toString('hex'));
    }
    const samples = level.track.fragments.reduce((n, f) => n + f.built!.encryption!.sampleSizes.length, 0);
    assert.equal(ivs.size, samples, `${level.streamName} ${level.bitrate}: one IV a sample, none repeated`);
  }
  const out = join(work, 'sizes.ism');
  await packagePresentation({ inputs: [ism], outDir: out, formats: ['smooth', 'dash', 'hls'], protection });
  const plan = buildPlan(loaded, { formats: ['smooth', 'dash', 'hls'] });
  for (const o of plan.objects) {
    const size = o.body.kind === 'bytes' ? o.body.data.length : o.body.size;
    assert.equal((await stat(join(out, o.key))).size, size, `${o.key}: the planned size is the size written`);
  }
});

test('a key for video only: protect.missing-key naming the audio level, nothing written', async () => {
  const out = join(work, 'missing.ism');
  await assert.rejects(
    packagePresentation({ inputs: [ism], outDir: out, protection: { signal: { scheme: 'cenc' }, keys: [{ key: { kid, key }, trackType: 'video' }] } }),
    (e: unknown) => hasCode('protect.missing-key')(e) && /audio/.test((e as Error).message),
  );
  assert.deepEqual((await readdir(work)).filter((n) => n.startsWith('missing')), []);
});

test('remux refuses protection, and a sidecar never takes a protected fragment', async () => {
  await assert.rejects(remuxPresentation({ inputs: [ism], output: join(work, 'remux'), protection }), hasCode('protect.unsupported'));
  const loaded = await loadPresentation([ism], { protection });
  const track = loaded.levels[0]!.track;
  const index = { file: track.file, size: 1, mtimeMs: 0, brand: 'isml', method: 'mfra' as const, tracks: [track] };
  assert.throws(() => encodeSidecar(index), hasCode('protect.unsupported'));
});

test('whenWritten: each encrypted level handed over once, its clear fragments to be protected where written; the levels take the fragments answered', async () => {
  const handed: string[] = [];
  const loaded = await loadPresentation([ism], {
    protection,
    formats: ['smooth', 'dash', 'hls'],
    protectWhenWritten: async (_b, level) => {
      handed.push(`${level.streamName} ${level.bitrate}`);
      assert.ok(level.encryption, 'handed over with its encryption');
      const fragments = toProtectWhenWritten(level);
      for (const [i, f] of fragments.entries()) {
        const later = f.built?.protectWhenWritten;
        assert.equal(later?.fragmentIndex, i, 'each its number in the level');
        assert.equal(later?.encryption, level.encryption);
        assert.deepEqual(later?.parts, fragmentParts(level.track.fragments[i]!), "each its clear body's parts");
        assert.throws(() => f.built!.head(), /asked for its head here/);
      }
      return { written: Promise.resolve(fragments.map((f, i) => ({ ...f, size: 1000 + i }))) };
    },
  });
  const kept = await loadPresentation([ism], { protection });
  assert.deepEqual(handed.sort(), kept.levels.filter((l) => l.encryption).map((l) => `${l.streamName} ${l.bitrate}`).sort(), 'every encrypted level, once');
  for (const level of loaded.levels.filter((l) => l.encryption)) {
    const sizes = level.track.fragments.map((_, i) => 1000 + i);
    assert.deepEqual(level.track.fragments.map((f) => f.size), sizes, 'the sizes answered');
    assert.deepEqual(level.media?.sizes, sizes, 'the sizes the MPD and playlists are made from');
  }
});
