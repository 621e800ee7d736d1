// The native layout of H.264 samples (native/cenc.c avcSubsamples) against the JavaScript
// one (addVideoSubsamples with avcSliceHeaderSize): the same subsample pairs on every
// fragment of the fixtures, on fragments with their slice headers and NAL lengths
// randomly damaged, and with random SPS/PPS fields; where the native layout declines, the
// JavaScript one either fails too or finds a parameter set inside the sample.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { avcSliceHeaderSize, type AvcParameterSets, type AvcPps, type AvcSps } from '../../src/protect/avcSliceHeader.js';
import type { EncryptionScheme, TrackEncryption } from '../../src/protect/model.js';
import { protectFragment } from '../../src/protect/protectFragment.js';
import { avcSetTables } from '../../src/protect/sliceHeaderSize.js';
import { addVideoSubsamples } from '../../src/protect/subsamples.js';
import { trackEncryptionFor } from '../../src/protect/trackEncryptionFor.js';
import { jsVideoSubsamples, nativeAvcSubsamplesWith, nativeVideoSubsamples } from '../../src/protect/videoSubsamples.js';
import { ErrorCode, SmoothpubError } from '../../src/errors.js';
import { fixtures } from '../e2e/helpers.js';
import { requireAddon } from '../harness/ci.js';
import { mulberry32 } from '../harness/mulberry32.js';
import { withNative } from '../harness/native.js';
import { clearLevels, TEST_KEY, type ClearLevel } from './helpers.js';

const AVC_INPUTS = [
  [join(fixtures, 'clean', 'clean.ism')],
  [join(fixtures, 'opengop', 'v100.ismv'), join(fixtures, 'opengop', 'v200.ismv')],
  [join(fixtures, 'othertools', 'avc3-avcc.mp4')],
  [join(fixtures, 'progressive', 'v100.mp4')],
];

interface Samples {
  body: Uint8Array;
  start: number;
  sizes: Uint32Array;
}

async function avcLevels(): Promise<{ level: ClearLevel; enc: (scheme: EncryptionScheme) => TrackEncryption }[]> {
  const out = [];
  for (const inputs of AVC_INPUTS) {
    for (const level of await clearLevels(inputs)) {
      if (level.kind !== 'video') continue;
      out.push({ level, enc: (scheme: EncryptionScheme) => trackEncryptionFor({ kind: 'video', sampleEntry: level.sampleEntry, scheme, key: TEST_KEY, label: level.label }) });
    }
  }
  return out;
}

/** Where a fragment's samples are, from its protected layout. */
function samplesOf(body: Uint8Array, enc: TrackEncryption): Samples {
  const p = protectFragment(body, enc, 0, { offset: 0 });
  return { body, start: p.payloadStart + p.encryption.start, sizes: p.encryption.sampleSizes };
}

/** The NAL unit types of every sample (4-byte or other length prefixes as `video` says). */
function nalTypes(s: Samples, lengthSize: number): number[] {
  const types: number[] = [];
  let at = s.start;
  for (const size of s.sizes) {
    for (let pos = 0; pos + lengthSize < size; ) {
      let len = 0;
      for (let i = 0; i < lengthSize; i++) len = len * 256 + s.body[at + pos + i]!;
      if (len === 0) break;
      types.push(s.body[at + pos + lengthSize]! & 0x1f);
      pos += lengthSize + len;
    }
    at += size;
  }
  return types;
}

/** One sample of a fragment, picked at random, as a run of one. */
function oneSample(s: Samples, random: () => number): Samples {
  const i = Math.floor(random() * s.sizes.length);
  let start = s.start;
  for (let k = 0; k < i; k++) start += s.sizes[k]!;
  return { body: s.body, start, sizes: s.sizes.slice(i, i + 1) };
}

