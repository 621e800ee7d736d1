// AC-3 and E-AC-3 in the Smooth output, judged against the sources themselves: the FourCC,
// AudioTag, CodecPrivateData, Channels and SamplingRate of each audio QualityLevel against
// the dac3/dec3 bytes found in the source file (by scanning for the box, not with
// smoothpub's reader) and against ffprobe's channel count and rate; every fragment against
// the source's own moof+mdat bytes (walked box by box). Real Smooth clients that take Dolby
// audio are not available here (GStreamer's take AACL/WMAP only): docs/architecture.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { formatFragmentUrl } from '../../src/smooth/url.js';
import { requireTools } from '../e2e/helpers.js';

const DIR = resolve('test/fixtures/dolby');

interface Case {
  name: string;
  inputs: string[];
  /** The file holding the audio, its box type and the FourCC expected. */
  audio: string;
  box: 'dac3' | 'dec3';
  fourCC: string;
  channels: number;
  /** WAVEFORMATEXTENSIBLE dwChannelMask: 5.1 (FL FR FC LFE BL BR) or stereo. */
  mask: number;
  subFormat: string;
}

const CASES: Case[] = [
  { name: 'eac3', inputs: [join(DIR, 'eac3.ism')], audio: join(DIR, 'eac3.isma'), box: 'dec3', fourCC: 'EC-3', channels: 6, mask: 0x3f, subFormat: 'AF87FBA7022DFB42A4D405CD93843BDD' },
  { name: 'ac3', inputs: [join(DIR, 'ac3.ism')], audio: join(DIR, 'ac3.isma'), box: 'dac3', fourCC: 'AC-3', channels: 2, mask: 0x3, subFormat: '2C806DE046DBCF11B4D100805F6CBBEA' },
  { name: 'eac3.mp4', inputs: [join(DIR, 'eac3.mp4')], audio: join(DIR, 'eac3.mp4'), box: 'dec3', fourCC: 'EC-3', channels: 6, mask: 0x3f, subFormat: 'AF87FBA7022DFB42A4D405CD93843BDD' },
  { name: 'ac3.mp4', inputs: [join(DIR, 'ac3.mp4')], audio: join(DIR, 'ac3.mp4'), box: 'dac3', fourCC: 'AC-3', channels: 2, mask: 0x3, subFormat: '2C806DE046DBCF11B4D100805F6CBBEA' },
];

/** The payload of the first `type` box in the file, found by its type and size alone. */
function boxPayload(file: Buffer, type: string): Buffer {
  const at = file.indexOf(type) - 4;
  assert.ok(at >= 0, `${type} in the source`);
  return file.subarray(at + 8, at + file.readUInt32BE(at));
}

/** The top-level moof+mdat pairs of a fragmented file, in file order. */
function sourceFragments(file: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < file.length; ) {
    const size = file.readUInt32BE(at);
    const type = file.toString('latin1', at + 4, at + 8);
    assert.ok(size >= 8, `top-level box at ${at}`);
    if (type === 'moof') {
      const mdatSize = file.readUInt32BE(at + size);
      assert.equal(file.toString('latin1', at + size + 4, at + size + 8), 'mdat');
      out.push(file.subarray(at, at + size + mdatSize));
      at += size + mdatSize;
    } else {
      at += size;
    }
  }
  return out;
}

for (const c of CASES) {
  test(`Smooth ${c.name}: ${c.fourCC} level from the source's ${c.box}; fragments are the source's bytes`, async (t) => {
    const out = join(await mkdtemp(join(tmpdir(), 'smoothpub-dolby-')), `${c.name}.ism`);
    await packagePresentation({ inputs: c.inputs, outDir: out });
    const manifest = readManifest(await readFile(join(out, 'Manifest'), 'utf8'));
    const audio = manifest.streams.find((s) => s.type === 'audio');
    assert.ok(audio, 'an audio StreamIndex');
    assert.equal(audio.qualityLevels.length, 1);
    const q = audio.qualityLevels[0]!;
    const source = await readFile(c.audio);
    const config = boxPayload(source, c.box);

    assert.equal(q.fourCC, c.fourCC);
    assert.equal(q.audioTag, 65534, 'WAVE_FORMAT_EXTENSIBLE');
    assert.equal(q.bitsPerSample, 16);
    assert.equal(q.channels, c.channels);
    assert.equal(q.samplingRate, 48000);
    // CodecPrivateData: the WAVEFORMATEXTENSIBLE extension, then the box payload as it is.
    const cpd = Buffer.from(q.codecPrivateData, 'hex');
    assert.equal(q.codecPrivateData, q.codecPrivateData.toUpperCase());
    assert.equal(cpd.readUInt16LE(0), 1536, 'wSamplesPerBlock');
    assert.equal(cpd.readUInt32LE(2), c.mask, 'dwChannelMask');
    assert.equal(cpd.subarray(6, 22).toString('hex').toUpperCase(), c.subFormat, 'SubFormat');
    assert.deepEqual(cpd.subarray(22), config, `the source's ${c.box} payload`);
    // PacketSize: one syncframe, the data rate over 1536 samples at 48 kHz.
    const kbps = c.box === 'dec3' ? config.readUInt16BE(0) >> 3 : [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 576, 640][(config.readUInt16BE(1) >> 5) & 0x1f]!;
    assert.equal(q.packetSize, kbps * 4);
    // The sample entry itself says 2 channels for 5.1 (ffmpeg): the level does not follow it.
    const entry = source.indexOf(c.box === 'dec3' ? 'ec-3' : 'ac-3') - 4;
    assert.equal(source.readUInt16BE(entry + 8 + 16), 2, 'the sample entry\'s channelcount');

    if (c.audio.endsWith('.isma')) {
      const fragments = sourceFragments(source);
      assert.equal(fragments.length, audio.chunks.length);
      for (const [i, chunk] of audio.chunks.entries()) {
        const bytes = await readFile(join(out, formatFragmentUrl(audio.url, q.bitrate, chunk.t)));
        assert.ok(bytes.equals(fragments[i]!), `fragment ${i} (t=${chunk.t}) is the source's moof+mdat`);
      }
    }

    // An independent reading of the stream: ffprobe's channels and rate.
    if (!requireTools(t, 'ffprobe')) return;
    const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'stream=channels,sample_rate,codec_name', '-of', 'json', c.audio], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const probe = (JSON.parse(r.stdout) as { streams: { channels: number; sample_rate: string; codec_name: string }[] }).streams[0]!;
    assert.deepEqual([probe.codec_name, probe.channels, Number(probe.sample_rate)], [c.fourCC === 'EC-3' ? 'eac3' : 'ac3', q.channels, q.samplingRate]);
  });
}
