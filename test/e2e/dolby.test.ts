// AC-3 and E-AC-3 through DASH and HLS, played by real clients: GStreamer's playbin
// (dashdemux, hlsdemux) and playbin3 (dashdemux2, hlsdemux2) with avdec_eac3/avdec_ac3, and
// ffmpeg. Each must decode every channel (5.1 for E-AC-3: the sample entry says 2, only dec3
// says 3/2+LFE) and exactly the samples decoding the source gives: the same client's decode
// of the source file is the reference (GStreamer's playbin on file://, ffmpeg on the file),
// compared as 32-bit float PCM, so no dithering or conversion can blur it. Every channel
// carries its own tone (scripts/make-fixtures.sh: 440, 550, 660, 80 (LFE), 770, 880 Hz),
// which the decoded channels must all show. GStreamer's Smooth demuxers take no Dolby
// audio and Chromium decodes none (docs/architecture.md): the Smooth output is checked
// structurally in test/package/dolby.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FORMATS } from '../../src/formats/model.js';
import { initKey } from '../../src/formats/names.js';
import { parseKeyOption } from '../../src/protect/keys.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { formatFragmentUrl } from '../../src/smooth/url.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { startStaticServer } from '../../src/play/staticServer.js';
import { documentOf, type Playbin, type StreamingFormat } from './formatClients.js';
import { countVideoFrames, failedRequests, gstResult, mapLimit, requireTools, retryTransientFailure, run } from './helpers.js';

const DIR = resolve('test/fixtures/dolby');

interface Source {
  name: string;
  inputs: string[];
  /** The file whose audio the clients decode for reference, and the one with the video. */
  audio: string;
  video: string;
  channels: number;
  /** Each channel's tone, whatever order a client puts the channels in. */
  tones: number[];
}

const SOURCES: Source[] = [
  { name: 'eac3', inputs: [join(DIR, 'eac3.ism')], audio: join(DIR, 'eac3.isma'), video: join(DIR, 'video.ismv'), channels: 6, tones: [80, 440, 550, 660, 770, 880] },
  { name: 'ac3', inputs: [join(DIR, 'ac3.ism')], audio: join(DIR, 'ac3.isma'), video: join(DIR, 'video.ismv'), channels: 2, tones: [440, 550] },
  // Plain MP4: fragments cut from the sample tables, the dec3 from its moov.
  { name: 'eac3-mp4', inputs: [join(DIR, 'eac3.mp4')], audio: join(DIR, 'eac3.mp4'), video: join(DIR, 'eac3.mp4'), channels: 6, tones: [80, 440, 550, 660, 770, 880] },
];

const playbins: Playbin[] = ['playbin', 'playbin3'];
const formats: StreamingFormat[] = ['dash', 'hls'];

let tmp: string;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'smoothpub-e2e-dolby-'));
  for (const s of SOURCES) await packagePresentation({ inputs: s.inputs, outDir: join(tmp, s.name, 'video.ism'), formats: [...FORMATS] });
});

after(() => rm(tmp, { recursive: true, force: true }));

/** A WAV file's format and samples (32-bit float, interleaved). */
interface Wav {
  channels: number;
  rate: number;
  bits: number;
  data: Buffer;
}

function readWav(bytes: Buffer, what: string): Wav {
  assert.equal(bytes.toString('latin1', 0, 4), 'RIFF', `${what}: a WAV file (${bytes.length} bytes)`);
  let fmt: Omit<Wav, 'data'> | undefined;
  for (let at = 12; at + 8 <= bytes.length; ) {
    const id = bytes.toString('latin1', at, at + 4);
    // ffmpeg writing to a pipe-like output may leave the data size at its maximum.
    const size = Math.min(bytes.readUInt32LE(at + 4), bytes.length - at - 8);
    if (id === 'fmt ') fmt = { channels: bytes.readUInt16LE(at + 10), rate: bytes.readUInt32LE(at + 12), bits: bytes.readUInt16LE(at + 22) };
    if (id === 'data') {
      assert.ok(fmt, `${what}: fmt before data`);
      return { ...fmt, data: bytes.subarray(at + 8, at + 8 + size) };
    }
    at += 8 + size + (size & 1);
  }
  throw new Error(`${what}: no data chunk`);
}

