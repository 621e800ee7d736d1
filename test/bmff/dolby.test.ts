import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPackageRoot } from '../../src/play/packageRoot.js';
import { readDac3, writeDac3, type Dac3 } from '../../src/bmff/dac3.js';
import { readDec3, writeDec3, type Dec3 } from '../../src/bmff/dec3.js';
import { dolbyAudioOf } from '../../src/bmff/dolbyChannels.js';
import { readStsd, writeStsd } from '../../src/bmff/stsd.js';
import { ascii, readBack, readTruncated, smoothpubError } from './helpers.js';

const AC3_STEREO_96K: Dac3 = { type: 'dac3', fscod: 0, bsid: 8, bsmod: 0, acmod: 2, lfeon: false, bitRateCode: 6 };

test('writeDac3 packs fscod, bsid, bsmod, acmod, lfeon and bit_rate_code into 3 bytes and reads back', () => {
  const bytes = writeDac3(AC3_STEREO_96K);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 11, // size
    ...ascii('dac3'),
    0b00_01000_0, // fscod 0 (48 kHz), bsid 8, bsmod's top bit
    0b00_010_0_00, // bsmod 0, acmod 2 (2/0), lfeon 0, bit_rate_code's top 2 bits
    0b110_00000)); // bit_rate_code 6 (96 kbit/s), reserved
  assert.deepEqual(readBack(bytes, readDac3).box, AC3_STEREO_96K);
});

test('readDac3 takes 3/2+LFE at 640 kbit/s, 44.1 kHz; refuses reserved codes and short boxes with typed errors', () => {
  const full: Dac3 = { type: 'dac3', fscod: 1, bsid: 8, bsmod: 7, acmod: 7, lfeon: true, bitRateCode: 18 };
  assert.deepEqual(readBack(writeDac3(full), readDac3).box, full);
  // fscod 3 is reserved: the byte 0xd0 = 11 01000 0.
  const reservedRate = Uint8Array.of(0, 0, 0, 11, ...ascii('dac3'), 0xd0, 0, 0);
  assert.throws(() => readBack(reservedRate, readDac3, 100), smoothpubError('bmff.bad-box', 108));
  const fields = (8 << 17) | (2 << 11) | (19 << 5); // bsid 8, acmod 2, bit_rate_code 19
  const reservedBitrate = Uint8Array.of(0, 0, 0, 11, ...ascii('dac3'), fields >> 16, (fields >> 8) & 0xff, fields & 0xff);
  assert.throws(() => readBack(reservedBitrate, readDac3), smoothpubError('bmff.bad-box'));
  assert.throws(() => readTruncated(writeDac3(full), readDac3, 1, 40), smoothpubError('bmff.truncated-box', 48));
  assert.throws(() => writeDac3({ ...full, acmod: 8 }), smoothpubError('bmff.bad-box'));
});

test('writeDec3 as ffmpeg writes E-AC-3 5.1 at 192 kbit/s, and reads back', () => {
  const box: Dec3 = { type: 'dec3', dataRate: 192, substreams: [{ fscod: 0, bsid: 16, asvc: false, bsmod: 0, acmod: 7, lfeon: true, numDepSub: 0, chanLoc: 0 }] };
  const bytes = writeDec3(box);
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 13, // size
    ...ascii('dec3'),
    0x06, 0x00, // data_rate 192 (13 bits), num_ind_sub 0 (one substream)
    0b00_10000_0, // fscod 0, bsid 16, reserved
    0b0_000_111_1, // asvc 0, bsmod 0, acmod 7 (3/2), lfeon 1
    0b000_0000_0)); // reserved, num_dep_sub 0, reserved
  assert.deepEqual(readBack(bytes, readDec3).box, box);
});

