import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { indexFile } from '../../src/fragments/indexFile.js';
import { decodeSidecar, encodeSidecar } from '../../src/fragments/sidecarFormat.js';
import { requireTools, run } from '../e2e/helpers.js';

test('a sidecar keeps an HEVC track\'s hvcC (NAL length size, parameter sets): encryption needs them', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-sidecar-hevc-'));
  try {
    const file = join(dir, 'hevc.mp4');
    const r = await run('ffmpeg', ['-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=24', '-t', '2', '-c:v', 'libx265', '-x265-params', 'keyint=24:log-level=error', '-tag:v', 'hvc1', '-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', file], 120);
    assert.equal(r.code, 0, r.stderr);
    const index = await indexFile(file);
    const hvcC = index.tracks[0]!.sampleEntry.hvcC;
    assert.ok(hvcC, 'the index has the hvcC');
    assert.ok(hvcC.parameterSets.length >= 3, 'VPS, SPS, PPS (x265 adds an SEI)');
    const back = decodeSidecar(encodeSidecar(index), { file: index.file, size: index.size, mtimeMs: index.mtimeMs });
    assert.ok(back);
    assert.deepEqual(back.tracks[0]!.sampleEntry.hvcC, hvcC);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
