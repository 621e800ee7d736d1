import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import type { SampleEntry } from '../../src/bmff/stsd.js';
import { codecsFor, frameRateOf, sarOf } from '../../src/formats/codecs.js';
import { languageTag } from '../../src/formats/languageTag.js';
import { indexFile } from '../../src/fragments/indexFile.js';
import { SmoothpubError } from '../../src/errors.js';

const FIX = resolve('test/fixtures');

const hex = (bytes: ArrayLike<number>): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

async function entryOf(file: string, kind: 'video' | 'audio'): Promise<SampleEntry> {
  const track = (await indexFile(`${FIX}/${file}`)).tracks.find((t) => t.kind === kind);
  assert.ok(track, `${file} has a ${kind} track`);
  return track.sampleEntry;
}

function isUnsupported(pattern: RegExp): (e: unknown) => boolean {
  return (e) => e instanceof SmoothpubError && e.code === 'input.unsupported-codec' && pattern.test(e.message);
}

test('codecsFor H.264: the entry format and the SPS profile, constraint and level bytes (avcC copies them)', async () => {
  for (const [file, format] of [['clean/v400.ismv', 'avc1'], ['users/v120.ismv', 'avc1'], ['othertools/avc3-avcc.mp4', 'avc3']] as const) {
    const entry = await entryOf(file, 'video');
    const sps = entry.avcC!.sps[0]!;
    // The SPS's own bytes 1-3 (after the NAL header), not the avcC fields codecsFor reads.
    assert.equal(codecsFor(entry), `${format}.${hex(sps.subarray(1, 4))}`, file);
  }
  assert.equal(codecsFor(await entryOf('clean/v400.ismv', 'video')), 'avc1.64000c'); // High, level 1.2 (ffprobe: profile High, level 12)
  // An encrypted entry (Shaka Packager's encv of clean/v120.ismv) has the codecs of its clear format.
  assert.equal(codecsFor(await entryOf('protected/cenc/video.mp4', 'video')), codecsFor(await entryOf('clean/v120.ismv', 'video')));
  assert.equal(codecsFor(await entryOf('protected/cbcs/audio.mp4', 'audio')), 'mp4a.40.2');
});

test('codecsFor AAC: mp4a.40.<audioObjectType> from the AudioSpecificConfig; explicit SBR and PS give 5 and 29', async () => {
  assert.equal(codecsFor(await entryOf('clean/audio.isma', 'audio')), 'mp4a.40.2');
  assert.equal(codecsFor(await entryOf('users/v400.ismv', 'audio')), 'mp4a.40.2');
  const aac = (decoderSpecificInfo: number[], objectTypeIndication = 0x40): SampleEntry => ({
    format: 'mp4a',
    channelCount: 2,
    sampleSize: 16,
    sampleRate: 48000,
    esds: { type: 'esds', objectTypeIndication, maxBitrate: 0, avgBitrate: 0, decoderSpecificInfo: Uint8Array.from(decoderSpecificInfo) },
  });
  // 00010 0011 0010 000: AAC-LC, 48 kHz, stereo.
  assert.equal(codecsFor(aac([0x11, 0x90])), 'mp4a.40.2');
  // 00101 0110 0010 0011 00010: SBR, 24 kHz core, stereo, 48 kHz extension, AAC-LC core.
  assert.equal(codecsFor(aac([0x2b, 0x11, 0x88])), 'mp4a.40.5');
  // 11101 0110 0001 0011 00010: PS, 24 kHz core, mono, 48 kHz extension, AAC-LC core.
  assert.equal(codecsFor(aac([0xeb, 0x09, 0x88])), 'mp4a.40.29');
  // MPEG-2 AAC LC names its object type in the esds alone.
  assert.equal(codecsFor(aac([], 0x67)), 'mp4a.67');
  assert.throws(() => codecsFor(aac([0x11, 0x90], 0x6b)), isUnsupported(/0x6b.*MP3/));
  assert.throws(() => codecsFor(aac([0x61, 0x90])), isUnsupported(/object type 12/));
});

