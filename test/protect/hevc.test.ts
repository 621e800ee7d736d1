import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encryptedFragment, protectFragment } from '../../src/protect/protectFragment.js';
import { protectInitSegment } from '../../src/protect/protectInitSegment.js';
import { trackEncryptionFor } from '../../src/protect/trackEncryptionFor.js';
import { requireTools, run } from '../e2e/helpers.js';
import { concat, framemd5, splitFragmented, TEST_KEY } from './helpers.js';

test('HEVC (hvc1, NAL headers clear): ffmpeg decrypts cenc and cbcs to the clear frames', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-hevc-'));
  try {
    // smoothpub does not package HEVC yet; an fMP4 with data offsets from the moof stands in for its fragments.
    const out = join(dir, 'hevc.mp4');
    const r = await run('ffmpeg', ['-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=256x144:rate=24', '-t', '4', '-c:v', 'libx265', '-x265-params', 'keyint=48:min-keyint=48:scenecut=0:log-level=error', '-tag:v', 'hvc1', '-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', out], 120);
    assert.equal(r.code, 0, r.stderr);
    const { init, entry, bodies } = splitFragmented(new Uint8Array(await readFile(out)));
    assert.equal(entry.hvcC?.nalLengthSize, 4);
    const clear = framemd5(concat([init, ...bodies]));
    assert.equal(clear.code, 0, clear.stderr);
    assert.equal(clear.lines.length, 96);
    for (const scheme of ['cenc', 'cbcs'] as const) {
      const enc = trackEncryptionFor({ kind: 'video', sampleEntry: entry, scheme, key: TEST_KEY, label: 'hevc' });
      assert.equal(enc.video?.codec, 'hevc');
      const parts = [protectInitSegment(init, enc, [])];
      let first = 0n;
      for (const body of bodies) {
        parts.push(encryptedFragment(body, enc, first, { offset: 0 }));
        const p = protectFragment(body, enc, first, { offset: 0 });
        // Every VCL NAL unit keeps exactly its length prefix and 2-byte header clear (cbcs; cenc adds the partial block).
        if (scheme === 'cbcs') for (let k = 0; k < p.encryption.subsamples!.length; k += 2) if (p.encryption.subsamples![k + 1]! > 0) assert.ok(p.encryption.subsamples![k]! >= 6);
        first += BigInt(p.sampleCount);
      }
      const decrypted = framemd5(concat(parts), TEST_KEY.key);
      assert.equal(decrypted.code, 0, decrypted.stderr);
      assert.deepEqual(decrypted.lines, clear.lines, `${scheme}: decrypted frames`);
      assert.notDeepEqual(framemd5(concat(parts), new Uint8Array(16)).lines, clear.lines, `${scheme}: a wrong key gives other frames`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
