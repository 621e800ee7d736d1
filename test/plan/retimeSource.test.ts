import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { childBoxes, readBoxHeader, requireChild, findChild } from '../../src/bmff/box.js';
import { Cursor } from '../../src/bmff/cursor.js';
import { writeMfhd } from '../../src/bmff/mfhd.js';
import { UUID_TFXD } from '../../src/bmff/piff.js';
import { readTfdt, writeTfdt } from '../../src/bmff/tfdt.js';
import { readTfhd, TFHD_BASE_DATA_OFFSET, TFHD_DEFAULT_BASE_IS_MOOF, TFHD_DEFAULT_SAMPLE_DURATION, TFHD_DEFAULT_SAMPLE_SIZE, writeTfhd, type Tfhd } from '../../src/bmff/tfhd.js';
import { readTfxd } from '../../src/bmff/tfxd.js';
import { readTrun, TRUN_DATA_OFFSET, TRUN_SAMPLE_CTO, TRUN_SAMPLE_DURATION, TRUN_SAMPLE_SIZE, writeTrun, type Trun } from '../../src/bmff/trun.js';
import { box, fullBox } from '../../src/bmff/writer.js';
import { fragmentParts, readFragmentBody } from '../../src/fragments/fragmentParts.js';
import type { FragmentRef } from '../../src/fragments/types.js';
import { writePresentationManifest } from '../../src/plan/buildPresentation.js';
import { loadPresentation } from '../../src/plan/loadPresentation.js';
import { retimeMoof } from '../../src/fragments/retimeMoof.js';

const FIX = resolve('test/fixtures');

interface Parsed {
  moofSize: number;
  tfhd: Tfhd;
  tfdt: bigint | undefined;
  tfxd: { time: bigint; duration: bigint } | undefined;
  truns: Trun[];
  /** Each trun's data, by its data offset from the moof (tfhd default-base-is-moof or none). */
  mdatPayloadAt: number;
  mdat: Uint8Array;
}

function parse(body: Uint8Array): Parsed {
  const c = new Cursor(body);
  const moofH = readBoxHeader(c, body.length);
  assert.equal(moofH.type, 'moof');
  const moof = c.sub(moofH.size - moofH.headerSize, 'moof');
  const mdatH = readBoxHeader(c, body.length);
  assert.equal(mdatH.type, 'mdat');
  assert.equal(mdatH.offset + mdatH.size, body.length, 'the mdat ends the body');
  const traf = requireChild(moof, 'moof', 'traf').payload;
  const children = [...childBoxes(new Cursor(body, 0, 'traf', traf.pos, traf.end), 'traf')];
  const tfdt = findChild(new Cursor(body, 0, 'traf', traf.pos, traf.end), 'traf', 'tfdt');
  const tfxd = children.find((b) => b.type === 'uuid' && b.uuid === UUID_TFXD);
  return {
    moofSize: moofH.size,
    tfhd: readTfhd(requireChild(new Cursor(body, 0, 'traf', traf.pos, traf.end), 'traf', 'tfhd').payload),
    tfdt: tfdt && readTfdt(tfdt.payload).baseMediaDecodeTime,
    tfxd: tfxd && readTfxd(tfxd.payload),
    truns: children.filter((b) => b.type === 'trun').map((b) => readTrun(b.payload)),
    mdatPayloadAt: mdatH.offset + mdatH.headerSize,
    mdat: body.subarray(mdatH.offset),
  };
}

/** Decode and presentation time of every sample, from the fragment's base decode time. */
function sampleTimes(p: Parsed, base: bigint, defaultDuration: number): { decode: bigint; presented: bigint }[] {
  const out: { decode: bigint; presented: bigint }[] = [];
  let t = base;
  for (const trun of p.truns) {
    for (let i = 0; i < trun.sampleCount; i++) {
      const s = trun.samples[i] ?? {};
      const cto = s.compositionTimeOffset === undefined ? 0 : trun.version === 0 ? s.compositionTimeOffset | 0 : s.compositionTimeOffset;
      out.push({ decode: t, presented: t + BigInt(cto) });
      t += BigInt(s.duration ?? p.tfhd.defaultSampleDuration ?? defaultDuration);
    }
  }
  return out;
}

/** Twice |ticks in 10 MHz - source ticks converted exactly|, times the source timescale: within 50 ns when <= timescale. */
function error2(ticks: bigint, source: bigint, timescale: number): bigint {
  const e = ticks * BigInt(timescale) - source * 10_000_000n;
  return 2n * (e < 0n ? -e : e);
}

