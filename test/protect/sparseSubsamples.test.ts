// serve --key's protected fragment sizes come from a few bytes of each sample
// (sparseVideoSubsamples: each NAL unit's length, header and slice header), not from the
// payload: on every fragment of the H.264 and HEVC fixtures (in-band parameter sets, open
// GOP, plain MP4), cenc and cbcs, the layout equals the one made from the whole body, and
// so does the protected head built from the fragment's head alone; with a window too
// small for any slice header, it reads on until it has them; a damaged sample is the same
// typed error as from the whole body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ErrorCode, SmoothpubError } from '../../src/errors.js';
import { coalesce } from '../../src/origin/servedFragment.js';
import { readFragmentSamples } from '../../src/protect/fragmentSamples.js';
import type { EncryptionScheme, TrackEncryption } from '../../src/protect/model.js';
import { protectFragment } from '../../src/protect/protectFragment.js';
import { NAL_WINDOW, SparseBytes, sparseVideoSubsamples } from '../../src/protect/sparseSubsamples.js';
import { trackEncryptionFor } from '../../src/protect/trackEncryptionFor.js';
import { videoSubsamples, type VideoSubsamples } from '../../src/protect/videoSubsamples.js';
import { fixtures } from '../e2e/helpers.js';
import { clearLevels, TEST_KEY } from './helpers.js';

const INPUTS = [
  [join(fixtures, 'clean', 'clean.ism')],
  [join(fixtures, 'opengop', 'v100.ismv'), join(fixtures, 'opengop', 'v200.ismv')],
  [join(fixtures, 'othertools', 'avc3-avcc.mp4')],
  [join(fixtures, 'progressive', 'v100.mp4')],
  [join(fixtures, 'hevc', 'v200.ismv'), join(fixtures, 'hevc', 'v100.ismv')],
];

/** The sparse layout of a fragment, reading from `body` what it asks for; the layout, the bytes read and the rounds. */
function sparseLayout(body: Uint8Array, enc: TrackEncryption, fragment: number, window: number): { laid: VideoSubsamples; read: number; rounds: number } {
  const samples = readFragmentSamples(body, { offset: 0 });
  const bytes = new SparseBytes();
  let read = 0;
  for (let rounds = 1; ; rounds++) {
    const laid = sparseVideoSubsamples(bytes, samples.start, samples.sizes, enc.video!, enc.scheme, { offset: 0, fragment }, window);
    if (laid.need === undefined) return { laid: laid.subsamples, read, rounds };
    assert.ok(rounds < 1000, 'the layout ends');
    for (const r of coalesce(laid.need, 512)) {
      assert.ok(r.at >= samples.start && r.at + r.length <= body.length, `a range inside the samples: ${r.at}+${r.length}`);
      bytes.add(r.at, body.slice(r.at, r.at + r.length));
      read += r.length;
    }
  }
}

test('sparse layout: the same subsamples and protected head as from the whole body on every fixture fragment, reading a fraction of it', async () => {
  let fragments = 0;
  let hevc = 0;
  let read = 0;
  let payload = 0;
  for (const inputs of INPUTS) {
    for (const level of await clearLevels(inputs)) {
      if (level.kind !== 'video') continue;
      for (const scheme of ['cenc', 'cbcs'] as EncryptionScheme[]) {
        const enc = trackEncryptionFor({ kind: 'video', sampleEntry: level.sampleEntry, scheme, key: TEST_KEY, label: level.label });
        for (const [k, body] of level.bodies.entries()) {
          const what = `${level.label} fragment ${k} (${scheme})`;
          const samples = readFragmentSamples(body, { offset: 0 });
          const whole = videoSubsamples(body, samples.start, Uint32Array.from(samples.sizes), enc.video!, scheme, { offset: 0, fragment: k });
          const expected = { subsamples: whole.subsamples.slice(), counts: whole.counts.slice() };
          for (const window of [NAL_WINDOW, 3]) {
            const sparse = sparseLayout(body, enc, k, window);
            assert.deepEqual(sparse.laid, expected, `${what}, window ${window}`);
            if (window === NAL_WINDOW) {
              read += sparse.read;
              payload += body.length - samples.mdatPayload;
              const full = protectFragment(body, enc, k, { offset: 0 });
              const fromHead = protectFragment(body.slice(0, samples.mdatPayload), enc, k, { offset: 0 }, { bodyLength: body.length, subsamples: sparse.laid });
              assert.deepEqual(fromHead.head, full.head, `${what}: the protected head`);
              assert.equal(fromHead.payloadStart, full.payloadStart);
            }
          }
          fragments++;
          if (enc.video!.codec === 'hevc') hevc++;
        }
      }
    }
  }
  assert.ok(fragments >= 50 && hevc > 4, `${fragments} fragments, ${hevc} HEVC`);
  // The fixtures' samples are small (a few hundred bytes to a few KiB): a real ladder's read far less.
  assert.ok(read < payload / 2, `${read} of ${payload} payload bytes read`);
});

test('sparse layout: a damaged NAL length is the typed error the whole body gives, naming the sample', async () => {
  const [level] = (await clearLevels([join(fixtures, 'clean', 'clean.ism')])).filter((l) => l.kind === 'video');
  const enc = trackEncryptionFor({ kind: 'video', sampleEntry: level!.sampleEntry, scheme: 'cenc', key: TEST_KEY, label: level!.label });
  const body = level!.bodies[1]!.slice();
  const samples = readFragmentSamples(body, { offset: 0 });
  // The third sample's first NAL unit claims more bytes than the sample has.
  const third = samples.start + samples.sizes[0]! + samples.sizes[1]!;
  body.set([0x7f, 0xff, 0xff, 0xff], third);
  const expected = (() => {
    try {
      videoSubsamples(body, samples.start, Uint32Array.from(samples.sizes), enc.video!, 'cenc', { file: 'in.ismv', offset: 1000, fragment: 1 });
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(expected instanceof SmoothpubError && expected.code === ErrorCode.ENCRYPT_BAD_SAMPLE, String(expected));
  const bytes = new SparseBytes();
  const sparse = (): unknown => {
    for (;;) {
      const laid = sparseVideoSubsamples(bytes, samples.start, samples.sizes, enc.video!, 'cenc', { file: 'in.ismv', offset: 1000, fragment: 1 });
      if (laid.need === undefined) return laid;
      for (const r of laid.need) bytes.add(r.at, body.slice(r.at, r.at + r.length));
    }
  };
  assert.throws(sparse, (e: unknown) => e instanceof SmoothpubError && e.code === expected.code && e.message === expected.message && e.context.offset === expected.context.offset);
});
