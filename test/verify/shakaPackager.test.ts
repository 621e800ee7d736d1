// verify over what another packager writes: Shaka Packager's DASH and HLS of the clean ladder
// ($Number$ segments) and of the users' files ($Time$; B-frames, AAC priming). Its segments
// start with a `styp` box, which DASH and HLS allow before the moof.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStaticServer } from '../../src/play/staticServer.js';
import { verifyPresentation } from '../../src/verify/verifyPresentation.js';
import { requireShakaPackager } from '../harness/ci.js';
import { runShakaPackager, type ShakaStream } from '../harness/shakaPackager.js';
import { fixtures } from './helpers.js';

const ladder = ['v400', 'v250', 'v120'];

for (const [name, set, template, audio] of [
  ['clean ladder, $Number$', 'clean', '$Number$', 'audio.isma'],
  ['users\' files (B-frames, AAC priming), $Time$', 'users', '$Time$', 'v400.ismv'],
] as const) {
  test(`Shaka Packager's DASH and HLS verify: ${name}`, async (t) => {
    const packager = requireShakaPackager(t);
    if (packager === undefined) return;
    const out = await mkdtemp(join(tmpdir(), 'smoothpub-verify-shaka-'));
    try {
      const streams: ShakaStream[] = [
        ...ladder.map((l): ShakaStream => ({ input: join(fixtures, set, `${l}.ismv`), stream: 'video', folder: l })),
        { input: join(fixtures, set, audio), stream: 'audio', folder: 'audio' },
      ];
      await runShakaPackager(packager, streams, out, { template, hlsMaster: 'master.m3u8' });
      const first = await readFile(join(out, 'v400', template === '$Time$' ? '0.m4s' : '1.m4s'));
      assert.equal(first.subarray(4, 8).toString('latin1'), 'styp', 'a styp before the moof, so that path is taken');
      const server = await startStaticServer({ root: out, mount: '/shaka/' });
      try {
        for (const [doc, format] of [
          ['manifest.mpd', 'dash'],
          ['master.m3u8', 'hls'],
        ] as const) {
          const r = await verifyPresentation(`${server.url}shaka/${doc}`);
          assert.deepEqual(r.problems, [], doc);
          assert.deepEqual(Object.keys(r.formats), [format]);
          assert.equal(r.initSegments, 4);
          // Shaka cuts audio on its own 2 s grid: a short last segment beside the 4 video ones.
          assert.ok(r.fragments >= 16, `${doc}: ${r.fragments} segments`);
        }
      } finally {
        await server.close();
      }
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
}