/** Each channel's tone: upward zero crossings a second. */
function tonesOf(wav: Wav): number[] {
  const frames = Math.floor(wav.data.length / (4 * wav.channels));
  const out: number[] = [];
  for (let c = 0; c < wav.channels; c++) {
    let crossings = 0;
    let previous = 0;
    for (let i = 0; i < frames; i++) {
      const s = wav.data.readFloatLE((i * wav.channels + c) * 4);
      if (previous < 0 && s >= 0) crossings++;
      previous = s;
    }
    out.push(crossings / (frames / wav.rate));
  }
  return out.sort((a, b) => a - b);
}

function md5(b: Buffer): string {
  return createHash('md5').update(b).digest('hex');
}

/** Decoded float PCM, as the sink GStreamer's avdec_* feeds writes it (no dithering: float to float). */
const GST_WAV = (file: string): string => `audioconvert ! audio/x-raw,format=F32LE,layout=interleaved ! wavenc ! filesink location=${file}`;

async function playGst(playbin: Playbin, uri: string, wav: string): Promise<ReturnType<typeof gstResult> & { retriedAfter?: string }> {
  return retryTransientFailure(async () => gstResult(await run('gst-launch-1.0', [playbin, `uri=${uri}`, 'video-sink=checksumsink', `audio-sink=${GST_WAV(wav)}`], 60)));
}

function assertAudio(decoded: Wav, reference: Wav, s: Source, what: string): void {
  assert.equal(decoded.channels, s.channels, `${what}: decoded channels`);
  assert.equal(decoded.rate, 48000, `${what}: rate`);
  assert.equal(decoded.bits, 32, `${what}: float samples`);
  assert.equal(reference.channels, s.channels, `${what}: the source decodes to ${s.channels} channels too`);
  assert.equal(decoded.data.length, reference.data.length, `${what}: as many samples as the source's decode`);
  assert.equal(md5(decoded.data), md5(reference.data), `${what}: the same samples as the source's decode`);
  const tones = tonesOf(decoded);
  tones.forEach((hz, i) => assert.ok(Math.abs(hz - s.tones[i]!) <= s.tones[i]! * 0.02, `${what}: channel tones ${tones.map((t) => t.toFixed(1)).join(', ')}, expected ${s.tones.join(', ')}`));
}

test('GStreamer decodes the AC-3/E-AC-3 of DASH and HLS with every channel, the same samples as the source, and every video frame', { timeout: 300_000 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'ffprobe', 'timeout')) return;
  const work = await mkdtemp(join(tmp, 'gst-'));
  const references = new Map<string, Wav>();
  for (const s of SOURCES) {
    const file = join(work, `${s.name}-source.wav`);
    const r = await playGst('playbin', pathToFileURL(s.audio).href, file);
    assert.equal(r.code, 0, `source ${s.name}: ${r.stderr}`);
    references.set(s.name, readWav(await readFile(file), `source ${s.name}`));
  }
  const cases = SOURCES.flatMap((source) => formats.flatMap((format) => playbins.map((playbin) => ({ source, format, playbin }))));
  await mapLimit(cases, 2, async ({ source, format, playbin }) => {
    const what = `${source.name} ${format} ${playbin}`;
    const server = await startStaticServer({ root: join(tmp, source.name, 'video.ism'), host: '127.0.0.1', port: 0 });
    const wav = join(work, `${source.name}-${format}-${playbin}.wav`);
    try {
      const r = await playGst(playbin, `${server.url}video.ism/${documentOf[format]}`, wav);
      const tail = `${what}\n--- stderr ---\n${r.stderr.slice(-1500)}\n--- stdout ---\n${r.stdout.slice(-600)}`;
      assert.equal(r.code, 0, `exit code (124 = timed out): ${tail}`);
      assert.ok(r.eos, `reached EOS: ${tail}`);
      assert.deepEqual(failedRequests(server.requests), [], what);
      assert.equal(r.frames, await countVideoFrames(source.video, 0), `decoded video frames: ${tail}`);
      assertAudio(readWav(await readFile(wav), what), references.get(source.name)!, source, what);
    } finally {
      await server.close();
    }
  });
});

