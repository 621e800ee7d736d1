import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readManifest, writeManifest } from '../../src/smooth/index.js';
import type { Presentation } from '../../src/smooth/index.js';
import { SmoothpubError } from '../../src/errors.js';

/** Two video levels and one AAC level; audio starts late (priming) and video has a gap. */
function samplePresentation(): Presentation {
  return {
    majorVersion: 2,
    minorVersion: 2,
    timeScale: 10_000_000,
    duration: 60_000_000n,
    streams: [
      {
        type: 'video',
        name: 'video',
        url: 'QualityLevels({bitrate})/Fragments(video={start time})',
        maxWidth: 1280,
        maxHeight: 720,
        displayWidth: 1280,
        displayHeight: 720,
        qualityLevels: [
          { index: 0, bitrate: 2962000, fourCC: 'H264', maxWidth: 1280, maxHeight: 720, codecPrivateData: '000000016764001FACD9405005BA10000003001000000303C0F18319600000000168EBECB22C' },
          { index: 1, bitrate: 477000, fourCC: 'H264', maxWidth: 640, maxHeight: 360, codecPrivateData: '000000016742C01E' + '0000000168CE3C80' },
        ],
        chunks: [
          { t: 0n, d: 20_000_000n },
          { t: 20_000_000n, d: 20_000_000n },
          { t: 45_000_000n, d: 15_000_000n },
        ],
      },
      {
        type: 'audio',
        name: 'audio_eng',
        language: 'eng',
        url: 'QualityLevels({bitrate})/Fragments(audio_eng={start time})',
        qualityLevels: [
          { index: 0, bitrate: 128000, fourCC: 'AACL', samplingRate: 48000, channels: 2, bitsPerSample: 16, packetSize: 4, audioTag: 255, codecPrivateData: '1190' },
        ],
        chunks: [
          { t: 213333n, d: 20_053_334n },
          { t: 20_266_667n, d: 19_946_666n },
          { t: 40_213_333n, d: 19_786_667n },
        ],
      },
    ],
  };
}

test('writeManifest writes the exact client manifest text', () => {
  assert.equal(
    writeManifest(samplePresentation()),
    [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<SmoothStreamingMedia MajorVersion="2" MinorVersion="2" TimeScale="10000000" Duration="60000000">',
      '  <StreamIndex Type="video" Name="video" Chunks="3" QualityLevels="2" Url="QualityLevels({bitrate})/Fragments(video={start time})" MaxWidth="1280" MaxHeight="720" DisplayWidth="1280" DisplayHeight="720">',
      '    <QualityLevel Index="0" Bitrate="2962000" FourCC="H264" MaxWidth="1280" MaxHeight="720" CodecPrivateData="000000016764001FACD9405005BA10000003001000000303C0F18319600000000168EBECB22C"/>',
      '    <QualityLevel Index="1" Bitrate="477000" FourCC="H264" MaxWidth="640" MaxHeight="360" CodecPrivateData="000000016742C01E0000000168CE3C80"/>',
      // t on the first chunk always; omitted on the second (0 + 2 s); back after the gap.
      '    <c t="0" d="20000000"/>',
      '    <c d="20000000"/>',
      '    <c t="45000000" d="15000000"/>',
      '  </StreamIndex>',
      '  <StreamIndex Type="audio" Name="audio_eng" Language="eng" Chunks="3" QualityLevels="1" Url="QualityLevels({bitrate})/Fragments(audio_eng={start time})">',
      '    <QualityLevel Index="0" Bitrate="128000" FourCC="AACL" SamplingRate="48000" Channels="2" BitsPerSample="16" PacketSize="4" AudioTag="255" CodecPrivateData="1190"/>',
      // The first chunk starts late: its t is written, or clients would ask for Fragments(audio_eng=0).
      '    <c t="213333" d="20053334"/>',
      '    <c d="19946666"/>',
      '    <c d="19786667"/>',
      '  </StreamIndex>',
      '</SmoothStreamingMedia>',
      '',
    ].join('\n'),
  );
});

test('round trip: readManifest(writeManifest(p)) equals p', () => {
  const p = samplePresentation();
  assert.deepEqual(readManifest(writeManifest(p)), p);
});

test('round trip with every optional field, live attributes, protection and a text stream', () => {
  const p: Presentation = {
    majorVersion: 2,
    minorVersion: 2,
    timeScale: 10_000_000,
    duration: 0n,
    isLive: true,
    lookaheadCount: 2,
    dvrWindowLength: 1_200_000_000n,
    streams: [
      {
        type: 'text',
        name: 'subs & "captions"',
        subtype: 'CAPT',
        language: 'fr-CA',
        timeScale: 1000,
        url: 'QualityLevels({bitrate})/Fragments(text={start time})',
        qualityLevels: [{ index: 3, bitrate: 1000, fourCC: 'TTML', codecPrivateData: '' }],
        chunks: [{ t: 17_000_000_000_000_000_000n, d: 2000n }],
      },
      {
        type: 'video',
        name: 'v',
        url: 'QualityLevels({bitrate})/Fragments(v={start time})',
        qualityLevels: [{ index: 0, bitrate: 4294967295, fourCC: 'AVC1', codecPrivateData: '00', nalUnitLengthField: 2 }],
        chunks: [],
      },
    ],
    protection: [{ systemId: '9a04f079-9840-4286-ab92-e65be0885f95', data: 'AAAA+/==' }],
  };
  const xml = writeManifest(p);
  assert.match(xml, /IsLive="TRUE" LookaheadCount="2" LookAheadFragmentCount="2" DVRWindowLength="1200000000"/);
  assert.match(xml, /t="17000000000000000000"/); // bigint, no exponent
  assert.deepEqual(readManifest(xml), p);
});

test('repeat option compresses contiguous equal chunks with r (the total count)', () => {
  const p = samplePresentation();
  const video = p.streams[0];
  assert.ok(video);
  video.chunks = [0n, 1n, 2n, 3n, 5n, 6n].map((k) => ({ t: k * 20_000_000n, d: 20_000_000n }));
  video.chunks.push({ t: 140_000_000n, d: 10_000_000n });
  const xml = writeManifest(p, { repeat: true });
  assert.ok(xml.includes(['    <c t="0" d="20000000" r="4"/>', '    <c t="100000000" d="20000000" r="2"/>', '    <c d="10000000"/>'].join('\n')), xml);
  assert.deepEqual(readManifest(xml), p);
  assert.ok(!writeManifest(p).includes(' r="'), 'no r unless asked');
});

test('repeat needs MinorVersion 2', () => {
  const p = { ...samplePresentation(), minorVersion: 0 };
  assert.throws(() => writeManifest(p, { repeat: true }), (e: unknown) => e instanceof SmoothpubError && e.code === 'cli.bad-option' && /MinorVersion 0/.test(e.message));
  assert.match(writeManifest(p), /MinorVersion="0"/);
});

test('negative times and non-integer numbers are refused, not written', () => {
  const p = samplePresentation();
  p.streams[1]?.chunks.unshift({ t: -213333n, d: 213333n });
  assert.throws(() => writeManifest(p), (e: unknown) => e instanceof SmoothpubError && e.code === 'smooth.bad-manifest' && /audio_eng' chunk 0 t/.test(e.message));
  const q = samplePresentation();
  const level = q.streams[0]?.qualityLevels[0];
  assert.ok(level);
  level.bitrate = 1.5;
  assert.throws(() => writeManifest(q), /Bitrate must be a non-negative integer, found 1.5/);
  assert.throws(() => writeManifest({ ...q, streams: [] }), /expected at least one stream, found none/);
});
