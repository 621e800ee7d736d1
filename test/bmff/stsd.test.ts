import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Stsd, readStsd, writeStsd } from '../../src/bmff/stsd.js';
import { box, fullBox } from '../../src/bmff/writer.js';
import { ascii, readBack, smoothpubError } from './helpers.js';
import { AVCC, AVCC_BYTES, ESDS, ESDS_BYTES } from './codecConfigs.js';

test('writeStsd with an avc1 entry and its avcC', () => {
  const stsd: Stsd = { type: 'stsd', entries: [{ format: 'avc1', width: 64, height: 64, avcC: AVCC }] };
  const bytes = writeStsd(stsd);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 130, // size
    ...ascii('stsd'),
    0, 0, 0, 0, // version, flags
    0, 0, 0, 1, // entry_count
    0, 0, 0, 114, // avc1 size
    ...ascii('avc1'),
    0, 0, 0, 0, 0, 0, 0, 1, // reserved, data_reference_index
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // pre_defined, reserved, pre_defined[3]
    0, 64, 0, 64, // width, height
    0, 0x48, 0, 0, 0, 0x48, 0, 0, // horizresolution, vertresolution: 72 dpi
    0, 0, 0, 0, // reserved
    0, 1, // frame_count
    ...new Array<number>(32).fill(0), // compressorname
    0, 0x18, // depth
    0xff, 0xff, // pre_defined -1
    ...AVCC_BYTES));
  assert.deepEqual(readBack(bytes, readStsd).box, stsd);
});

test('writeStsd with an mp4a entry and its esds', () => {
  const stsd: Stsd = { type: 'stsd', entries: [{ format: 'mp4a', channelCount: 2, sampleSize: 16, sampleRate: 48000, esds: ESDS }] };
  const bytes = writeStsd(stsd);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 91, // size
    ...ascii('stsd'),
    0, 0, 0, 0, // version, flags
    0, 0, 0, 1, // entry_count
    0, 0, 0, 75, // mp4a size
    ...ascii('mp4a'),
    0, 0, 0, 0, 0, 0, 0, 1, // reserved, data_reference_index
    0, 0, 0, 0, 0, 0, 0, 0, // version 0, revision, vendor
    0, 2, // channelcount
    0, 16, // samplesize
    0, 0, 0, 0, // pre_defined, reserved
    0xbb, 0x80, 0, 0, // samplerate 48000.0
    ...ESDS_BYTES));
  assert.deepEqual(readBack(bytes, readStsd).box, stsd);
});

test('writeStsd with several entries, an encrypted one and an unknown format', () => {
  const stsd: Stsd = {
    type: 'stsd',
    entries: [
      { format: 'encv', width: 1280, height: 720, avcC: AVCC, originalFormat: 'avc1' },
      { format: 'mp4a', channelCount: 1, sampleSize: 16, sampleRate: 44100, esds: ESDS },
      { format: 'tx3g' },
    ],
  };
  const bytes = writeStsd(stsd);
  const sinf = box('sinf', box('frma', Uint8Array.from(ascii('avc1'))));
  assert.deepEqual(sinf, Uint8Array.of(0, 0, 0, 20, ...ascii('sinf'), 0, 0, 0, 12, ...ascii('frma'), ...ascii('avc1')));
  assert.equal(bytes.length, 16 + (8 + 78 + 28 + 20) + 75 + 16);
  assert.deepEqual(readBack(bytes, readStsd).box, stsd);
});

test('writeStsd refuses entries missing what their format needs', () => {
  assert.throws(() => writeStsd({ entries: [{ format: 'avc1', height: 64 }] }), smoothpubError('bmff.bad-box'));
  assert.throws(() => writeStsd({ entries: [{ format: 'mp4a', channelCount: 2, sampleSize: 16 }] }), smoothpubError('bmff.bad-box'));
  assert.throws(() => writeStsd({ entries: [{ format: 'mp4a', channelCount: 2, sampleSize: 16, sampleRate: 96000 }] }), smoothpubError('bmff.bad-box'));
});

