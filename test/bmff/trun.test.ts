import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Trun, readTrun, readTrunTiming, writeTrun } from '../../src/bmff/trun.js';
import { fullBox } from '../../src/bmff/writer.js';
import { ascii, readBack, readTruncated, smoothpubError } from './helpers.js';

// ffmpeg's mov muxer sets data-offset always, per-sample duration/size when they vary,
// first-sample-flags or per-sample flags, and per-sample CTO (version 1) with B-frames.

test('writeTrun as ffmpeg writes video without B-frames (0x305)', () => {
  const trun: Trun = {
    type: 'trun',
    version: 1,
    flags: 0x305,
    sampleCount: 3,
    dataOffset: 320,
    firstSampleFlags: 0x02000000,
    samples: [
      { duration: 416667, size: 1843 },
      { duration: 416666, size: 249 },
      { duration: 416667, size: 262 },
    ],
  };
  const bytes = writeTrun(trun);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 48, // size
    ...ascii('trun'),
    1, 0x00, 0x03, 0x05, // version 1, flags: data offset, first sample flags, duration, size
    0, 0, 0, 3, // sample_count
    0, 0, 0x01, 0x40, // data_offset 320
    0x02, 0x00, 0x00, 0x00, // first_sample_flags: sync
    0, 0x06, 0x5b, 0x9b, 0, 0, 0x07, 0x33, // 416667, 1843
    0, 0x06, 0x5b, 0x9a, 0, 0, 0x00, 0xf9, // 416666, 249
    0, 0x06, 0x5b, 0x9b, 0, 0, 0x01, 0x06)); // 416667, 262
  assert.deepEqual(readBack(bytes, readTrun).box, trun);
});

test('writeTrun as ffmpeg writes video with B-frames: version 1, negative CTO (0xb05)', () => {
  const trun: Trun = {
    type: 'trun',
    version: 1,
    flags: 0xb05,
    sampleCount: 2,
    dataOffset: 416,
    firstSampleFlags: 0x02000000,
    samples: [
      { duration: 416667, size: 100, compositionTimeOffset: 833333 },
      { duration: 416667, size: 50, compositionTimeOffset: -416667 },
    ],
  };
  const bytes = writeTrun(trun);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 48, // size
    ...ascii('trun'),
    1, 0x00, 0x0b, 0x05, // version 1, flags: data offset, first sample flags, duration, size, CTO
    0, 0, 0, 2, // sample_count
    0, 0, 0x01, 0xa0, // data_offset 416
    0x02, 0x00, 0x00, 0x00, // first_sample_flags
    0, 0x06, 0x5b, 0x9b, 0, 0, 0, 100, 0, 0x0c, 0xb7, 0x35, // 416667, 100, CTO 833333
    0, 0x06, 0x5b, 0x9b, 0, 0, 0, 50, 0xff, 0xf9, 0xa4, 0x65)); // 416667, 50, CTO -416667
  assert.deepEqual(readBack(bytes, readTrun).box, trun);
});

test('writeTrun as ffmpeg writes audio (0x301), with a negative data offset', () => {
  const trun: Trun = {
    type: 'trun',
    version: 1,
    flags: 0x301,
    sampleCount: 2,
    dataOffset: -8,
    samples: [
      { duration: 213333, size: 371 },
      { duration: 213334, size: 6 },
    ],
  };
  const bytes = writeTrun(trun);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 36, // size
    ...ascii('trun'),
    1, 0x00, 0x03, 0x01, // version 1, flags: data offset, duration, size
    0, 0, 0, 2, // sample_count
    0xff, 0xff, 0xff, 0xf8, // data_offset -8
    0, 0x03, 0x41, 0x55, 0, 0, 0x01, 0x73, // 213333, 371
    0, 0x03, 0x41, 0x56, 0, 0, 0x00, 0x06)); // 213334, 6
  assert.deepEqual(readBack(bytes, readTrun).box, trun);
});