test('readDec3: dependent substreams carry chan_loc (9 bits), two independent substreams, the JOC extension byte', () => {
  const box: Dec3 = {
    type: 'dec3',
    dataRate: 1024,
    substreams: [
      { fscod: 0, bsid: 16, asvc: false, bsmod: 0, acmod: 7, lfeon: true, numDepSub: 1, chanLoc: 0b1_0000_0010 }, // Lrs/Rrs + LFE2
      { fscod: 0, bsid: 16, asvc: true, bsmod: 2, acmod: 1, lfeon: false, numDepSub: 0, chanLoc: 0 },
    ],
    ec3ExtensionTypeA: true,
    complexityIndexTypeA: 16,
  };
  const bytes = writeDec3(box);
  assert.equal(bytes.length, 8 + 2 + 4 + 3 + 2);
  assert.deepEqual(readBack(bytes, readDec3).box, box);
  // chan_loc's top bit sits in the substream's last bit, the other 8 in the next byte.
  assert.deepEqual([...bytes.subarray(10, 14)], [0b00_10000_0, 0b0_000_111_1, 0b000_0001_1, 0b0000_0010]);
  // A set flag without its complexity byte is truncated, and named so.
  const short = Uint8Array.of(0, 0, 0, 14, ...ascii('dec3'), 0x06, 0x00, 0x20, 0x0f, 0x00, 0x01);
  assert.throws(() => readBack(short, readDec3), smoothpubError('bmff.truncated-box'));
  // Too short for its substream.
  assert.throws(() => readTruncated(writeDec3(box), readDec3, 5, 0), smoothpubError('bmff.truncated-box'));
  assert.throws(() => writeDec3({ ...box, substreams: [] }), smoothpubError('bmff.bad-box'));
  assert.throws(() => writeDec3({ ...box, substreams: [{ ...box.substreams[1]!, chanLoc: 4 }] }), smoothpubError('bmff.bad-box'));
});

test('dolbyAudioOf: channels, rate and masks from dac3/dec3, not from the sample entry', () => {
  const stereo = dolbyAudioOf({ dac3: AC3_STEREO_96K });
  assert.deepEqual(stereo, { channels: 2, sampleRate: 48000, speakers: ['L', 'R'], waveChannelMask: 0x3, dolbyChannelMask: 0xa000 });
  const surround = dolbyAudioOf({ dec3: { type: 'dec3', dataRate: 192, substreams: [{ fscod: 0, bsid: 16, asvc: false, bsmod: 0, acmod: 7, lfeon: true, numDepSub: 0, chanLoc: 0 }] } });
  // DASH-IF IOP's 5.1 value F801; WAVEFORMATEXTENSIBLE's 5.1 mask 0x3F.
  assert.deepEqual(surround, { channels: 6, sampleRate: 48000, speakers: ['L', 'C', 'R', 'Ls', 'Rs', 'LFE'], waveChannelMask: 0x3f, dolbyChannelMask: 0xf801 });
  // 7.1: 3/2+LFE and a dependent substream adding Lrs/Rrs; with JOC.
  const atmos = dolbyAudioOf({ dec3: { type: 'dec3', dataRate: 768, substreams: [{ fscod: 0, bsid: 16, asvc: false, bsmod: 0, acmod: 7, lfeon: true, numDepSub: 1, chanLoc: 0b10 }], ec3ExtensionTypeA: true, complexityIndexTypeA: 16 } });
  assert.equal(atmos?.channels, 8);
  assert.equal(atmos?.waveChannelMask, 0x63f);
  assert.equal(atmos?.dolbyChannelMask, 0xfa01);
  assert.equal(atmos?.jocComplexityIndex, 16);
  assert.deepEqual(dolbyAudioOf({ dac3: { ...AC3_STEREO_96K, fscod: 2, acmod: 4, lfeon: true } })?.dolbyChannelMask, 0xa101);
  assert.equal(dolbyAudioOf({ dac3: { ...AC3_STEREO_96K, fscod: 1, acmod: 1 } })?.sampleRate, 44100);
  assert.equal(dolbyAudioOf({}), undefined);
});

test('readStsd keeps an ec-3 entry\'s dec3 and an ac-3 entry\'s dac3; writeStsd writes them back byte for byte', async () => {
  for (const [file, type] of [['eac3.isma', 'dec3'], ['ac3.isma', 'dac3']] as const) {
    const bytes = new Uint8Array(await readFile(join(findPackageRoot(fileURLToPath(new URL('.', import.meta.url))), 'test', 'fixtures', 'dolby', file)));
    const at = Buffer.from(bytes).indexOf('stsd') - 4;
    const size = new DataView(bytes.buffer, bytes.byteOffset).getUint32(at);
    const stsdBytes = bytes.subarray(at, at + size);
    const stsd = readBack(stsdBytes, readStsd).box;
    const entry = stsd.entries[0]!;
    assert.ok(entry[type] !== undefined, `${file}: ${type} read`);
    assert.equal(entry.channelCount, 2, `${file}: ffmpeg's entry says 2 channels whatever the stream holds`);
    assert.deepEqual(writeStsd(stsd), stsdBytes, `${file}: written back byte for byte`);
  }
});