test('readStsd stops at the entries present and reports a short entry at its absolute offset', () => {
  const oneOfTwo = fullBox('stsd', 0, 0, Uint8Array.of(0, 0, 0, 2), box('tx3g', new Uint8Array(8)));
  assert.deepEqual(readBack(oneOfTwo, readStsd).box, { type: 'stsd', entries: [{ format: 'tx3g' }] });
  // an avc1 entry of 20 payload bytes: the visual fields after the first 8 are missing
  const short = fullBox('stsd', 0, 0, Uint8Array.of(0, 0, 0, 1), box('avc1', new Uint8Array(20)));
  assert.throws(() => readBack(short, readStsd, 421), smoothpubError('bmff.truncated-box', 421 + 8 + 4 + 4 + 8 + 8));
});

/** An `stsd` of `version` holding one sample entry of `format` with these payload bytes. */
const stsdWith = (format: string, payload: number[], version = 0): Uint8Array => fullBox('stsd', version, 0, Uint8Array.of(0, 0, 0, 1), box(format, Uint8Array.from(payload)));

/** The visual fields of an avc1 entry (78 bytes after the box header): 64x64. */
const VISUAL_FIELDS = [
  0, 0, 0, 0, 0, 0, 0, 1, // reserved, data_reference_index
  ...new Array<number>(16).fill(0), // pre_defined, reserved
  0, 64, 0, 64, // width, height
  0, 0x48, 0, 0, 0, 0x48, 0, 0, // 72 dpi
  0, 0, 0, 0, 0, 1, // reserved, frame_count
  ...new Array<number>(32).fill(0), // compressorname
  0, 0x18, 0xff, 0xff, // depth, pre_defined
];

test('readStsd: GStreamer qtmux ends the avc1 children with a 32-bit zero; other stray bytes are an error', () => {
  // qtmux 1.22: avcC, btrt, colr, fiel, pasp, then 00 00 00 00.
  const qt = stsdWith('avc1', [...VISUAL_FIELDS, ...AVCC_BYTES, ...box('pasp', Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 1)), 0, 0, 0, 0]);
  assert.deepEqual(readBack(qt, readStsd).box, { type: 'stsd', entries: [{ format: 'avc1', width: 64, height: 64, avcC: AVCC, pasp: { type: 'pasp', hSpacing: 1, vSpacing: 1 } }] });
  const stray = stsdWith('avc1', [...VISUAL_FIELDS, ...AVCC_BYTES, 0xde, 0xad, 0xbe, 0xef]);
  // at 1000 + stsd header 12 + entry_count 4 + avc1 header 8 + fields 78 + avcC 28
  assert.throws(() => readBack(stray, readStsd, 1000), smoothpubError('bmff.truncated-box', 1000 + 12 + 4 + 8 + 78 + 28));
  // A zero terminator inside the avcC-less list of the stsd itself is not a sample entry's: refused.
  const afterEntries = Uint8Array.of(...fullBox('stsd', 0, 0, Uint8Array.of(0, 0, 0, 2), box('avc1', Uint8Array.from(VISUAL_FIELDS)), Uint8Array.of(0, 0, 0, 0)));
  assert.throws(() => readBack(afterEntries, readStsd), smoothpubError('bmff.truncated-box'));
});

/** The esds ffmpeg 5.1 writes in a .mov (descriptor sizes in 4-byte form), AAC-LC 48 kHz stereo. */
const MOV_ESDS = [
  0, 0, 0, 54, ...ascii('esds'), 0, 0, 0, 0,
  0x03, 0x80, 0x80, 0x80, 0x25, 0, 2, 0, // ES_Descriptor, ES_ID 2, flags
  0x04, 0x80, 0x80, 0x80, 0x17, 0x40, 0x15, 0, 0, 0, 0, 0, 0xfc, 0xf2, 0, 0, 0xfc, 0xf2, // DecoderConfigDescriptor: MPEG-4 audio, max and avg 64754 bit/s
  0x05, 0x80, 0x80, 0x80, 0x05, 0x11, 0x90, 0x56, 0xe5, 0x00, // AudioSpecificConfig
  0x06, 0x80, 0x80, 0x80, 0x01, 0x02, // SLConfigDescriptor
];
const MOV_ESDS_READ = { type: 'esds', objectTypeIndication: 0x40, maxBitrate: 0xfcf2, avgBitrate: 0xfcf2, decoderSpecificInfo: Uint8Array.of(0x11, 0x90, 0x56, 0xe5, 0x00) };

