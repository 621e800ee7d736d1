import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESENTATION_TIME_SCALE, toPresentationTicks, toPresentationTime } from '../../src/smooth/timeScale.js';
import { mulberry32 } from '../harness/mulberry32.js';

const SCALE = BigInt(PRESENTATION_TIME_SCALE);

/** The reference: round(ticks * 10^7 / timescale), halves up, in exact integer arithmetic. */
function reference(ticks: bigint, timescale: number): bigint {
  const n = 2n * ticks * SCALE + BigInt(timescale);
  const d = 2n * BigInt(timescale);
  const q = n / d;
  return n % d < 0n ? q - 1n : q;
}

/** Twice the distance, in presentation ticks times the timescale, between a converted time and the exact one. */
function error2(converted: number, ticks: bigint, timescale: number): bigint {
  const e = BigInt(converted) * BigInt(timescale) - ticks * SCALE;
  return 2n * (e < 0n ? -e : e);
}

test('29.97 fps over 10 hours: every frame within 50 ns of its source time, nothing accumulates', () => {
  const convert = toPresentationTicks(30000);
  const frames = 10 * 3600 * 30; // more than 10 hours of 1001/30000 s frames
  const durations = new Set<number>();
  let previous = convert(0);
  let summedRounded = 0;
  for (let n = 1; n <= frames; n++) {
    const time = convert(n * 1001);
    // |time - n * 1001 * 10^7 / 30000| <= 1/2 tick (50 ns), on each frame by itself.
    assert.ok(error2(time, BigInt(n * 1001), 30000) <= 30000n, `frame ${n}: ${time}`);
    durations.add(time - previous);
    previous = time;
    summedRounded += Math.round((1001 * 1e7) / 30000);
  }
  // Durations are differences of rounded times: they alternate between the two neighbours
  // of 333666.67 and add up to the exact end. Rounding each duration instead would drift.
  assert.deepEqual([...durations].sort(), [333666, 333667]);
  assert.equal(previous, (frames * 1001 * 1000) / 3, 'the end of 10 h of frames is exact (a multiple of 3 frames)');
  const drift = summedRounded - previous;
  assert.ok(drift > 300_000, `summing rounded durations would have drifted ${drift / 1e4} ms by the end`);
});

test('44.1 kHz AAC (1024-sample frames) over 3 hours: every frame within 50 ns', () => {
  const convert = toPresentationTicks(44100);
  const frames = Math.ceil((3 * 3600 * 44100) / 1024);
  const durations = new Set<number>();
  let previous = 0;
  for (let n = 1; n <= frames; n++) {
    const time = convert(n * 1024);
    assert.ok(error2(time, BigInt(n * 1024), 44100) <= 44100n, `frame ${n}: ${time}`);
    durations.add(time - previous);
    previous = time;
  }
  assert.deepEqual([...durations].sort(), [232199, 232200], '232199.55 ticks a frame, as differences of rounded times');
});

test('exact for every safe integer and every timescale, negative times included, halves rounded up', () => {
  const random = mulberry32(0x7157);
  const timescales = [1, 1000, 1001, 12288, 24000, 25, 30000, 44100, 48000, 90000, 96000, 10_000_000, 20_000_000, 2_147_483_647, 4_294_967_295];
  for (const timescale of timescales) {
    const convert = toPresentationTicks(timescale);
    // Up to the largest source time whose 100 ns value is still a safe integer.
    const limit = Math.floor((Number.MAX_SAFE_INTEGER / PRESENTATION_TIME_SCALE) * timescale * 0.999);
    for (let k = 0; k < 2000; k++) {
      const magnitude = Math.floor(random() * Math.min(limit, Number.MAX_SAFE_INTEGER));
      const ticks = k % 5 === 0 ? -Math.floor(magnitude / 1e6) : k % 7 === 0 ? k : magnitude;
      assert.equal(BigInt(convert(ticks)), reference(BigInt(ticks), timescale), `${ticks} at ${timescale}`);
      assert.equal(toPresentationTime(BigInt(ticks), timescale), reference(BigInt(ticks), timescale));
    }
  }
  // 1 tick of a 20 MHz clock is half a presentation tick: halves go up, also below 0.
  const half = toPresentationTicks(20_000_000);
  assert.deepEqual([half(1), half(3), half(-1), half(-3)], [1, 2, 0, -1]);
  // ffmpeg's AAC priming, 1024 samples at 48 kHz before 0.
  assert.equal(toPresentationTicks(48000)(-1024), -213333);
  assert.equal(toPresentationTime(2n ** 62n, 10_000_000), 2n ** 62n, 'the presentation clock itself is kept as it is');
});
