// HEVC sources packaged for Smooth, checked against the source files by other readers than
// smoothpub's (ffprobe, ffmpeg's hevc_mp4toannexb, a plain top-level box walk): no Smooth
// client here takes HEVC (GStreamer 1.22's mssdemux/mssdemux2, dash.js and Shaka Player
// know H.264 only), so the Manifest and fragments are checked structurally. DASH and HLS
// of the same sources are played by GStreamer and ffmpeg in test/e2e/hevc.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import type { Presentation, QualityLevel } from '../../src/smooth/model.js';
import type { FourCCChoice } from '../../src/smooth/fourCCChoice.js';
import { fixtures, requireTools } from '../e2e/helpers.js';

const ismv = ['v200', 'v100'].map((l) => join(fixtures, 'hevc', `${l}.ismv`));
const mp4 = ['v200', 'v100'].map((l) => join(fixtures, 'hevc', 'mp4', `${l}.mp4`));

function tool(cmd: string, args: string[]): Buffer {
  const r = spawnSync(cmd, args, { maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr?.toString()}`);
  return r.stdout;
}

/** ffprobe's width, height and sample entry (codec tag) of the first video stream. */
function probe(file: string): { width: number; height: number; tag: string } {
  const out = tool('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,codec_tag_string', '-of', 'json', file]).toString();
  const s = (JSON.parse(out) as { streams: { width: number; height: number; codec_tag_string: string }[] }).streams[0]!;
  return { width: s.width, height: s.height, tag: s.codec_tag_string };
}

/**
 * The VPS, SPS and PPS ffmpeg's hevc_mp4toannexb puts before the first keyframe (from the
 * hvcC), as `00000001 NAL` hex in that order: what CodecPrivateData must be.
 */
function annexBParameterSets(file: string): string {
  const bytes = tool('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v:0', '-c', 'copy', '-bsf:v', 'hevc_mp4toannexb', '-frames:v', '1', '-f', 'hevc', '-']);
  const units: Buffer[] = [];
  let start = -1;
  for (let i = 0; i + 3 <= bytes.length; i++) {
    if (bytes[i] === 0 && bytes[i + 1] === 0 && bytes[i + 2] === 1) {
      if (start >= 0) units.push(bytes.subarray(start, i - (bytes[i - 1] === 0 ? 1 : 0)));
      start = i + 3;
      i += 2;
    }
  }
  if (start >= 0) units.push(bytes.subarray(start));
  const ofType = (type: number) => units.filter((u) => ((u[0]! >> 1) & 0x3f) === type);
  const sets = [...ofType(32), ...ofType(33), ...ofType(34)];
  assert.ok(ofType(32).length > 0 && ofType(33).length > 0 && ofType(34).length > 0, `${file}: ffmpeg gave a VPS, an SPS and a PPS`);
  return sets.map((u) => `00000001${u.toString('hex').toUpperCase()}`).join('');
}

/** The source's top-level boxes: `moof`+`mdat` pairs of one track, as bytes, in file order. */
async function sourceFragments(file: string, trackId: number): Promise<Buffer[]> {
  const bytes = await readFile(file);
  const out: Buffer[] = [];
  let pos = 0;
  while (pos + 8 <= bytes.length) {
    const size = bytes.readUInt32BE(pos);
    const type = bytes.toString('latin1', pos + 4, pos + 8);
    if (type === 'moof') {
      // moof > mfhd (16 bytes), traf > tfhd: the track ID after tfhd's version and flags.
      const tfhdTrack = bytes.readUInt32BE(pos + 8 + 16 + 8 + 12);
      const mdatSize = bytes.readUInt32BE(pos + size);
      if (tfhdTrack === trackId) out.push(bytes.subarray(pos, pos + size + mdatSize));
      pos += size + mdatSize;
    } else {
      pos += size;
    }
  }
  return out;
}

/** The payload of each fragment file's `mdat` (the samples), in time order. */
async function fragmentFiles(dir: string, bitrate: number, stream: string): Promise<Buffer[]> {
  const level = join(dir, `QualityLevels(${bitrate})`);
  const names = (await readdir(level)).filter((n) => n.startsWith(`Fragments(${stream}=`) && !n.endsWith('=i)'));
  const time = (n: string): bigint => BigInt(/=(-?\d+)\)$/.exec(n)![1]!);
  names.sort((a, b) => (time(a) < time(b) ? -1 : 1));
  return Promise.all(names.map((n) => readFile(join(level, n))));
}

function mdatPayload(fragment: Buffer): Buffer {
  let pos = 0;
  while (pos + 8 <= fragment.length) {
    const size = fragment.readUInt32BE(pos);
    if (fragment.toString('latin1', pos + 4, pos + 8) === 'mdat') return fragment.subarray(pos + 8, pos + size);
    pos += size;
  }
  throw new Error('no mdat in fragment');
}

async function packaged(inputs: string[], fourCC?: FourCCChoice): Promise<{ dir: string; manifest: Presentation; cleanup: () => Promise<void> }> {
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-hevc-'));
  const dir = join(tmp, 'video.ism');
  await packagePresentation({ inputs, outDir: dir, ...(fourCC !== undefined && { fourCC }) });
  return { dir, manifest: readManifest(await readFile(join(dir, 'Manifest'), 'utf8')), cleanup: () => rm(tmp, { recursive: true, force: true }) };
}

for (const [name, inputs, fourCC] of [['ISMV (hev1)', ismv, 'HEV1'], ['plain MP4 (hvc1)', mp4, 'HVC1']] as const) {
  test(`HEVC ${name}: FourCC, MaxWidth/MaxHeight and CodecPrivateData from each source's hvcC, every video sample in its fragments`, async (t) => {
    if (!requireTools(t, 'ffmpeg', 'ffprobe')) return;
    const { dir, manifest, cleanup } = await packaged([...inputs]);
    t.after(cleanup);
    const video = manifest.streams.find((s) => s.type === 'video');
    assert.ok(video, 'a video stream');
    assert.equal(video.qualityLevels.length, inputs.length, 'a level a source');
    for (const file of inputs) {
      const p = probe(file);
      assert.equal(p.tag.toUpperCase(), fourCC, `${file}: the sample entry is what the fixture script says`);
      const level: QualityLevel | undefined = video.qualityLevels.find((q) => q.maxWidth === p.width);
      assert.ok(level, `${file}: a level of width ${p.width}`);
      assert.equal(level.fourCC, fourCC, `${file}: FourCC`);
      assert.equal(level.maxHeight, p.height, `${file}: MaxHeight`);
      assert.equal(level.codecPrivateData, annexBParameterSets(file), `${file}: CodecPrivateData is the hvcC's VPS, SPS and PPS`);
      assert.equal(level.nalUnitLengthField, undefined, 'x265 writes 4-byte NAL lengths, the default');
      // Every video sample, in order, in the fragments: ffmpeg's packets of the source as stored.
      const samples = tool('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v:0', '-c', 'copy', '-f', 'data', '-']);
      const fragments = await fragmentFiles(dir, level.bitrate, video.name);
      assert.equal(fragments.length, video.chunks.length, 'a file a chunk');
      assert.ok(Buffer.concat(fragments.map(mdatPayload)).equals(samples), `${file}: the fragments' samples are the source's`);
      if (name.startsWith('ISMV')) {
        const source = await sourceFragments(file, 1);
        assert.equal(fragments.length, source.length, `${file}: as many fragments as the source`);
        for (const [i, f] of fragments.entries()) assert.ok(f.equals(source[i]!), `${file}: fragment ${i} is the source's moof+mdat, byte for byte`);
      }
    }
    assert.equal(video.maxWidth, Math.max(...inputs.map((f) => probe(f).width)), 'StreamIndex MaxWidth');
    assert.equal(video.maxHeight, Math.max(...inputs.map((f) => probe(f).height)), 'StreamIndex MaxHeight');
  });
}

test('fourCC chooses the HEVC FourCC (HVC1 for hev1 sources) without touching the rest', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const { manifest, cleanup } = await packaged(ismv, ['AVC1', 'HVC1']);
  t.after(cleanup);
  const levels = manifest.streams.flatMap((s) => s.qualityLevels.map((q) => `${s.type} ${q.fourCC}`));
  assert.deepEqual(levels, ['video HVC1', 'video HVC1', 'audio AACL']);
});

test('HLS of hev1 levels warns hls.hev1 naming each file and track (Apple wants hvc1); hvc1 or no HLS does not', async (t) => {
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-hevc-warn-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const codes = async (inputs: string[], formats: ('smooth' | 'dash' | 'hls')[], name: string) =>
    (await packagePresentation({ inputs, outDir: join(tmp, name), formats })).warnings.filter((w) => w.code === 'hls.hev1').map((w) => `${w.context.file} ${w.context.trackId}`);
  assert.deepEqual(await codes(ismv, ['smooth', 'hls'], 'a'), ismv.map((f) => `${f} 1`));
  assert.deepEqual(await codes(ismv, ['smooth', 'dash'], 'b'), []);
  assert.deepEqual(await codes(mp4, ['smooth', 'dash', 'hls'], 'c'), []);
});
