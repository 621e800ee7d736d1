// Differential test: parse what ffmpeg 5.1 writes with `-f ismv` and check the boxes
// agree with each other (tfxd vs tfra, trun vs tfxd) and re-write byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Box, childBoxes, requireChild } from '../../src/bmff/box.js';
import { Cursor } from '../../src/bmff/cursor.js';
import { readMfhd, writeMfhd } from '../../src/bmff/mfhd.js';
import { type Tfhd, readTfhd, writeTfhd } from '../../src/bmff/tfhd.js';
import { type Trun, readTrun, writeTrun } from '../../src/bmff/trun.js';
import { type Tfxd, readTfxd, writeTfxd } from '../../src/bmff/tfxd.js';
import { type Tfra, readTfra, writeTfra } from '../../src/bmff/tfra.js';
import { readMfro, writeMfro } from '../../src/bmff/mfro.js';
import { type Trex, readTrex, writeTrex } from '../../src/bmff/trex.js';
import { readTkhd, writeTkhd } from '../../src/bmff/tkhd.js';
import { readMdhd, writeMdhd } from '../../src/bmff/mdhd.js';
import { readHdlr } from '../../src/bmff/hdlr.js';
import { type Stsd, readStsd } from '../../src/bmff/stsd.js';
import { UUID_TFXD } from '../../src/bmff/piff.js';
import { requireTools } from '../harness/ci.js';


const TIMESCALE = 10_000_000;

/** Runs ffmpeg with `args` writing `out.ismv` in a fresh temp dir; returns the file's bytes. */
function makeIsmv(args: string[]): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'smoothpub-ffmpeg-'));
  try {
    const out = join(dir, 'out.ismv');
    const r = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args, '-f', 'ismv', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, `ffmpeg failed: ${r.stderr}`);
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Fragment {
  offset: number;
  sequenceNumber: number;
  tfhd: Tfhd;
  trun: Trun;
  tfxd: Tfxd;
}

interface Parsed {
  fragments: Fragment[];
  tfras: Tfra[];
  trex: Map<number, Trex>;
  stsd: Map<number, Stsd>;
}

const bytesOf = (file: Uint8Array, b: Box): Uint8Array => file.subarray(b.offset, b.offset + b.size);
const children = (b: Box): Box[] => [...childBoxes(b.payload, b.type)];

