import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { EncryptionScheme } from '../../src/protect/model.js';
import { encryptedFragment } from '../../src/protect/protectFragment.js';
import { protectInitSegment } from '../../src/protect/protectInitSegment.js';
import { trackEncryptionFor } from '../../src/protect/trackEncryptionFor.js';
import { fixtures, requireTools } from '../e2e/helpers.js';
import { readFile } from 'node:fs/promises';
import { clearLevels, concat, framemd5, splitFragmented, TEST_KEY } from './helpers.js';

const inputs = [join(fixtures, 'clean', 'v250.ismv'), join(fixtures, 'clean', 'audio.isma')];

for (const scheme of ['cenc', 'cbcs'] as EncryptionScheme[]) {
  test(`ffmpeg decrypts ${scheme} video and audio (init + every fragment) to the frames of the clear package`, async (t) => {
    if (!requireTools(t, 'ffmpeg')) return;
    for (const level of await clearLevels(inputs)) {
      const enc = trackEncryptionFor({ kind: level.kind, sampleEntry: level.sampleEntry, scheme, key: TEST_KEY, label: level.label });
      const parts = [protectInitSegment(level.init, enc, [])];
      for (const [k, body] of level.bodies.entries()) parts.push(encryptedFragment(body, enc, k, { offset: 0 }));
      const clear = framemd5(concat([level.init, ...level.bodies]));
      assert.equal(clear.code, 0, clear.stderr);
      assert.ok(clear.lines.length > 10, `${level.label}: ${clear.lines.length} clear frames`);
      const decrypted = framemd5(concat(parts), TEST_KEY.key);
      assert.equal(decrypted.code, 0, decrypted.stderr);
      assert.deepEqual(decrypted.lines, clear.lines, `${level.label}: decrypted frames`);
      // Without the key (or with a wrong one) the frames differ: the test can fail.
      const wrong = framemd5(concat(parts), new Uint8Array(16));
      assert.notDeepEqual(wrong.lines, clear.lines, `${level.label}: a wrong key gives other frames`);
    }
  });
}


test('ffmpeg decrypts Smooth fragments as the source has them (tfxd, no tfdt) behind the source moov, cenc and cbcs', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  for (const file of [join(fixtures, 'clean', 'v120.ismv'), join(fixtures, 'clean', 'audio.isma')]) {
    const { init, entry, bodies } = splitFragmented(new Uint8Array(await readFile(file)));
    const clear = framemd5(concat([init, ...bodies]));
    assert.equal(clear.code, 0, clear.stderr);
    for (const scheme of ['cenc', 'cbcs'] as const) {
      const enc = trackEncryptionFor({ kind: file.endsWith('.isma') ? 'audio' : 'video', sampleEntry: entry, scheme, key: TEST_KEY, label: file });
      const parts = [protectInitSegment(init, enc, [])];
      for (const [k, body] of bodies.entries()) parts.push(encryptedFragment(body, enc, k, { offset: 0 }));
      const decrypted = framemd5(concat(parts), TEST_KEY.key);
      assert.equal(decrypted.code, 0, decrypted.stderr);
      assert.deepEqual(decrypted.lines, clear.lines, `${file} ${scheme}`);
    }
  }
});
