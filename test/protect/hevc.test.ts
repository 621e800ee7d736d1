import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encryptedFragment, protectFragment } from '../../src/protect/protectFragment.js';
import { protectInitSegment } from '../../src/protect/protectInitSegment.js';
import { trackEncryptionFor } from '../../src/protect/trackEncryptionFor.js';
import { requireShakaPackager } from '../harness/ci.js';
import { requireTools, run } from '../e2e/helpers.js';
import { concat, framemd5, hex, type Layout, ourLayouts, sencLayouts, splitFragmented, TEST_KEY } from './helpers.js';

// x265's defaults (B-frames, weighted P prediction, SAO, wavefront entry points), then
// two slices a picture with weighted B prediction and a B pyramid.
const variants = ['', ':slices=2:weightb=1:bframes=3:b-pyramid=1'];

/** An fMP4 with data offsets from the moof, encrypted fragment by fragment (hevcPackage.test.ts packages the HEVC fixtures whole). */
async function encodeHevc(dir: string, variant: string): Promise<string> {
  const out = join(dir, `hevc${variants.indexOf(variant)}.mp4`);
  const params = `keyint=48:min-keyint=48:scenecut=0:log-level=error${variant}`;
  const r = await run('ffmpeg', ['-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=256x144:rate=24', '-t', '4', '-c:v', 'libx265', '-x265-params', params, '-tag:v', 'hvc1', '-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', out], 120);
  assert.equal(r.code, 0, r.stderr);
  return out;
}

test('HEVC (slice segment headers clear): ffmpeg decrypts cenc and cbcs to the clear frames, and the subsamples equal Shaka Packager\'s', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const packager = requireShakaPackager(t);
  if (packager === undefined) return;
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-hevc-'));
  try {
    for (const variant of variants) {
      const file = await encodeHevc(dir, variant);
      const { init, entry, bodies } = splitFragmented(new Uint8Array(await readFile(file)));
      assert.equal(entry.hvcC?.nalLengthSize, 4);
      const clear = framemd5(concat([init, ...bodies]));
      assert.equal(clear.code, 0, clear.stderr);
      assert.equal(clear.lines.length, 96);
      for (const scheme of ['cenc', 'cbcs'] as const) {
        const enc = trackEncryptionFor({ kind: 'video', sampleEntry: entry, scheme, key: TEST_KEY, label: 'hevc' });
        assert.equal(enc.video?.codec, 'hevc');
        const parts = [protectInitSegment(init, enc, [])];
        const ours: Layout = [];
        for (const [k, body] of bodies.entries()) {
          parts.push(encryptedFragment(body, enc, k, { offset: 0 }));
          ours.push(...ourLayouts(protectFragment(body, enc, k, { offset: 0 })));
        }
        const what = `x265${variant} ${scheme}`;
        const decrypted = framemd5(concat(parts), TEST_KEY.key);
        assert.equal(decrypted.code, 0, decrypted.stderr);
        assert.deepEqual(decrypted.lines, clear.lines, `${what}: decrypted frames`);
        assert.notDeepEqual(framemd5(concat(parts), new Uint8Array(16)).lines, clear.lines, `${what}: a wrong key gives other frames`);

        const out = join(dir, `shaka-${variants.indexOf(variant)}-${scheme}`);
        const r = await run(packager, [
          `in=${file},stream=video,init_segment=${join(out, 'init.mp4')},segment_template=${join(out, '$Number$.m4s')}`,
          '--enable_raw_key_encryption', '--keys', `label=:key_id=${hex(TEST_KEY.kid)}:key=${hex(TEST_KEY.key)}`,
          '--protection_scheme', scheme, '--clear_lead', '0', '--segment_duration', '2', '--mpd_output', join(out, 'manifest.mpd'),
        ], 120);
        assert.equal(r.code, 0, r.stderr);
        const theirs: Layout = [];
        for (const s of (await readdir(out)).filter((f) => f.endsWith('.m4s')).sort((a, b) => parseInt(a) - parseInt(b))) {
          theirs.push(...sencLayouts(new Uint8Array(await readFile(join(out, s))), scheme === 'cenc' ? 8 : 0));
        }
        assert.deepEqual(ours, theirs, `${what}: subsamples`);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