async function bodyOf(file: string, f: FragmentRef): Promise<Uint8Array> {
  const bytes = await readFile(file);
  return readFragmentBody(fragmentParts(f), (offset, size) => Promise.resolve(bytes.subarray(offset, offset + size)));
}

test('CMAF at 12288 and 48000 Hz: one TimeScale, moofs rebuilt at 10 MHz, every sample within 50 ns, mdat byte for byte', async () => {
  const inputs = [`${FIX}/cmaf/video.mp4`, `${FIX}/cmaf/audio.mp4`];
  const loaded = await loadPresentation(inputs);
  assert.deepEqual(loaded.sources.map((s) => s.tracks[0]!.timescale), [12288, 48000], 'the sources as indexed keep their own clocks');
  const xml = writePresentationManifest(loaded);
  assert.match(xml, /<SmoothStreamingMedia [^>]*TimeScale="10000000"/);
  assert.doesNotMatch(xml, /<StreamIndex [^>]*TimeScale=/);
  let checked = 0;
  for (const level of loaded.levels) {
    const source = loaded.sources.find((s) => s.file === level.track.file)!.tracks.find((t) => t.trackId === level.track.trackId)!;
    assert.equal(level.track.timescale, 10_000_000);
    for (const [i, f] of level.track.fragments.entries()) {
      const before = parse(await bodyOf(source.file, source.fragments[i]!));
      const after = parse(await bodyOf(level.track.file, f));
      const chunk = level.chunks[i]!;
      assert.ok(after.tfhd.flags & TFHD_DEFAULT_BASE_IS_MOOF && !(after.tfhd.flags & TFHD_BASE_DATA_OFFSET));
      assert.equal(after.tfdt, chunk.t, 'tfdt = the Manifest t');
      assert.deepEqual(after.tfxd && [after.tfxd.time, after.tfxd.duration], [chunk.t, chunk.d], 'tfxd = the Manifest t and d');
      assert.ok(Buffer.from(after.mdat).equals(before.mdat), 'the mdat is the source\'s, header and payload');
      assert.equal(after.truns[0]!.dataOffset, after.mdatPayloadAt, 'data_offset points at the mdat payload');
      const was = sampleTimes(before, before.tfdt!, 0);
      const now = sampleTimes(after, after.tfdt!, 0);
      assert.equal(now.length, was.length);
      assert.deepEqual(after.truns.flatMap((t) => t.samples.map((s) => s.size ?? after.tfhd.defaultSampleSize)), before.truns.flatMap((t) => t.samples.map((s) => s.size ?? before.tfhd.defaultSampleSize)));
      now.forEach((s, k) => {
        assert.ok(error2(s.decode, was[k]!.decode, source.timescale) <= BigInt(source.timescale), `fragment ${i} sample ${k} decode time`);
        assert.ok(error2(s.presented, was[k]!.presented, source.timescale) <= BigInt(source.timescale), `fragment ${i} sample ${k} presentation time`);
      });
      const end = now.length > 0 ? after.truns.flatMap((t) => t.samples).reduce((sum, s) => sum + BigInt(s.duration!), after.tfdt!) : after.tfdt!;
      assert.equal(end, chunk.t + chunk.d, 'the samples end where the Manifest says');
      checked++;
    }
  }
  assert.equal(checked, 9);
});

/** A moof as some muxers write it: an explicit base_data_offset, a default duration, two runs (the second without an offset), ctts v0. */
function sourceMoof(moofAt: number): { moof: Uint8Array; dataAt: number } {
  const build = (dataAt: number): Uint8Array => {
    const tfhd = writeTfhd({ flags: TFHD_BASE_DATA_OFFSET | TFHD_DEFAULT_SAMPLE_DURATION | TFHD_DEFAULT_SAMPLE_SIZE, trackId: 1, baseDataOffset: BigInt(dataAt - 16), defaultSampleDuration: 1001, defaultSampleSize: 10 });
    const first = writeTrun({ version: 0, flags: TRUN_DATA_OFFSET | TRUN_SAMPLE_CTO, sampleCount: 3, dataOffset: 16, samples: [{ compositionTimeOffset: 2002 }, { compositionTimeOffset: 0 }, { compositionTimeOffset: 1001 }] });
    const second = writeTrun({ version: 0, flags: TRUN_SAMPLE_DURATION | TRUN_SAMPLE_SIZE, sampleCount: 2, samples: [{ duration: 1001, size: 7 }, { duration: 2002, size: 5 }] });
    return box('moof', writeMfhd({ sequenceNumber: 7 }), box('traf', tfhd, writeTfdt({ version: 0, baseMediaDecodeTime: 90090n }), first, second, fullBox('sdtp', 0, 0, Uint8Array.of(0, 0, 0, 0, 0))));
  };
  const size = build(moofAt + 1000).length; // the offset's value does not change the size
  return { moof: build(moofAt + size + 8), dataAt: moofAt + size + 8 };
}

