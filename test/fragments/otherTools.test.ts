// Files other tools write (GStreamer's qtmux and mp4mux, ffmpeg's .mov), read as they are:
// the presentation smoothpub builds describes each track as ffprobe sees it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadPresentation } from '../../src/plan/loadPresentation.js';
import { SmoothpubError } from '../../src/errors.js';
import { u32, walkBoxes } from './rawBoxes.js';
import { requireTools } from '../harness/ci.js';

const DIR = 'test/fixtures/othertools';

interface Probed {
  codec_name: string;
  codec_tag_string: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
}

function probe(file: string): Probed[] {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,codec_tag_string,width,height,sample_rate,channels', '-of', 'json', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { streams: Probed[] }).streams;
}

/** The version field of the first mp4a entry, and whether the first video entry's children end with a 32-bit zero. */
async function shape(file: string): Promise<{ soundVersion: number; videoZeroTerminator: boolean; esdsIn: string }> {
  const b = new Uint8Array(await readFile(file));
  // The tests' own walker knows no QuickTime layouts: find the entries by their type.
  const boxes = walkBoxes(b);
  const mp4a = boxes.find((x) => x.path.endsWith('stsd/mp4a'))!;
  const video = boxes.find((x) => /stsd\/avc[13]$/.test(x.path))!;
  const soundVersion = (b[mp4a.start + 16]! << 8) | b[mp4a.start + 17]!;
  const esdsAt = [...b.subarray(mp4a.start, mp4a.end).keys()].find((i) => String.fromCharCode(...b.subarray(mp4a.start + i, mp4a.start + i + 4)) === 'esds');
  const waveAt = [...b.subarray(mp4a.start, mp4a.end).keys()].find((i) => String.fromCharCode(...b.subarray(mp4a.start + i, mp4a.start + i + 4)) === 'wave');
  return {
    soundVersion,
    videoZeroTerminator: u32(b, video.end - 4) === 0,
    esdsIn: waveAt !== undefined && esdsAt !== undefined && esdsAt > waveAt ? 'wave' : 'mp4a',
  };
}

const cases = [
  { file: 'qtmux.mov', soundVersion: 1, videoZeroTerminator: true, esdsIn: 'wave' },
  { file: 'ffmpeg.mov', soundVersion: 1, videoZeroTerminator: false, esdsIn: 'wave' },
  { file: 'ffmpeg-96k.mov', soundVersion: 2, videoZeroTerminator: false, esdsIn: 'wave' },
  { file: 'mp4mux.mp4', soundVersion: 0, videoZeroTerminator: false, esdsIn: 'mp4a' },
  { file: 'avc3-avcc.mp4', soundVersion: 0, videoZeroTerminator: false, esdsIn: 'mp4a' },
];

for (const c of cases) {
  test(`${c.file}: read as ffprobe reads it`, async (t) => {
    if (!requireTools(t, 'ffprobe')) return;
    const file = join(DIR, c.file);
    // The fixture has the shape it stands for (regenerating it must not lose it).
    assert.deepEqual(await shape(file), { soundVersion: c.soundVersion, videoZeroTerminator: c.videoZeroTerminator, esdsIn: c.esdsIn });
    const probed = probe(file);
    const loaded = await loadPresentation([file]);
    const video = loaded.presentation.streams.find((s) => s.type === 'video')!;
    const audio = loaded.presentation.streams.find((s) => s.type === 'audio')!;
    const v = probed.find((p) => p.codec_name === 'h264')!;
    const a = probed.find((p) => p.codec_name === 'aac')!;
    assert.deepEqual([video.qualityLevels[0]!.maxWidth, video.qualityLevels[0]!.maxHeight], [v.width, v.height]);
    assert.deepEqual([audio.qualityLevels[0]!.samplingRate, audio.qualityLevels[0]!.channels], [Number(a.sample_rate), a.channels]);
    const track = loaded.sources[0]!.tracks.find((t) => t.kind === 'audio')!;
    // The sample entry itself, not only the AudioSpecificConfig: version 2 keeps the real rate in its own fields.
    assert.deepEqual([track.sampleRate, track.channels], [Number(a.sample_rate), a.channels]);
    assert.equal(loaded.sources[0]!.tracks.find((t) => t.kind === 'video')!.codec, v.codec_tag_string);
  });
}

test('avc3.mp4 (GStreamer stream-format=avc3): in-band parameter sets only, refused by what it is and how to fix it', async () => {
  const file = join(DIR, 'avc3.mp4');
  const b = new Uint8Array(await readFile(file));
  const avcC = walkBoxes(b).find((x) => x.type === 'avcC');
  // The tests' walker does not descend into avc3: find avcC by its type bytes.
  const at = avcC?.start ?? [...b.keys()].find((i) => b[i + 4] === 0x61 && b[i + 5] === 0x76 && b[i + 6] === 0x63 && b[i + 7] === 0x43)!;
  assert.equal(b[at + 8 + 5]! & 0x1f, 0, 'the fixture\'s avcC has no SPS');
  await assert.rejects(loadPresentation([file]), (e: unknown) => {
    assert.ok(e instanceof SmoothpubError);
    assert.equal(e.code, 'input.unsupported-codec');
    assert.match(e.message, /^unsupported H\.264 \(avc3\) whose avcC carries 0 SPS and 0 PPS: its parameter sets are only in the samples/);
    assert.match(e.message, /ffmpeg -i IN -c copy -bsf:v h264_mp4toannexb -tag:v avc1 OUT\.mp4/);
    assert.match(e.message, /supported: H\.264 video \(avc1, or avc3 whose avcC carries its SPS and PPS\) and AAC \(mp4a\), AC-3 \(ac-3\) and E-AC-3 \(ec-3\) audio/);
    assert.equal(e.context.file, file);
    return true;
  });
});