function jsOrError(s: Samples, video: NonNullable<TrackEncryption['video']>, scheme: EncryptionScheme): ReturnType<typeof jsVideoSubsamples> | Error {
  try {
    return jsVideoSubsamples(s.body, s.start, s.sizes, video, scheme, { offset: 0, fragment: 0 });
  } catch (e) {
    return e as Error;
  }
}

test('native and JavaScript H.264 layouts give the same subsamples on every fixture fragment (cenc, cbcs), and the same protected fragments', async (t) => {
  if (!requireAddon(t, 'cenc')) return;
  let laidNatively = 0;
  let declined = 0;
  for (const { level, enc } of await avcLevels()) {
    for (const scheme of ['cenc', 'cbcs'] as const) {
      const e = enc(scheme);
      for (const [i, body] of level.bodies.entries()) {
        const s = samplesOf(body, e);
        const native = nativeVideoSubsamples(s.body, s.start, s.sizes, e.video!, scheme);
        const js = jsVideoSubsamples(s.body, s.start, s.sizes, e.video!, scheme, { offset: 0, fragment: 0 });
        if (native === undefined) {
          // Only an SPS or PPS inside the samples (avc3) sends a well-formed fragment to the JavaScript path.
          assert.ok(nalTypes(s, e.video!.nalLengthSize).some((t) => t === 7 || t === 8), `${level.label} fragment ${i}: the native layout declined a fragment without in-band parameter sets`);
          declined++;
        } else {
          assert.deepEqual(native, js, `${level.label} fragment ${i} (${scheme})`);
          laidNatively++;
        }
        const withAddon = await withNative(true, () => protectFragment(body, e, 7, { offset: 0 }));
        const portable = await withNative(false, () => protectFragment(body, e, 7, { offset: 0 }));
        assert.deepEqual(withAddon, portable, `${level.label} fragment ${i} (${scheme}): the same protected fragment`);
      }
    }
  }
  assert.ok(laidNatively > 40, `${laidNatively} fragments laid out natively`);
  assert.ok(declined > 0, 'the avc3 fixture (parameter sets in its samples) goes to the JavaScript path');
});

test('damaged slice headers and NAL lengths: the native layout equals the JavaScript one or declines where it fails', async (t) => {
  if (!requireAddon(t, 'cenc')) return;
  const random = mulberry32(2014);
  const levels = await avcLevels();
  let same = 0;
  let failedBoth = 0;
  for (let round = 0; round < 1500; round++) {
    const { level, enc } = levels[Math.floor(random() * levels.length)]!;
    const scheme = random() < 0.5 ? 'cenc' : 'cbcs';
    const e = enc(scheme);
    const body = level.bodies[Math.floor(random() * level.bodies.length)]!.slice();
    const s = oneSample(samplesOf(body, e), random);
    const lengthSize = e.video!.nalLengthSize;
    // Damage a byte near the start of one of its NAL units (length prefix, NAL header, slice header).
    const nalStarts: number[] = [];
    for (let pos = 0; pos + lengthSize < s.sizes[0]!; ) {
      nalStarts.push(s.start + pos);
      let len = 0;
      for (let i = 0; i < lengthSize; i++) len = len * 256 + body[s.start + pos + i]!;
      pos += lengthSize + Math.max(len, 1);
    }
    const offset = nalStarts[Math.floor(random() * nalStarts.length)]! + Math.floor(random() * (lengthSize + 6));
    if (offset < s.start + s.sizes[0]!) body[offset] = random() < 0.7 ? body[offset]! ^ (1 << Math.floor(random() * 8)) : Math.floor(random() * 256);
    const native = nativeVideoSubsamples(body, s.start, s.sizes, e.video!, scheme);
    const js = jsOrError(s, e.video!, scheme);
    if (native !== undefined) {
      assert.deepEqual(native, js, `round ${round} (seed 2014): the native layout agrees`);
      same++;
    } else {
      assert.ok(js instanceof Error || nalTypes(s, lengthSize).some((t) => t === 7 || t === 8), `round ${round} (seed 2014): declined what the JavaScript path lays out`);
      if (js instanceof Error) failedBoth++;
    }
  }
  assert.ok(same > 100 && failedBoth > 100, `${same} rounds agreed, ${failedBoth} failed in both`);
});