test('ffmpeg reads the AC-3/E-AC-3 of DASH and HLS: every channel, the same samples as decoding the source', { timeout: 300_000 }, async (t) => {
  if (!requireTools(t, 'ffmpeg', 'ffprobe', 'timeout')) return;
  const work = await mkdtemp(join(tmp, 'ffmpeg-'));
  for (const s of SOURCES) {
    const decode = async (input: string[], file: string, what: string): Promise<Wav> => {
      const r = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', ...input, '-map', '0:a:0', '-c:a', 'pcm_f32le', '-f', 'wav', '-y', file], 60);
      assert.equal(r.code, 0, `${what}: ${r.stderr}`);
      assert.equal(r.stderr, '', `${what}: ffmpeg reported no errors`);
      return readWav(await readFile(file), what);
    };
    const reference = await decode(['-i', s.audio], join(work, `${s.name}-source.wav`), `source ${s.name}`);
    const server = await startStaticServer({ root: join(tmp, s.name, 'video.ism'), host: '127.0.0.1', port: 0 });
    try {
      for (const format of formats) {
        const url = `${server.url}video.ism/${documentOf[format]}`;
        // HLS: ffmpeg 5.1 refuses segment URIs without a media extension unless told (README).
        const input = format === 'hls' ? ['-extension_picky', '0', '-i', url] : ['-i', url];
        const what = `${s.name} ${format} ffmpeg`;
        assertAudio(await decode(input, join(work, `${s.name}-${format}.wav`), what), reference, s, what);
      }
      assert.deepEqual(failedRequests(server.requests), [], s.name);
    } finally {
      await server.close();
    }
  }
});

test('ffmpeg decrypts the cenc and cbcs AC-3/E-AC-3 (whole-sample) to the same samples as the clear source', { timeout: 300_000 }, async (t) => {
  if (!requireTools(t, 'ffmpeg', 'timeout')) return;
  const work = await mkdtemp(join(tmp, 'protected-'));
  const key = parseKeyOption('0123456789abcdef0123456789abcdef:00112233445566778899aabbccddeeff');
  for (const s of SOURCES.filter((x) => x.audio.endsWith('.isma'))) {
    const clear = join(work, `${s.name}-source.wav`);
    const r0 = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', s.audio, '-map', '0:a:0', '-c:a', 'pcm_f32le', '-f', 'wav', '-y', clear], 60);
    assert.equal(r0.code, 0, r0.stderr);
    const reference = readWav(await readFile(clear), `source ${s.name}`);
    for (const scheme of ['cenc', 'cbcs'] as const) {
      const what = `${s.name} ${scheme}`;
      const out = join(work, `${s.name}-${scheme}`, 'video.ism');
      await packagePresentation({ inputs: s.inputs, outDir: out, formats: ['smooth', 'dash'], protection: { signal: { scheme }, keys: [key] } });
      const audio = readManifest(await readFile(join(out, 'Manifest'), 'utf8')).streams.find((x) => x.type === 'audio')!;
      const bitrate = audio.qualityLevels[0]!.bitrate;
      const parts = [await readFile(join(out, initKey(audio.name, bitrate)))];
      for (const c of audio.chunks) parts.push(await readFile(join(out, formatFragmentUrl(audio.url, bitrate, c.t))));
      const joined = join(work, `${s.name}-${scheme}.mp4`);
      await writeFile(joined, Buffer.concat(parts));
      assert.ok(parts[0]!.includes('enca'), `${what}: the init segment's entry is enca`);
      // From a pipe: ffmpeg 5.1 on a seekable concatenated fMP4 takes the wrong fragment's IVs (docs/architecture.md).
      const wav = join(work, `${s.name}-${scheme}.wav`);
      const r = await run('sh', ['-c', `ffmpeg -hide_banner -loglevel error -nostdin -decryption_key 00112233445566778899aabbccddeeff -i pipe:0 -map 0:a:0 -c:a pcm_f32le -f wav -y "${wav}" < "${joined}"`], 60);
      assert.equal(r.code, 0, `${what}: ${r.stderr}`);
      assertAudio(readWav(await readFile(wav), what), reference, s, what);
    }
  }
});
