import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { childBoxes, findChild, requireChild } from '../../../src/bmff/box.js';
import { Cursor } from '../../../src/bmff/cursor.js';
import { UUID_TFXD } from '../../../src/bmff/piff.js';
import { readTfdt } from '../../../src/bmff/tfdt.js';
import { readTfhd, TFHD_DEFAULT_BASE_IS_MOOF } from '../../../src/bmff/tfhd.js';
import { readTfxd } from '../../../src/bmff/tfxd.js';
import { readTrun, type Trun } from '../../../src/bmff/trun.js';
import { readBoxHeader } from '../../../src/bmff/box.js';
import { SmoothpubError } from '../../../src/errors.js';
import { packagePresentation } from '../../../src/package/packagePresentation.js';
import { readManifest } from '../../../src/smooth/readManifest.js';
import { requireTools } from '../../e2e/helpers.js';

const P = resolve('test/fixtures/progressive');
const tmp = (): Promise<string> => mkdtemp(join(tmpdir(), 'smoothpub-prog-'));

interface Packet {
  pos: number;
  size: number;
  pts: number;
  dts: number;
  keyframe: boolean;
}

/** The source's packets as ffprobe reads them (an independent demuxer; it applies edit lists). */
function probePackets(file: string, stream: string): Packet[] {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', stream, '-show_entries', 'packet=pos,size,pts,dts,flags', '-of', 'json', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const packets = (JSON.parse(r.stdout) as { packets: { pos: string; size: string; pts: number; dts: number; flags: string }[] }).packets;
  return packets.map((p) => ({ pos: Number(p.pos), size: Number(p.size), pts: p.pts, dts: p.dts, keyframe: p.flags.startsWith('K') }));
}

interface ParsedFragment {
  trun: Trun;
  tfxdTime: bigint;
  tfdt: bigint | undefined;
  payload: Uint8Array;
}

function parseFragment(body: Uint8Array): ParsedFragment {
  const c = new Cursor(body);
  const moofH = readBoxHeader(c, body.length);
  assert.equal(moofH.type, 'moof');
  const moof = c.sub(moofH.size - moofH.headerSize, 'moof');
  const mdatH = readBoxHeader(c, body.length);
  assert.equal(mdatH.type, 'mdat');
  assert.equal(mdatH.offset + mdatH.size, body.length, 'mdat ends the body');
  const traf = requireChild(moof, 'moof', 'traf').payload;
  const tfhd = readTfhd(requireChild(traf, 'traf', 'tfhd').payload);
  assert.ok(tfhd.flags & TFHD_DEFAULT_BASE_IS_MOOF);
  const trun = readTrun(requireChild(traf, 'traf', 'trun').payload);
  assert.equal(trun.dataOffset, moofH.size + mdatH.headerSize, 'data_offset points at the mdat payload');
  const tfdtBox = findChild(traf, 'traf', 'tfdt');
  const tfxd = [...childBoxes(new Cursor(body, 0, 'traf', traf.pos, traf.end), 'traf')].find((b) => b.type === 'uuid' && b.uuid === UUID_TFXD);
  assert.ok(tfxd, 'tfxd present');
  return { trun, tfxdTime: readTfxd(tfxd.payload).time, tfdt: tfdtBox && readTfdt(tfdtBox.payload).baseMediaDecodeTime, payload: body.subarray(mdatH.offset + mdatH.headerSize) };
}

