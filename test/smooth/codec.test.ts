import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AvcC } from '../../src/bmff/avcc.js';
import type { Esds } from '../../src/bmff/esds.js';
import type { SampleEntry } from '../../src/bmff/stsd.js';
import { SmoothpubError } from '../../src/errors.js';
import { aacCodecPrivateData, fourCCFor, h264CodecPrivateData, qualityLevelFor, readAudioSpecificConfig } from '../../src/smooth/index.js';
import { SUPPORTED_CODECS } from '../../src/smooth/fourCCFor.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));

// x264 High@3.1 1280x720 parameter sets.
const SPS = hex('6764001facd9405005bb011000000300100000030300f1831960');
const PPS = hex('68ebe3cb22c0');
const avcC = (sps: Uint8Array[], pps: Uint8Array[], nalLengthSize = 4): AvcC => ({ type: 'avcC', profile: 0x64, compatibility: 0, level: 0x1f, nalLengthSize, sps, pps });
const esds = (asc: string, objectTypeIndication = 0x40): Esds => ({ type: 'esds', objectTypeIndication, maxBitrate: 0, avgBitrate: 128000, decoderSpecificInfo: hex(asc) });
const video = (format = 'avc1', config: AvcC = avcC([SPS], [PPS])): SampleEntry => ({ format, width: 1280, height: 720, avcC: config });
const audio = (config: Esds): SampleEntry => ({ format: 'mp4a', channelCount: 2, sampleSize: 16, sampleRate: 44100, esds: config });

const isCode = (code: string, message?: RegExp) => (e: unknown): boolean => e instanceof SmoothpubError && e.code === code && (message === undefined || message.test(e.message));

test('h264CodecPrivateData is 00000001 SPS 00000001 PPS in uppercase hex', () => {
  assert.equal(
    h264CodecPrivateData(avcC([SPS], [PPS])),
    '00000001' + '6764001FACD9405005BB011000000300100000030300F1831960' + '00000001' + '68EBE3CB22C0',
  );
});

test('h264CodecPrivateData puts every SPS before every PPS', () => {
  assert.equal(h264CodecPrivateData(avcC([hex('67aa'), hex('67bb')], [hex('68cc'), hex('68dd')])), '0000000167AA0000000167BB0000000168CC0000000168DD');
});

test('h264CodecPrivateData refuses avcC without parameter sets', () => {
  assert.throws(() => h264CodecPrivateData(avcC([], [])), isCode('input.unsupported-codec', /found 0 SPS and 0 PPS; supported: H\.264 video \(avc1, or avc3 whose avcC carries its SPS and PPS\)/));
  assert.throws(() => h264CodecPrivateData(avcC([SPS], [])), isCode('input.unsupported-codec'));
});

test('avc3 is supported exactly when its avcC carries SPS and PPS, and every refusal says so', () => {
  assert.equal(SUPPORTED_CODECS, 'H.264 video (avc1, or avc3 whose avcC carries its SPS and PPS), HEVC video (hvc1 or hev1 whose hvcC carries its VPS, SPS and PPS) and AAC (mp4a), AC-3 (ac-3) and E-AC-3 (ec-3) audio');
  assert.equal(fourCCFor(video('avc3')), 'H264');
  assert.equal(qualityLevelFor(video('avc3'), { index: 0, bitrate: 1 }).codecPrivateData, h264CodecPrivateData(avcC([SPS], [PPS])));
  // In-band parameter sets only (GStreamer's stream-format=avc3): refused by what it is, with the fix.
  for (const [sps, pps] of [[[], []], [[SPS], []], [[], [PPS]]] as const) {
    const entry = video('avc3', avcC([...sps], [...pps]));
    const found = new RegExp(`H\\.264 \\(avc3\\) whose avcC carries ${sps.length} SPS and ${pps.length} PPS: its parameter sets are only in the samples`);
    assert.throws(() => fourCCFor(entry), isCode('input.unsupported-codec', found));
    assert.throws(() => qualityLevelFor(entry, { index: 0, bitrate: 1 }), isCode('input.unsupported-codec', /ffmpeg -i IN -c copy -bsf:v h264_mp4toannexb -tag:v avc1 OUT\.mp4/));
  }
  // An encrypted avc3 is judged as the avc3 it is: the same refusal, the same support named.
  const encrypted: SampleEntry = { ...video('avc3', avcC([], [])), format: 'encv', originalFormat: 'avc3' };
  assert.throws(() => fourCCFor(encrypted), (e: unknown) => e instanceof SmoothpubError && /H\.264 \(avc3\) whose avcC carries 0 SPS/.test(e.message) && e.message.endsWith(`supported: ${SUPPORTED_CODECS}`));
});

test('aacCodecPrivateData is the AudioSpecificConfig in uppercase hex', () => {
  assert.equal(aacCodecPrivateData(esds('1210')), '1210');
  assert.equal(aacCodecPrivateData(esds('2b918800')), '2B918800');
  assert.throws(() => aacCodecPrivateData(esds('')), isCode('bmff.bad-box', /AudioSpecificConfig/));
});