test('writeTrun with per-sample flags and an unsigned version-0 CTO (0xf01)', () => {
  const trun: Trun = {
    type: 'trun',
    version: 0,
    flags: 0xf01,
    sampleCount: 1,
    dataOffset: 0,
    samples: [{ duration: 1, size: 2, flags: 0x01010000, compositionTimeOffset: 0xfffffff0 }],
  };
  const bytes = writeTrun(trun);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 36, // size
    ...ascii('trun'),
    0, 0x00, 0x0f, 0x01, // version 0, flags: data offset, duration, size, flags, CTO
    0, 0, 0, 1, // sample_count
    0, 0, 0, 0, // data_offset
    0, 0, 0, 1, // sample_duration
    0, 0, 0, 2, // sample_size
    0x01, 0x01, 0x00, 0x00, // sample_flags
    0xff, 0xff, 0xff, 0xf0)); // sample_composition_time_offset, unsigned in version 0
  assert.deepEqual(readBack(bytes, readTrun).box, trun);
});

test('writeTrun with every sample taken from the defaults', () => {
  const trun: Trun = { type: 'trun', version: 0, flags: 0x001, sampleCount: 2, dataOffset: 8, samples: [] };
  assert.deepEqual(writeTrun(trun), Uint8Array.of(
    0, 0, 0, 20, // size
    ...ascii('trun'),
    0, 0, 0, 0x01, // version 0, flags: data offset
    0, 0, 0, 2, // sample_count
    0, 0, 0, 8)); // data_offset
  assert.deepEqual(readBack(writeTrun(trun), readTrun).box, trun);
  const empty: Trun = { type: 'trun', version: 0, flags: 0, sampleCount: 0, samples: [] };
  assert.deepEqual(readBack(writeTrun(empty), readTrun).box, empty);
});

test('writeTrun refuses inconsistent input', () => {
  const bad = 'bmff.bad-box';
  assert.throws(() => writeTrun({ version: 0, flags: 0x800, sampleCount: 1, samples: [{ compositionTimeOffset: -1 }] }), smoothpubError(bad));
  assert.throws(() => writeTrun({ version: 1, flags: 0x100, sampleCount: 2, samples: [{ duration: 1 }] }), smoothpubError(bad));
  assert.throws(() => writeTrun({ version: 1, flags: 0x300, sampleCount: 1, samples: [{ duration: 1 }] }), smoothpubError(bad));
  assert.throws(() => writeTrun({ version: 1, flags: 0x001, sampleCount: 0, samples: [] }), smoothpubError(bad));
  assert.throws(() => writeTrun({ version: 1, flags: 0x001, sampleCount: 0, dataOffset: 2 ** 31, samples: [] }), smoothpubError(bad));
});

test('a trun cut inside its sample table throws at the table start', () => {
  const bytes = writeTrun({ version: 1, flags: 0x305, sampleCount: 2, dataOffset: 0, firstSampleFlags: 0, samples: [{ duration: 1, size: 1 }, { duration: 1, size: 1 }] });
  // header 8 + version/flags 4 + count 4 + data_offset 4 + first_sample_flags 4 = 24
  assert.throws(() => readTruncated(bytes, readTrun, 4, 5000), smoothpubError('bmff.truncated-box', 5024));
  // cut inside first_sample_flags
  assert.throws(() => readTruncated(bytes, readTrun, 16 + 2, 5000), smoothpubError('bmff.truncated-box', 5020));
});

test('a trun with a huge sample count throws before allocating', () => {
  const hugeCount = (flags: number): Uint8Array =>
    fullBox('trun', 1, flags, Uint8Array.of(
      0xff, 0xff, 0xff, 0xff, // sample_count 2^32 - 1
      0, 0, 0, 0)); // data_offset; no samples follow
  const started = process.memoryUsage().heapUsed;
  // with a table: 8 bytes per sample promised, none present
  assert.throws(() => readBack(hugeCount(0x301), readTrun, 700), smoothpubError('bmff.truncated-box', 720));
  // without a table every sample uses the defaults: the count is kept, nothing is allocated
  const tableLess = readBack(hugeCount(0x001), readTrun, 700).box;
  assert.equal(tableLess.sampleCount, 0xffffffff);
  assert.deepEqual(tableLess.samples, []);
  assert.ok(process.memoryUsage().heapUsed - started < 50e6);
});