test('codecsFor refuses what smoothpub does not package, naming the format', () => {
  assert.throws(() => codecsFor({ format: 'av01', width: 64, height: 64 }), isUnsupported(/'av01' \(AV1\)/));
  assert.throws(() => codecsFor({ format: 'ec-3', channelCount: 6, sampleSize: 16, sampleRate: 48000 }), isUnsupported(/'ec-3' \(E-AC-3\) without its dec3 box/));
  // An encrypted entry is judged by its original format (sinf/frma), and without one refused.
  assert.throws(() => codecsFor({ format: 'encv', originalFormat: 'vp09' }), isUnsupported(/'vp09' \(VP9\)/));
  assert.throws(() => codecsFor({ format: 'encv' }), isUnsupported(/encrypted track \(encv\) without an original format/));
  assert.throws(() => codecsFor({ format: 'mp4a' }), isUnsupported(/without an esds/));
});

test('frameRateOf: integer and NTSC rates through per-frame tick rounding, else the exact reduced fraction', () => {
  const cases: [number, bigint, number, string | undefined][] = [
    [192, 80_000_000n, 10_000_000, '24'], // 8 s at 24 fps
    [48, 48n * 416_666n, 10_000_000, '24'], // each frame rounded down to a whole 100 ns
    [240, 80_080_000n, 10_000_000, '30000/1001'], // 29.97 fps, 8.008 s
    [240, 240n * 1001n, 30_000, '30000/1001'],
    [24, 1001n, 1000, '24000/1001'], // millisecond clock: 41 or 42 ms a frame; 24 fps is 1 ms off, 23.976 exact
    [24, 1000n, 1000, '24'],
    [250, 900_000n, 90_000, '25'],
    [600, 10_010_000n, 1_000_000, '60000/1001'],
    [25, 2000n, 1000, '25/2'], // 12.5 fps: no integer or NTSC rate within a tick a frame
    [3, 1000n, 10_000_000, '30000'], // a rate beyond the candidates
    [0, 1000n, 1000, undefined],
    [10, 0n, 1000, undefined],
  ];
  for (const [count, duration, timescale, expected] of cases) assert.equal(frameRateOf(count, duration, timescale), expected, `${count} frames in ${duration} at ${timescale}`);
});

test('sarOf: the pasp ratio in lowest terms, 1:1 without one', async () => {
  assert.equal(sarOf({ format: 'avc1' }), '1:1');
  assert.equal(sarOf({ format: 'avc1', pasp: { type: 'pasp', hSpacing: 16, vSpacing: 15 } }), '16:15');
  assert.equal(sarOf({ format: 'avc1', pasp: { type: 'pasp', hSpacing: 64, vSpacing: 60 } }), '16:15');
  assert.equal(sarOf({ format: 'avc1', pasp: { type: 'pasp', hSpacing: 0, vSpacing: 0 } }), '1:1');
  const entry = await entryOf('clean/v400.ismv', 'video');
  assert.deepEqual(entry.pasp, { type: 'pasp', hSpacing: 1, vSpacing: 1 }); // ffmpeg writes one
  assert.equal(sarOf(entry), '1:1');
});

test('languageTag: ISO 639-2 (terminology or bibliographic) to its ISO 639-1 code, others kept, und dropped', () => {
  const cases: [string | undefined, string | undefined][] = [
    ['fra', 'fr'], ['fre', 'fr'], ['eng', 'en'], ['ENG', 'en'], ['deu', 'de'], ['ger', 'de'], ['zho', 'zh'], ['zul', 'zu'], ['aar', 'aa'],
    ['gsw', 'gsw'], ['en-US', 'en-US'], ['fr', 'fr'], ['und', undefined], ['', undefined], [undefined, undefined],
  ];
  for (const [input, expected] of cases) assert.equal(languageTag(input), expected, String(input));
});