test('a plain MP4 ladder packages into fragments that carry exactly the source samples', async (t) => {
  if (!requireTools(t, 'ffprobe')) return;
  const out = join(await tmp(), 'p.ism');
  const files = ['v300', 'v200', 'v100'].map((n) => `${P}/${n}.mp4`);
  const result = await packagePresentation({ inputs: files, outDir: out });
  const xml = await readFile(join(out, 'Manifest'), 'utf8');
  const manifest = readManifest(xml);
  // One clock for the whole presentation: clients that read only the root TimeScale place every fragment right.
  assert.match(xml, /<SmoothStreamingMedia [^>]*TimeScale="10000000"/);
  assert.doesNotMatch(xml, /<StreamIndex [^>]*TimeScale=/, 'no StreamIndex has a TimeScale of its own');
  const video = manifest.streams.find((s) => s.type === 'video')!;
  const audio = manifest.streams.find((s) => s.type === 'audio')!;
  assert.equal(video.qualityLevels.length, 3);
  assert.equal(audio.qualityLevels.length, 1, 'the AAC track muxed into every file is one rendition');
  assert.equal(video.chunks.length, 4);
  // Everything is presented as in the source, 1024 samples (the AAC priming Smooth cannot
  // skip; 213333 in 100 ns, rounded) later: the priming decodes at 0. Keyframes are presented
  // at 2.002 s steps; a fragment's t is its keyframe's decode time, the 2-frame reorder delay
  // earlier, except the first: B-frame video decodes from its first frame's presentation.
  // Each source time (1/30000 s) is converted to 100 ns on its own, rounded.
  const delay = 213333;
  const at = (ticks: number, timescale: number): number => Math.round((ticks * 10_000_000) / timescale);
  assert.equal(manifest.timeScale, 10_000_000);
  assert.equal(video.timeScale, undefined);
  assert.equal(audio.timeScale, undefined);
  assert.deepEqual(video.chunks.map((c) => c.t), [0, 60060 - 2002, 120120 - 2002, 180180 - 2002].map((t) => BigInt(at(t, 30000) + delay)));
  assert.equal(video.chunks.reduce((sum, c) => sum + c.d, 0n), 80_080_000n, 'video lasts as long as the source (8.008 s)');
  assert.equal(audio.chunks[0]!.t, 0n, 'the AAC priming decodes at 0');
  assert.equal(result.presentation.streams.length, 2);

  let fragments = 0;
  const checkStream = async (file: string, stream: typeof video, bitrate: number, probeStream: string, timescale: number): Promise<void> => {
    const source = await readFile(file);
    const packets = probePackets(file, probeStream);
    let next = 0;
    for (const [i, chunk] of stream.chunks.entries()) {
      const body = await readFile(join(out, `QualityLevels(${bitrate})`, `Fragments(${stream.name}=${chunk.t})`));
      const f = parseFragment(body);
      const n = f.trun.sampleCount;
      const mine = packets.slice(next, next + n);
      assert.equal(mine.length, n, `${file} ${stream.name} fragment ${i}: sample count`);
      assert.deepEqual(f.trun.samples.map((s) => s.size), mine.map((p) => p.size), 'trun sizes = ffprobe packet sizes');
      assert.equal(f.payload.length, mine.reduce((s, p) => s + p.size, 0), 'sizes sum to the mdat payload');
      assert.ok(Buffer.from(f.payload).equals(Buffer.concat(mine.map((p) => source.subarray(p.pos, p.pos + p.size)))), 'mdat payload = the source samples');
      // Timing: tfxd = tfdt = Manifest t (nothing starts before 0); presentation times = ffprobe's pts, delayed.
      assert.equal(f.tfxdTime, chunk.t);
      assert.equal(f.tfdt, chunk.t);
      let dts = Number(f.tfxdTime);
      assert.equal(f.trun.version, 0, 'unsigned composition offsets');
      // Presentation times are the source's (ffprobe: edit list applied, in 1/timescale s),
      // each converted to 100 ns and rounded on its own, plus the delay: within 50 ns of the
      // source wherever in the file. Decode times strictly increase (ffmpeg refuses equal
      // ones), never after the presentation.
      f.trun.samples.forEach((s, k) => {
        const pts = dts + (s.compositionTimeOffset ?? 0);
        assert.equal(pts, at(mine[k]!.pts, timescale) + delay, `${stream.name} fragment ${i} sample ${k} pts`);
        assert.ok(Math.abs(pts - delay - (mine[k]!.pts * 10_000_000) / timescale) <= 0.5, `${stream.name} fragment ${i} sample ${k}: within 50 ns`);
        assert.ok(s.duration! > 0, `${stream.name} fragment ${i} sample ${k}: decode times increase`);
        assert.equal(s.flags === 0x02000000, mine[k]!.keyframe, 'sync flag = ffprobe keyframe');
        dts += s.duration!;
      });
      assert.ok(mine[0]!.keyframe, 'every fragment starts at a keyframe');
      assert.equal(BigInt(dts) - chunk.t, chunk.d, 'trun durations add up to the Manifest d');
      next += n;
      fragments++;
    }
    assert.equal(next, packets.length, 'every sample is in exactly one fragment');
  };
  for (const [i, file] of files.entries()) await checkStream(file, video, video.qualityLevels[i]!.bitrate, 'v:0', 30000);
  await checkStream(files[0]!, audio, audio.qualityLevels[0]!.bitrate, 'a:0', 48000);
  assert.equal(fragments, 3 * 4 + 4);
});

test('two audio languages in one plain MP4 become two audio streams', async () => {
  const out = join(await tmp(), 'l.ism');
  const result = await packagePresentation({ inputs: [`${P}/languages.mp4`], outDir: out });
  const audio = result.presentation.streams.filter((s) => s.type === 'audio');
  assert.deepEqual(audio.map((s) => [s.name, s.language]), [['audio_eng', 'eng'], ['audio_fra', 'fra']]);
  assert.ok(audio.every((s) => s.chunks.length === 4));
});

test('--fragment-duration cuts at the shared keyframes at or after each multiple', async () => {
  const out = join(await tmp(), 'f.ism');
  const result = await packagePresentation({ inputs: [`${P}/v200.mp4`, `${P}/v100.mp4`], outDir: out, fragmentDuration: 4 });
  const video = result.presentation.streams.find((s) => s.type === 'video')!;
  // The keyframe presented at 4.004 s decodes 2 frames (2002/30000 s) earlier; all 1024/48000 s (213333) later (AAC priming).
  assert.deepEqual(video.chunks.map((c) => c.t), [213333n, 39372667n + 213333n]);
});

test('a misaligned plain MP4 ladder fails naming both renditions and their keyframe times; nothing is written', async () => {
  const dir = await tmp();
  await assert.rejects(packagePresentation({ inputs: [`${P}/misaligned/a.mp4`, `${P}/misaligned/b.mp4`], outDir: join(dir, 'm.ism') }), (e: unknown) => {
    assert.ok(e instanceof SmoothpubError);
    assert.equal(e.code, 'index.misaligned');
    assert.match(e.message, /a\.mp4 track 1/);
    assert.match(e.message, /b\.mp4 track 1/);
    assert.match(e.message, /\[2\.002 s, 4\.004 s, 6\.006 s\].*\[2\.502 s, 5\.005 s, 7\.508 s\]/);
    return true;
  });
  assert.deepEqual(await readdir(dir), []);
});