test('retimeMoof: explicit base offset and defaults become per-sample durations on the moof base; data stays where it is', () => {
  const moofAt = 5000;
  const { moof, dataAt } = sourceMoof(moofAt);
  const duration = 1001n * 3n + 1001n + 2002n;
  const out = retimeMoof(moof, moofAt, { time: 90090n, duration, timescale: 30000, trexDefaultDuration: 0 });
  assert.ok(out);
  assert.equal(out.usedTrexDefault, false);
  assert.equal(out.time, 30030000n, '3.003 s');
  assert.equal(out.duration, 2002000n, '6 frames of 29.97 fps: 0.2002 s');
  const mdatPayload = new Uint8Array(10 * 3 + 7 + 5).fill(9);
  const body = new Uint8Array([...out.moof, ...box('mdat', mdatPayload)]);
  const p = parse(body);
  assert.equal(p.tfhd.flags & TFHD_BASE_DATA_OFFSET, 0);
  assert.ok(p.tfhd.flags & TFHD_DEFAULT_BASE_IS_MOOF);
  assert.equal(p.tfhd.defaultSampleSize, 10, 'size defaults are kept');
  assert.equal(p.tfdt, 30030000n);
  assert.deepEqual(p.truns.map((t) => t.samples.map((s) => s.duration)), [[333667, 333666, 333667], [333667, 667333]], 'durations are differences of rounded times');
  assert.deepEqual(p.truns[0]!.samples.map((s) => s.compositionTimeOffset), [667333, 0, 333667]);
  assert.deepEqual(p.truns.map((t) => t.samples.map((s) => s.size)), [[undefined, undefined, undefined], [7, 5]]);
  // The source's first run started at dataAt (16 past the base); it now starts at the mdat payload, relative to the new moof.
  assert.equal(dataAt, moofAt + moof.length + 8);
  assert.equal(p.truns[0]!.dataOffset, out.moof.length + 8);
  assert.equal(p.truns[1]!.flags & TRUN_DATA_OFFSET, 0, 'the second run still follows the first');
  assert.ok([...childBoxes(new Cursor(out.moof, 0, 'moof', 8), 'moof')].length === 2);
});

test('retimeMoof: samples without any duration of their own take the trex default, and say so; CENC offsets are left alone', () => {
  const trun = writeTrun({ version: 0, flags: TRUN_DATA_OFFSET, sampleCount: 4, dataOffset: 0, samples: [] });
  const moof = box('moof', writeMfhd({ sequenceNumber: 1 }), box('traf', writeTfhd({ flags: TFHD_DEFAULT_BASE_IS_MOOF, trackId: 2 }), writeTfdt({ version: 1, baseMediaDecodeTime: 0n }), trun));
  const first = retimeMoof(moof, 0, { time: 0n, duration: 4096n, timescale: 48000, trexDefaultDuration: 0 });
  assert.equal(first?.usedTrexDefault, true);
  const out = retimeMoof(moof, 0, { time: 0n, duration: 4096n, timescale: 48000, trexDefaultDuration: 1024 });
  const p = parse(new Uint8Array([...out!.moof, ...box('mdat', new Uint8Array(0))]));
  assert.deepEqual(p.truns[0]!.samples.map((s) => s.duration), [213333, 213334, 213333, 213333]);

  const cenc = box('moof', writeMfhd({ sequenceNumber: 1 }), box('traf', writeTfhd({ flags: TFHD_DEFAULT_BASE_IS_MOOF, trackId: 2 }), trun, fullBox('saio', 0, 0, Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 99))));
  assert.equal(retimeMoof(cenc, 0, { time: 0n, duration: 4096n, timescale: 48000, trexDefaultDuration: 1024 }), undefined);
});