test('readAudioSpecificConfig decodes object type, rate and channels', () => {
  assert.deepEqual(readAudioSpecificConfig(hex('1210')), { objectType: 2, samplingRate: 44100, channels: 2 });
  assert.deepEqual(readAudioSpecificConfig(hex('1190')), { objectType: 2, samplingRate: 48000, channels: 2 });
  // Explicit SBR: core 22050 Hz, output 48000 Hz.
  assert.deepEqual(readAudioSpecificConfig(hex('2b918800')), { objectType: 5, samplingRate: 48000, channels: 2 });
  // Explicit 24-bit rate (index 15), mono.
  assert.deepEqual(readAudioSpecificConfig(hex('1780bb8008')), { objectType: 2, samplingRate: 96000, channels: 1 });
  // Escaped object type 31 + 6 bits: 42 (USAC).
  assert.equal(readAudioSpecificConfig(hex('f94640')).objectType, 42);
  assert.throws(() => readAudioSpecificConfig(hex('12')), isCode('bmff.bad-box', /truncated/));
  assert.throws(() => readAudioSpecificConfig(hex('1690')), isCode('bmff.bad-box', /reserved samplingFrequencyIndex 13/));
});

test('fourCCFor: H.264 is H264 (or AVC1 on request), every AAC is AACL', () => {
  assert.equal(fourCCFor(video('avc1')), 'H264');
  assert.equal(fourCCFor(video('avc3')), 'H264');
  assert.equal(fourCCFor(video('avc1'), { h264FourCC: 'AVC1' }), 'AVC1');
  assert.equal(fourCCFor(audio(esds('1210'))), 'AACL');
  assert.equal(fourCCFor(audio(esds('2b918800'))), 'AACL');
  assert.equal(fourCCFor(audio(esds('1210', 0x67))), 'AACL');
  assert.equal(fourCCFor(audio(esds('1210', 0x66))), 'AACL');
});

test('fourCCFor refuses other codecs, naming what it found and what is supported', () => {
  const cases: [SampleEntry, RegExp][] = [
    [{ format: 'ec-3', channelCount: 6, sampleRate: 48000 }, /'ec-3' \(E-AC-3\) without its dec3 box/],
    [{ format: 'ac-3', channelCount: 2, sampleRate: 48000 }, /'ac-3' \(AC-3\) without its dac3 box/],
    [{ format: 'av01', width: 1920, height: 1080 }, /'av01' \(AV1\)/],
    [{ format: 'vp09' }, /'vp09' \(VP9\)/],
    [{ format: 'vc-1', width: 1280, height: 720 }, /'vc-1' \(VC-1\)/],
    [{ format: 'owma', channelCount: 2, sampleRate: 44100 }, /'owma' \(WMA\)/],
    [{ format: 'tx3g' }, /'tx3g'/],
    [audio(esds('', 0x6b)), /objectTypeIndication 0x6b \(MPEG audio, e.g. MP3\)/],
    [audio(esds('f94640')), /object type 42/],
    [audio(esds('')), /without an AudioSpecificConfig/],
    [{ format: 'mp4a' }, /without an esds/],
    [{ format: 'encv', originalFormat: 'vp09', width: 640, height: 360 }, /'vp09' \(VP9\)/],
    [{ format: 'enca' }, /encrypted track \(enca\) without an original format/],
  ];
  for (const [entry, found] of cases) {
    assert.throws(() => fourCCFor(entry), isCode('input.unsupported-codec', found), entry.format);
    assert.throws(() => fourCCFor(entry), new RegExp(`supported: ${SUPPORTED_CODECS.replace(/[()]/g, '\\$&')}$`));
  }
});

test('an encrypted entry (encv/enca) is described by its original format: the codec configuration stays in the clear', () => {
  const clear = video();
  const encrypted: SampleEntry = { ...clear, format: 'encv', originalFormat: clear.format };
  assert.deepEqual(qualityLevelFor(encrypted, { index: 0, bitrate: 1 }), qualityLevelFor(clear, { index: 0, bitrate: 1 }));
  assert.equal(fourCCFor(encrypted), 'H264');
});

test('qualityLevelFor describes an H.264 entry', () => {
  assert.deepEqual(qualityLevelFor(video(), { index: 1, bitrate: 2962000 }), {
    index: 1,
    bitrate: 2962000,
    fourCC: 'H264',
    maxWidth: 1280,
    maxHeight: 720,
    codecPrivateData: '000000016764001FACD9405005BB011000000300100000030300F1831960' + '0000000168EBE3CB22C0',
  });
  const short = qualityLevelFor(video('avc1', avcC([SPS], [PPS], 2)), { index: 0, bitrate: 1, h264FourCC: 'AVC1' });
  assert.equal(short.fourCC, 'AVC1');
  assert.equal(short.nalUnitLengthField, 2);
  assert.throws(() => qualityLevelFor({ format: 'avc1', width: 1, height: 1 }, { index: 0, bitrate: 1 }), isCode('bmff.missing-box', /avcC/));
});

test('qualityLevelFor describes an AAC entry as Microsoft encoders do', () => {
  assert.deepEqual(qualityLevelFor(audio(esds('1190')), { index: 0, bitrate: 128000 }), {
    index: 0,
    bitrate: 128000,
    fourCC: 'AACL',
    samplingRate: 48000, // from the AudioSpecificConfig, not the sample entry's 44100
    channels: 2,
    bitsPerSample: 16,
    packetSize: 4,
    audioTag: 255,
    codecPrivateData: '1190',
  });
  // channelConfiguration 0 (program config element): fall back to the sample entry.
  assert.equal(qualityLevelFor(audio(esds('1200')), { index: 0, bitrate: 1 }).channels, 2);
});