/** QuickTime's 'wave' atom as ffmpeg and qtmux write it: frma, a 12-byte mp4a atom, esds, terminator atom. */
const WAVE = [...box('wave', Uint8Array.of(...box('frma', Uint8Array.from(ascii('mp4a'))), ...box('mp4a', new Uint8Array(4)), ...MOV_ESDS, 0, 0, 0, 8, 0, 0, 0, 0))];

test('readStsd: QuickTime sound description version 1 (ffmpeg .mov, qtmux) adds 16 bytes and keeps the esds in wave', () => {
  const v1 = stsdWith('mp4a', [
    0, 0, 0, 0, 0, 0, 0, 1, // reserved, data_reference_index
    0, 1, 0, 0, 0, 0, 0, 0, // version 1, revision, vendor
    0, 2, 0, 16, // channels, sample size
    0xff, 0xfe, 0, 0, // compression_id -2, packet_size
    0xbb, 0x80, 0, 0, // 48000.0
    0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, // samples per packet 1024, bytes per packet, frame, sample 2
    ...WAVE,
    ...box('chan', new Uint8Array(16)),
  ]);
  assert.deepEqual(readBack(v1, readStsd).box, { type: 'stsd', entries: [{ format: 'mp4a', channelCount: 2, sampleSize: 16, sampleRate: 48000, esds: MOV_ESDS_READ }] });
});

test('readStsd: sound description version 2 (ffmpeg .mov at 96 kHz) takes rate and channels from its own 36 bytes', () => {
  const v2 = stsdWith('mp4a', [
    0, 0, 0, 0, 0, 0, 0, 1,
    0, 2, 0, 0, 0, 0, 0, 0, // version 2
    0, 3, 0, 16, 0xff, 0xfe, 0, 0, // always 3, always 16, always -2, always 0
    0, 1, 0, 0, // always 65536 (1.0 Hz)
    0, 0, 0, 72, // sizeOfStructOnly
    0x40, 0xf7, 0x70, 0, 0, 0, 0, 0, // audioSampleRate 96000.0 (float64)
    0, 0, 0, 2, // numAudioChannels
    0x7f, 0, 0, 0, // always 0x7F000000
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // bits per channel (0: compressed), flags, bytes and frames per packet
    ...WAVE,
  ]);
  assert.deepEqual(readBack(v2, readStsd).box, { type: 'stsd', entries: [{ format: 'mp4a', channelCount: 2, sampleSize: 16, sampleRate: 96000, esds: MOV_ESDS_READ }] });
});

test('readStsd: ISO AudioSampleEntryV1 (stsd version 1) adds no fields; unknown versions are refused', () => {
  const iso = stsdWith('mp4a', [
    0, 0, 0, 0, 0, 0, 0, 1,
    0, 1, 0, 0, 0, 0, 0, 0, // entry_version 1, reserved
    0, 2, 0, 16, 0, 0, 0, 0,
    0xbb, 0x80, 0, 0,
    ...MOV_ESDS,
  ], 1);
  assert.deepEqual(readBack(iso, readStsd).box, { type: 'stsd', entries: [{ format: 'mp4a', channelCount: 2, sampleSize: 16, sampleRate: 48000, esds: MOV_ESDS_READ }] });
  const v3 = stsdWith('mp4a', [0, 0, 0, 0, 0, 0, 0, 1, 0, 3, ...new Array<number>(18).fill(0)]);
  assert.throws(() => readBack(v3, readStsd, 200), smoothpubError('bmff.bad-box', 200 + 12 + 4 + 8 + 8));
});

test('writeStsd writes a visual entry pasp after its avcC, and reads it back', () => {
  const stsd: Stsd = { type: 'stsd', entries: [{ format: 'avc1', width: 720, height: 576, avcC: AVCC, pasp: { type: 'pasp', hSpacing: 16, vSpacing: 15 } }] };
  const bytes = writeStsd(stsd);
  assert.deepEqual([...bytes.subarray(-16)], [0, 0, 0, 16, ...ascii('pasp'), 0, 0, 0, 16, 0, 0, 0, 15]);
  assert.equal(bytes.length, 130 + 16);
  assert.deepEqual(readBack(bytes, readStsd).box, stsd);
});