function randomSets(random: () => number): AvcParameterSets {
  const int = (n: number): number => Math.floor(random() * n);
  const bool = (): boolean => random() < 0.5;
  const sets: AvcParameterSets = { sps: new Map(), pps: new Map() };
  for (let id = 0; id < 2; id++) {
    const separateColourPlane = random() < 0.1;
    const sps: AvcSps = { id, chromaArrayType: separateColourPlane ? 0 : int(4), separateColourPlane, log2MaxFrameNum: 4 + int(13), picOrderCntType: int(3), log2MaxPicOrderCntLsb: 4 + int(13), deltaPicOrderAlwaysZero: bool(), frameMbsOnly: random() < 0.7 };
    sets.sps.set(id, sps);
  }
  for (let id = 0; id < 4; id++) {
    const pps: AvcPps = {
      id,
      spsId: int(3),
      entropyCodingMode: bool(),
      bottomFieldPicOrderInFramePresent: bool(),
      numRefIdxL0DefaultActiveMinus1: int(20),
      numRefIdxL1DefaultActiveMinus1: int(20),
      weightedPred: bool(),
      weightedBipredIdc: int(3),
      deblockingFilterControlPresent: bool(),
      redundantPicCntPresent: random() < 0.2,
    };
    sets.pps.set(id, pps);
  }
  return sets;
}

test('random SPS/PPS fields: the native slice header reader takes the same bits as the JavaScript one', async (t) => {
  if (!requireAddon(t, 'cenc')) return;
  const random = mulberry32(1401);
  const levels = await avcLevels();
  let same = 0;
  let failedBoth = 0;
  for (let round = 0; round < 600; round++) {
    const { level, enc } = levels[Math.floor(random() * levels.length)]!;
    const scheme = random() < 0.5 ? 'cenc' : 'cbcs';
    const e = enc(scheme);
    const s = oneSample(samplesOf(level.bodies[Math.floor(random() * level.bodies.length)]!, e), random);
    if (nalTypes(s, e.video!.nalLengthSize).some((t) => t === 7 || t === 8)) continue;
    const sets = randomSets(random);
    const native = nativeAvcSubsamplesWith(s.body, s.start, s.sizes, e.video!.nalLengthSize, scheme, avcSetTables(sets));
    let js: { subsamples: Uint32Array; counts: Uint16Array } | undefined;
    try {
      const pairs: number[] = [];
      const counts = new Uint16Array(s.sizes.length);
      let at = s.start;
      const header = (nal: Uint8Array): number | undefined => {
        const type = nal[0]! & 0x1f;
        if (type !== 1 && type !== 5) return undefined;
        return avcSliceHeaderSize(nal, sets);
      };
      for (const [i, size] of s.sizes.entries()) {
        counts[i] = addVideoSubsamples(s.body.subarray(at, at + size), e.video!, scheme, header, { offset: at, sample: BigInt(i) }, pairs);
        at += size;
      }
      js = { subsamples: Uint32Array.from(pairs), counts };
    } catch (err) {
      if (!(err instanceof SmoothpubError && err.code === ErrorCode.ENCRYPT_BAD_SAMPLE)) throw err;
    }
    if (native === undefined) {
      assert.equal(js, undefined, `round ${round} (seed 1401): the native reader declined what the JavaScript one reads`);
      failedBoth++;
    } else {
      assert.deepEqual(native, js, `round ${round} (seed 1401): the same slice header sizes`);
      same++;
    }
  }
  assert.ok(same > 50 && failedBoth > 50, `${same} rounds agreed, ${failedBoth} failed in both`);
});
