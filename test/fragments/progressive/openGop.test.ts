// Plain MP4 renditions of one source with open GOPs and 3, 2 and 1 B-frames: their keyframes
// are presented at the same times but decoded at different ones. They are cut where the
// presentation times coincide, every rendition's fragment there starting to decode at one
// time; fragments far longer than --fragment-duration are warned about.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findChild, readBoxHeader, requireChild } from '../../../src/bmff/box.js';
import { Cursor } from '../../../src/bmff/cursor.js';
import { readTfdt } from '../../../src/bmff/tfdt.js';
import { readTrun, type Trun } from '../../../src/bmff/trun.js';
import { alignTimeline, canAlign } from '../../../src/fragments/progressive/alignTimeline.js';
import type { TrackTimeline } from '../../../src/fragments/progressive/trackTimeline.js';
import { inspectInputs } from '../../../src/inspect/inspectInputs.js';
import { packagePresentation } from '../../../src/package/packagePresentation.js';
import { readManifest } from '../../../src/smooth/readManifest.js';
import { requireTools } from '../../e2e/helpers.js';

const G = resolve('test/fixtures/opengop/mp4');
const files = ['v300', 'v200', 'v100'].map((n) => join(G, `${n}.mp4`));

interface Packet {
  pos: number;
  size: number;
  pts: number;
  dts: number;
  keyframe: boolean;
}

/** The source's video packets as ffprobe reads them (edit list applied), in decode order. */
function probePackets(file: string): Packet[] {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pos,size,pts,dts,flags', '-of', 'json', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const packets = (JSON.parse(r.stdout) as { packets: { pos: string; size: string; pts: number; dts: number; flags: string }[] }).packets;
  return packets.map((p) => ({ pos: Number(p.pos), size: Number(p.size), pts: p.pts, dts: p.dts, keyframe: p.flags.startsWith('K') }));
}

function parseFragment(body: Uint8Array): { tfdt: bigint; trun: Trun; payload: Uint8Array } {
  const c = new Cursor(body);
  const moofH = readBoxHeader(c, body.length);
  const moof = c.sub(moofH.size - moofH.headerSize, 'moof');
  const mdatH = readBoxHeader(c, body.length);
  assert.equal(mdatH.type, 'mdat');
  const traf = requireChild(moof, 'moof', 'traf').payload;
  const tfdt = findChild(traf, 'traf', 'tfdt');
  return {
    tfdt: tfdt ? readTfdt(tfdt.payload).baseMediaDecodeTime : 0n,
    trun: readTrun(requireChild(traf, 'traf', 'trun').payload),
    payload: body.subarray(mdatH.offset + mdatH.headerSize),
  };
}

