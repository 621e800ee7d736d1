// The one-call native protection (native/cenc.c protectFragment, what package's writer
// threads use) against the JavaScript path (protectFragment's head, then encryptPayload):
// the same head and the same encrypted payload on every fragment of the fixtures, video
// and audio, cenc and cbcs; where the native path declines (HEVC, a damaged fragment) it
// changes nothing, and protectInPlace then gives the JavaScript path's bytes or its error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { encryptPayload } from '../../src/protect/encryptPayload.js';
import type { EncryptionScheme, TrackEncryption } from '../../src/protect/model.js';
import { nativeProtectInPlace, protectFragment, protectInPlace } from '../../src/protect/protectFragment.js';
import { trackEncryptionFor } from '../../src/protect/trackEncryptionFor.js';
import { isSmoothpubError } from '../../src/errors.js';
import { fixtures } from '../e2e/helpers.js';
import { requireAddon } from '../harness/ci.js';
import { mulberry32 } from '../harness/mulberry32.js';
import { clearLevels, hex, TEST_KEY, type ClearLevel } from './helpers.js';

const INPUTS = [
  [join(fixtures, 'clean', 'clean.ism')],
  [join(fixtures, 'opengop', 'v100.ismv'), join(fixtures, 'opengop', 'v200.ismv')],
  [join(fixtures, 'othertools', 'avc3-avcc.mp4')],
  [join(fixtures, 'progressive', 'v100.mp4')],
];
const SCHEMES: EncryptionScheme[] = ['cenc', 'cbcs'];

async function levels(): Promise<ClearLevel[]> {
  return (await Promise.all(INPUTS.map((inputs) => clearLevels(inputs)))).flat().filter((l) => l.kind !== 'text');
}

function encFor(level: ClearLevel, scheme: EncryptionScheme): TrackEncryption {
  return trackEncryptionFor({ kind: level.kind, sampleEntry: level.sampleEntry, scheme, key: TEST_KEY, label: level.label });
}

/** The JavaScript path's protected fragment: its head and its encrypted payload. */
function jsProtected(body: Uint8Array, enc: TrackEncryption, index: number): { head: string; payload: string } {
  const copy = body.slice();
  const p = protectFragment(copy, enc, index, { offset: 0 });
  encryptPayload(copy.subarray(p.payloadStart), p.encryption);
  return { head: hex(p.head), payload: hex(copy.subarray(p.payloadStart)) };
}

test('native protection gives the JavaScript path\'s head and payload on every fixture fragment, cenc and cbcs', async (t) => {
  if (!requireAddon(t, 'cenc')) return;
  let native = 0;
  let declined = 0;
  for (const level of await levels()) {
    for (const scheme of SCHEMES) {
      const enc = encFor(level, scheme);
      for (const [index, body] of level.bodies.entries()) {
        const expected = jsProtected(body, enc, index);
        const copy = body.slice();
        const got = nativeProtectInPlace(copy, enc, index);
        if (got === undefined) {
          declined++;
          assert.equal(hex(copy), hex(body), `${level.label} ${scheme} #${index}: declined, nothing changed`);
        } else {
          native++;
          assert.equal(hex(got.head), expected.head, `${level.label} ${scheme} #${index}: the same head`);
          assert.equal(hex(copy.subarray(got.payloadStart)), expected.payload, `${level.label} ${scheme} #${index}: the same encrypted payload`);
        }
        const viaEither = body.slice();
        const p = protectInPlace(viaEither, enc, index, { offset: 0 });
        assert.deepEqual({ head: hex(p.head), payload: hex(viaEither.subarray(p.payloadStart)) }, expected, `${level.label} ${scheme} #${index}: protectInPlace`);
      }
    }
  }
  // avc3 with parameter sets in its samples is the JavaScript path's; everything else is native.
  assert.ok(native >= 50, `${native} fragments protected natively (${declined} declined)`);
  assert.ok(declined > 0 && declined < native, `${declined} declined (in-band parameter sets)`);
});

test('a damaged fragment: the native path declines and changes nothing; protectInPlace gives the JavaScript path\'s bytes or its typed error', async (t) => {
  if (!requireAddon(t, 'cenc')) return;
  const random = mulberry32(14);
  const all = await levels();
  let tried = 0;
  for (let round = 0; round < 400; round++) {
    const level = all[Math.floor(random() * all.length)]!;
    const index = Math.floor(random() * level.bodies.length);
    const body = level.bodies[index]!.slice();
    // A few bytes of the moof or the first samples changed: box sizes, flags, counts, NAL lengths and slice headers.
    for (let k = 0; k < 1 + Math.floor(random() * 3); k++) body[Math.floor(random() * Math.min(body.length, 1200))] = Math.floor(random() * 256);
    const enc = encFor(level, SCHEMES[round % 2]!);
    let expected: { head: string; payload: string } | Error;
    try {
      expected = jsProtected(body, enc, index);
    } catch (e) {
      expected = e as Error;
    }
    const copy = body.slice();
    const got = nativeProtectInPlace(copy, enc, index);
    if (expected instanceof Error) {
      assert.ok(isSmoothpubError(expected), `round ${round}: the JavaScript path's failure is a typed error (${expected.message})`);
      assert.equal(got, undefined, `round ${round}: the native path declines what the JavaScript path refuses (${expected.message})`);
      assert.equal(hex(copy), hex(body), `round ${round}: declined, nothing changed`);
      assert.throws(() => protectInPlace(body.slice(), enc, index, { offset: 0 }), (e: unknown) => isSmoothpubError(e) && e.message === expected.message);
      tried++;
      continue;
    }
    if (got === undefined) assert.equal(hex(copy), hex(body), `round ${round}: declined, nothing changed`);
    else assert.deepEqual({ head: hex(got.head), payload: hex(copy.subarray(got.payloadStart)) }, expected, `round ${round}: the same bytes`);
  }
  assert.ok(tried > 20, `${tried} damaged fragments refused`);
});