/** What readTrunTiming must agree on, worked out from readTrun's full table. */
function timingOf(trun: Trun, fallback: number): { sampleCount: number; duration: bigint; firstFlags: number | undefined; firstCompositionOffset: number } {
  const duration = trun.samples.length === 0 ? BigInt(trun.sampleCount) * BigInt(fallback) : trun.samples.reduce((n, s) => n + BigInt(s.duration ?? fallback), 0n);
  const first = trun.sampleCount > 0 ? trun.samples[0] : undefined;
  return { sampleCount: trun.sampleCount, duration, firstFlags: trun.firstSampleFlags ?? first?.flags, firstCompositionOffset: first?.compositionTimeOffset ?? 0 };
}

test('readTrunTiming agrees with readTrun for every combination of per-sample fields, both versions', () => {
  for (let flags = 0; flags < 16; flags++) {
    for (const version of [0, 1]) {
      for (const count of [0, 1, 5]) {
        for (const dataOffset of [false, true]) {
          for (const firstSampleFlags of [undefined, 0x01010000]) {
            const f = (dataOffset ? 0x1 : 0) | (firstSampleFlags !== undefined ? 0x4 : 0) | (flags << 8);
            const samples = Array.from({ length: flags === 0 ? 0 : count }, (_, i) => ({
              ...((flags & 1) !== 0 && { duration: 0xfffffff0 - i * 7 }),
              ...((flags & 2) !== 0 && { size: 1000 + i }),
              ...((flags & 4) !== 0 && { flags: i === 0 ? 0x02000000 : 0x01010000 }),
              ...((flags & 8) !== 0 && { compositionTimeOffset: version === 1 ? -1001 + i : 2002 + i }),
            }));
            const trun: Trun = { type: 'trun', version, flags: f, sampleCount: count, ...(dataOffset && { dataOffset: 64 }), ...(firstSampleFlags !== undefined && { firstSampleFlags }), samples };
            const bytes = writeTrun(trun);
            const full = readBack(bytes, readTrun).box;
            let asked = 0;
            const timing = readBack(bytes, (c) => readTrunTiming(c, () => (asked++, 417083))).box;
            assert.deepEqual(timing, timingOf(full, 417083), `flags 0x${f.toString(16)} version ${version} count ${count}`);
            // The default is asked for only when some sample has no duration of its own.
            if (flags & 1 || count === 0) assert.equal(asked, 0);
          }
        }
      }
    }
  }
});

test('readTrunTiming sums durations past 2^53 exactly', () => {
  // 2^20 durations of about 2^32 pass 2^52, where a double stops counting single ticks.
  const count = 1_100_000;
  const samples = Array.from({ length: count }, (_, i) => ({ duration: 0xffffffff - (i % 3) }));
  const bytes = writeTrun({ type: 'trun', version: 0, flags: 0x100, sampleCount: count, samples });
  const big = readBack(bytes, (c) => readTrunTiming(c, () => 0)).box.duration;
  assert.equal(big, samples.reduce((n, s) => n + BigInt(s.duration), 0n));
});

test('readTrunTiming refuses a sample table longer than its box, as readTrun does', () => {
  const bytes = writeTrun({ type: 'trun', version: 0, flags: 0x300, sampleCount: 2, samples: [{ duration: 1, size: 2 }, { duration: 3, size: 4 }] });
  assert.throws(() => readTruncated(bytes, (c) => readTrunTiming(c, () => 0), 4, 0), smoothpubError('bmff.truncated-box'));
});