test('open GOP renditions with 3, 2 and 1 B-frames are cut at the keyframes they present at the same times, on one timeline', async (t) => {
  if (!requireTools(t, 'ffprobe')) return;
  const out = join(await mkdtemp(join(tmpdir(), 'smoothpub-opengop-mp4-')), 'g.ism');
  const result = await packagePresentation({ inputs: files, outDir: out });
  assert.deepEqual(result.warnings, [], 'fragments of about 2 s: nothing to warn about');
  const manifest = readManifest(await readFile(join(out, 'Manifest'), 'utf8'));
  const video = manifest.streams.find((s) => s.type === 'video')!;
  assert.equal(video.qualityLevels.length, 3);
  assert.equal(video.chunks.length, 4, '2 s fragments, not one per 8 s');
  const delay = 213333; // 1024 AAC priming samples at 48 kHz in 10 MHz ticks: everything is presented that much later
  // The source's times (timescale 30000) on the presentation clock, each rounded on its own.
  const ticks = (pts: number): number => Math.round((pts * 10_000_000) / 30000);
  for (const [level, file] of files.entries()) {
    const source = await readFile(file);
    const packets = probePackets(file);
    const bitrate = video.qualityLevels[level]!.bitrate;
    let next = 0;
    const starts: number[] = [];
    for (const [i, chunk] of video.chunks.entries()) {
      const f = parseFragment(await readFile(join(out, `QualityLevels(${bitrate})`, `Fragments(video=${chunk.t})`)));
      const mine = packets.slice(next, next + f.trun.sampleCount);
      assert.equal(f.tfdt, chunk.t, `${file} fragment ${i}: every level's fragment starts decoding at the Manifest's t`);
      assert.ok(mine[0]!.keyframe, `${file} fragment ${i} starts at a keyframe`);
      starts.push(ticks(mine[0]!.pts));
      assert.ok(Buffer.from(f.payload).equals(Buffer.concat(mine.map((p) => source.subarray(p.pos, p.pos + p.size)))), 'the source samples, in order');
      let dts = Number(f.tfdt);
      assert.equal(f.trun.version, 0, 'unsigned composition offsets');
      f.trun.samples.forEach((s, k) => {
        assert.equal(dts + s.compositionTimeOffset!, ticks(mine[k]!.pts) + delay, `${file} fragment ${i} sample ${k}: presented as in the source`);
        assert.ok(s.duration! > 0, 'decode times increase');
        dts += s.duration!;
      });
      assert.equal(BigInt(dts), chunk.t + chunk.d, `${file} fragment ${i} lasts d`);
      next += f.trun.sampleCount;
    }
    assert.equal(next, packets.length, 'every sample in exactly one fragment');
    // Keyframes every 60 frames, presented at the same times in every level (2.002 s steps).
    assert.deepEqual(starts, [0, 20_020_000, 40_040_000, 60_060_000], `${file}: cut at its keyframes presented at 0, 2.002, 4.004, 6.006 s`);
  }
});

test('fragments far longer than --fragment-duration are warned about (inspect and package), naming the renditions', async () => {
  const r = await inspectInputs(files, { fragmentDuration: 1 });
  assert.equal(r.ok, true);
  assert.deepEqual(r.warnings.map((w) => w.code), ['index.fragment-duration']);
  assert.match(r.warnings[0]!.message, /video fragments last up to 2\.\d+ s \(3 of 4 longer than 1\.5 x the fragment duration of 1 s.*v300\.mp4 track 1.*present keyframes at the same time only that far apart/);
  assert.deepEqual((await inspectInputs(files)).warnings, []);
});

/** A timeline from explicit decode times and presentation times. */
function timeline(decode: number[], presented: number[]): TrackTimeline {
  return { decodeTime: (i) => decode[i]!, presentationTime: (i) => presented[i]!, compositionOffset: (i) => presented[i]! - decode[i]! };
}

test('alignTimeline: anchors hit exactly, decode times stay increasing and never after the presentation, presentations unchanged', () => {
  // I P B B | I P B B (decode order), frames of 10; the second keyframe decodes at 40 and is shown at 60.
  const presented = [20, 50, 30, 40, 60, 90, 70, 80];
  const base = timeline([0, 10, 20, 30, 40, 50, 60, 70, 80], presented);
  const anchors = [
    { index: 0, decodeTime: 0 },
    { index: 4, decodeTime: 25 }, // another rendition decodes this keyframe at 25
  ];
  assert.ok(canAlign(base, anchors[0]!, anchors[1]!));
  const aligned = alignTimeline(base, anchors);
  const decode = Array.from({ length: 9 }, (_, i) => aligned.decodeTime(i));
  assert.deepEqual(decode, [0, 6, 12, 18, 25, 35, 45, 55, 65], 'mapped linearly onto 0..25, then shifted by -15');
  for (let i = 0; i < 8; i++) {
    assert.equal(aligned.decodeTime(i) + aligned.compositionOffset(i), presented[i], `sample ${i} presented as before`);
    assert.ok(aligned.compositionOffset(i) >= 0, `sample ${i} decodes before it is shown`);
  }
  assert.equal(alignTimeline(base, [{ index: 0, decodeTime: 0 }, { index: 4, decodeTime: 40 }]), base, 'nothing moves: the same timeline');
  // Four samples of 10 cannot fit in 3 ticks: such a cut is refused.
  assert.equal(canAlign(base, anchors[0]!, { index: 4, decodeTime: 3 }), false);
});