/** Parses the file and asserts every box the writers cover re-writes to ffmpeg's exact bytes. */
function parse(file: Uint8Array): Parsed {
  const top = [...childBoxes(new Cursor(file), 'file')];
  const parsed: Parsed = { fragments: [], tfras: [], trex: new Map(), stsd: new Map() };

  // mfra found the way an indexer finds it: mfro, the last 16 bytes, gives its size.
  const mfroBox = top.at(-1)!;
  assert.equal(top.at(-1)?.type, 'mfra');
  const tail = new Cursor(file, 0, 'mfro', file.length - 16);
  const mfroBytes = file.subarray(file.length - 16);
  tail.skip(8);
  const mfro = readMfro(tail);
  assert.deepEqual(writeMfro(mfro), mfroBytes);
  assert.equal(file.length - mfro.mfraSize, mfroBox.offset);
  for (const b of children(mfroBox)) {
    if (b.type !== 'tfra') continue;
    const raw = bytesOf(file, b);
    const tfra = readTfra(b.payload);
    assert.deepEqual(writeTfra(tfra), raw, 'tfra re-writes byte for byte');
    parsed.tfras.push(tfra);
  }

  const moov = top.find((b) => b.type === 'moov')!;
  for (const b of children(moov)) {
    if (b.type === 'mvex') {
      for (const t of children(b)) {
        const trex = readTrex(t.payload);
        assert.deepEqual(writeTrex(trex), bytesOf(file, t), 'trex re-writes byte for byte');
        parsed.trex.set(trex.trackId, trex);
      }
    }
    if (b.type !== 'trak') continue;
    const tkhdBox = requireChild(b.payload, 'trak', 'tkhd');
    const tkhd = readTkhd(tkhdBox.payload);
    // Tkhd has no alternate_group, which ffmpeg sets to 1 for audio: compare without it.
    const tkhdRaw = bytesOf(file, tkhdBox).slice();
    tkhdRaw.fill(0, tkhd.version === 1 ? 54 : 42, tkhd.version === 1 ? 56 : 44);
    assert.deepEqual(writeTkhd(tkhd), tkhdRaw, 'tkhd re-writes byte for byte, but alternate_group');
    const mdia = requireChild(b.payload, 'trak', 'mdia');
    const mdhdBox = requireChild(mdia.payload, 'mdia', 'mdhd');
    const mdhd = readMdhd(mdhdBox.payload);
    assert.equal(mdhd.timescale, TIMESCALE);
    assert.deepEqual(writeMdhd(mdhd), bytesOf(file, mdhdBox), 'mdhd re-writes byte for byte');
    const hdlr = readHdlr(requireChild(mdia.payload, 'mdia', 'hdlr').payload);
    const stbl = requireChild(requireChild(mdia.payload, 'mdia', 'minf').payload, 'minf', 'stbl');
    const stsd = readStsd(requireChild(stbl.payload, 'stbl', 'stsd').payload);
    assert.equal(stsd.entries[0]?.format, hdlr.handlerType === 'vide' ? 'avc1' : 'mp4a');
    parsed.stsd.set(tkhd.trackId, stsd);
  }

  for (const moof of top.filter((b) => b.type === 'moof')) {
    const [mfhdBox, traf, ...rest] = children(moof);
    assert.deepEqual([mfhdBox?.type, traf?.type, rest.length], ['mfhd', 'traf', 0], 'one track per moof');
    const mfhd = readMfhd(mfhdBox!.payload);
    assert.deepEqual(writeMfhd(mfhd), bytesOf(file, mfhdBox!));
    let tfhd: Tfhd | undefined;
    let trun: Trun | undefined;
    let tfxd: Tfxd | undefined;
    for (const b of children(traf!)) {
      const raw = bytesOf(file, b);
      if (b.type === 'tfhd') {
        tfhd = readTfhd(b.payload);
        assert.deepEqual(writeTfhd(tfhd), raw, 'tfhd re-writes byte for byte');
      } else if (b.type === 'trun') {
        trun = readTrun(b.payload);
        assert.deepEqual(writeTrun(trun), raw, 'trun re-writes byte for byte');
      } else if (b.type === 'uuid' && b.uuid === UUID_TFXD) {
        tfxd = readTfxd(b.payload);
        assert.deepEqual(writeTfxd(tfxd), raw, 'tfxd re-writes byte for byte');
      }
      assert.notEqual(b.type, 'tfdt', 'ffmpeg writes no tfdt');
    }
    assert.ok(tfhd && trun && tfxd, `moof at ${moof.offset} has tfhd, trun and tfxd`);
    parsed.fragments.push({ offset: moof.offset, sequenceNumber: mfhd.sequenceNumber, tfhd, trun, tfxd });
  }
  return parsed;
}

/** Sample durations as a player computes them: trun, else tfhd default, else trex default. */
function durations(f: Fragment, trex: Trex | undefined): number[] {
  return f.trun.samples.map((s) => s.duration ?? f.tfhd.defaultSampleDuration ?? trex?.defaultSampleDuration ?? 0);
}

function fragmentsOf(p: Parsed, trackId: number): Fragment[] {
  return p.fragments.filter((f) => f.tfhd.trackId === trackId);
}

/** tfra lists every fragment of the track, at its moof, with tfxd's time (except where `timeFix` says). */
function assertTfraMatches(p: Parsed, trackId: number, expectedTfxdTime: (tfraTime: bigint, i: number) => bigint = (t) => t): void {
  const tfra = p.tfras.find((t) => t.trackId === trackId);
  assert.ok(tfra, `tfra for track ${trackId}`);
  const frags = fragmentsOf(p, trackId);
  assert.deepEqual(tfra.entries.map((e) => e.moofOffset), frags.map((f) => f.offset));
  assert.deepEqual(frags.map((f) => f.tfxd.time), tfra.entries.map((e, i) => expectedTfxdTime(e.time, i)));
}

