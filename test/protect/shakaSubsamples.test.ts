import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childBoxes, readBoxHeader, requireChild } from '../../src/bmff/box.js';
import { Cursor } from '../../src/bmff/cursor.js';
import { readSenc } from '../../src/bmff/senc.js';
import type { EncryptionScheme } from '../../src/protect/model.js';
import { protectFragment } from '../../src/protect/protectFragment.js';
import { trackEncryptionFor } from '../../src/protect/trackEncryptionFor.js';
import { requireShakaPackager } from '../harness/ci.js';
import { fixtures, run } from '../e2e/helpers.js';
import { clearLevels, hex, TEST_KEY } from './helpers.js';

type Layout = string[];

/** Every sample's subsamples in the `senc` of each fragment, in order, as "clear/protected ..." strings. */
function sencLayouts(segment: Uint8Array, ivSize: number): Layout {
  const out: Layout = [];
  const c = new Cursor(segment);
  while (c.remaining > 0) {
    const h = readBoxHeader(c, segment.length);
    const payload = c.sub(h.size - h.headerSize, h.type);
    if (h.type !== 'moof') continue;
    const traf = requireChild(payload, 'moof', 'traf');
    for (const b of childBoxes(traf.payload, 'traf')) {
      if (b.type !== 'senc') continue;
      for (const s of readSenc(b.payload, ivSize).samples) out.push((s.subsamples ?? []).map((x) => `${x.clear}/${x.protected}`).join(' '));
    }
  }
  return out;
}

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
      let first = 0n;
      for (const body of level!.bodies) {
        const p = protectFragment(body, enc, first, { offset: 0 });
        const e = p.encryption;
        let pair = 0;
        for (let i = 0; i < p.sampleCount; i++) {
          const subs: string[] = [];
          for (let k = 0; k < e.subsampleCounts![i]!; k++, pair++) subs.push(`${e.subsamples![2 * pair]}/${e.subsamples![2 * pair + 1]}`);
          ours.push(subs.join(' '));
        }
        first += BigInt(p.sampleCount);
      }
      assert.equal(ours.length, theirs.length, 'samples');
      assert.ok(ours.length > 100);
      assert.deepEqual(ours, theirs);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