function assertDurations(p: Parsed, trackId: number, sampleDuration: number): void {
  const frags = fragmentsOf(p, trackId);
  frags.forEach((f, i) => {
    const d = durations(f, p.trex.get(trackId));
    assert.equal(f.trun.sampleCount, d.length);
    // The samples add up to exactly the fragment's duration ...
    assert.equal(BigInt(d.reduce((a, b) => a + b, 0)), f.tfxd.duration, `fragment ${i} of track ${trackId}`);
    // ... which is the sample count times the nominal duration, up to rounding per sample
    // (and the last sample of the stream, which ffmpeg shortens to the input's end).
    const next = frags[i + 1];
    const tolerance = f.trun.sampleCount + (next ? 0 : sampleDuration);
    assert.ok(Math.abs(f.trun.sampleCount * sampleDuration - Number(f.tfxd.duration)) <= tolerance, `fragment ${i}: ${f.trun.sampleCount} x ${sampleDuration} vs ${f.tfxd.duration}`);
    // The timeline is continuous.
    if (next) assert.equal(next.tfxd.time, f.tfxd.time + f.tfxd.duration);
  });
}

test('ffmpeg -f ismv video: tfxd agrees with tfra and trun, every fragment box re-writes exactly', (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const file = makeIsmv(['-f', 'lavfi', '-i', 'testsrc2=size=64x64:rate=24:duration=3', '-c:v', 'libx264', '-g', '24', '-bf', '0']);
  const p = parse(file);
  assert.equal(p.fragments.length, 3, 'one fragment per 1 s GOP');
  assert.deepEqual(p.fragments.map((f) => f.sequenceNumber), [1, 2, 3]);
  assert.deepEqual(p.fragments.map((f) => f.tfxd.time), [0n, 10_000_000n, 20_000_000n]);
  assertTfraMatches(p, 1);
  assertDurations(p, 1, TIMESCALE / 24);
  const first = p.fragments[0]!;
  assert.equal(first.trun.sampleCount, 24);
  assert.equal(first.trun.flags & 0x800, 0, 'no CTO without B-frames');
  const avc1 = p.stsd.get(1)?.entries[0];
  assert.deepEqual([avc1?.width, avc1?.height, avc1?.avcC?.sps[0]?.[0]], [64, 64, 0x67]);
});

test('ffmpeg -f ismv with B-frames and AAC: negative CTOs and the priming time round-trip', (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const file = makeIsmv([
    '-f', 'lavfi', '-i', 'testsrc2=size=64x64:rate=24:duration=3',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=3',
    '-c:v', 'libx264', '-g', '24', '-bf', '2', '-c:a', 'aac',
  ]);
  const p = parse(file);
  const video = fragmentsOf(p, 1);
  const audio = fragmentsOf(p, 2);
  assert.equal(video.length, 3);
  assert.equal(audio.length, 3);
  assert.ok(video.every((f) => f.trun.version === 1 && (f.trun.flags & 0x800) !== 0), 'video trun has version-1 CTOs');
  assert.ok(video.some((f) => f.trun.samples.some((s) => (s.compositionTimeOffset ?? 0) < 0)), 'some CTO is negative');
  assertTfraMatches(p, 1);
  assertDurations(p, 1, TIMESCALE / 24);
  // AAC priming (docs/architecture.md): 1024 samples at 48 kHz = 213333 ticks before 0, but tfra says 0.
  assert.equal(audio[0]!.tfxd.time, -213333n);
  assertTfraMatches(p, 2, (t, i) => (i === 0 ? t - 213333n : t));
  assertDurations(p, 2, (TIMESCALE * 1024) / 48000);
  const mp4a = p.stsd.get(2)?.entries[0];
  assert.deepEqual([mp4a?.format, mp4a?.sampleRate, mp4a?.esds?.objectTypeIndication], ['mp4a', 48000, 0x40]);
  assert.ok((mp4a?.esds?.decoderSpecificInfo.length ?? 0) >= 2, 'AudioSpecificConfig present');
});
