// HEVC in the Smooth Manifest and in DASH/HLS `codecs`: FourCC, CodecPrivateData and the
// codecs string, each from the fields of an hvcC (x265's parameter sets for a Main
// profile, level 2 stream: scripts/make-fixtures.sh hevc, 256x144).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HvcC } from '../../src/bmff/hvcc.js';
import type { SampleEntry } from '../../src/bmff/stsd.js';
import { SmoothpubError } from '../../src/errors.js';
import { codecsFor } from '../../src/formats/codecs.js';
import { hevcCodecs } from '../../src/formats/hevcCodecs.js';
import { fourCCFor, fourCCOptionsOf, hevcCodecPrivateData, qualityLevelFor } from '../../src/smooth/index.js';
import { SUPPORTED_CODECS } from '../../src/smooth/fourCCFor.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));

const VPS = hex('40010c01ffff01600000030090000003000003003c959409');
const SPS = hex('42010101600000030090000003000003003ca008080916595952930bc05a020000030002000003003010');
const PPS = hex('4401c073c089');
/** A prefix SEI (nal_unit_type 39), as x265 puts its settings in the hvcC. */
const SEI = hex('4e01050a0102030405');

function hvcC(parameterSets: Uint8Array[], fields: Partial<HvcC> = {}): HvcC {
  return {
    type: 'hvcC',
    profileSpace: 0,
    tierFlag: 0,
    profileIdc: 1,
    compatibilityFlags: 0x60000000,
    constraintFlags: Uint8Array.of(0x90, 0, 0, 0, 0, 0),
    levelIdc: 60,
    nalLengthSize: 4,
    parameterSets,
    record: new Uint8Array(),
    ...fields,
  };
}
const entry = (format: string, config: HvcC = hvcC([VPS, SPS, PPS, SEI])): SampleEntry => ({ format, width: 256, height: 144, hvcC: config });
const isUnsupported = (message: RegExp) => (e: unknown): boolean => e instanceof SmoothpubError && e.code === 'input.unsupported-codec' && message.test(e.message) && e.message.endsWith(`supported: ${SUPPORTED_CODECS}`);

test('hevcCodecPrivateData is 00000001 VPS 00000001 SPS 00000001 PPS in uppercase hex, without the SEI', () => {
  const upper = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
  assert.equal(hevcCodecPrivateData(hvcC([VPS, SPS, PPS, SEI])), `00000001${upper(VPS)}00000001${upper(SPS)}00000001${upper(PPS)}`);
  // The order is VPS, SPS, PPS whatever the record's order, each kind's units in theirs.
  const PPS2 = hex('4401c172b46240');
  assert.equal(hevcCodecPrivateData(hvcC([PPS, SEI, SPS, PPS2, VPS])), `00000001${upper(VPS)}00000001${upper(SPS)}00000001${upper(PPS)}00000001${upper(PPS2)}`);
  assert.throws(() => hevcCodecPrivateData(hvcC([SPS, PPS])), (e: unknown) => e instanceof SmoothpubError && /found no VPS/.test(e.message));
});

test('fourCCFor: HEVC is its sample entry in capitals unless asked otherwise; an hvcC without parameter sets is refused by what it is', () => {
  assert.equal(fourCCFor(entry('hvc1')), 'HVC1');
  assert.equal(fourCCFor(entry('hev1')), 'HEV1');
  assert.equal(fourCCFor(entry('hev1'), { hevcFourCC: 'HVC1' }), 'HVC1');
  assert.equal(fourCCFor({ ...entry('hvc1'), format: 'encv', originalFormat: 'hvc1' }), 'HVC1');
  // An H.264 choice leaves HEVC alone, and the other way round.
  assert.equal(fourCCFor(entry('hvc1'), fourCCOptionsOf('AVC1')), 'HVC1');
  assert.equal(fourCCFor(entry('hvc1'), fourCCOptionsOf(['AVC1', 'HEV1'])), 'HEV1');
  assert.equal(fourCCFor({ format: 'avc1', width: 1, height: 1, avcC: { type: 'avcC', profile: 66, compatibility: 0, level: 10, nalLengthSize: 4, sps: [hex('67')], pps: [hex('68')] } }, fourCCOptionsOf('HEV1')), 'H264');
  assert.throws(() => fourCCFor(entry('hev1', hvcC([SEI]))), isUnsupported(/HEVC \(hev1\) whose hvcC carries no VPS, SPS, PPS: its parameter sets are only in the samples/));
  assert.throws(() => fourCCFor(entry('hvc1', hvcC([VPS, SPS]))), isUnsupported(/HEVC \(hvc1\) whose hvcC carries no PPS/));
  assert.throws(() => fourCCFor({ format: 'hvc1', width: 256, height: 144 }), isUnsupported(/HEVC \(hvc1\) without an hvcC box/));
});

test('qualityLevelFor describes an HEVC entry: FourCC, sizes, CodecPrivateData, NALUnitLengthField when not 4', () => {
  assert.deepEqual(qualityLevelFor(entry('hev1'), { index: 0, bitrate: 200000 }), {
    index: 0,
    bitrate: 200000,
    fourCC: 'HEV1',
    maxWidth: 256,
    maxHeight: 144,
    codecPrivateData: hevcCodecPrivateData(hvcC([VPS, SPS, PPS])),
  });
  assert.equal(qualityLevelFor(entry('hvc1', hvcC([VPS, SPS, PPS], { nalLengthSize: 2 })), { index: 0, bitrate: 1 }).nalUnitLengthField, 2);
});

test('hevcCodecs: ISO/IEC 14496-15 E.3 from the hvcC fields', () => {
  // Main, flags 1 and 2 (0x60000000 reversed: 0x6), Main tier, level 2, progressive+frame-only.
  assert.equal(hevcCodecs('hvc1', hvcC([])), 'hvc1.1.6.L60.90');
  assert.equal(hevcCodecs('hev1', hvcC([], { levelIdc: 93, constraintFlags: Uint8Array.of(0xb0, 0, 0, 0, 0, 0) })), 'hev1.1.6.L93.B0');
  // Main 10 (flag 2: 0x20000000 reversed 0x4), High tier, level 5.1, profile space 2 ('B'),
  // a non-zero last constraint byte keeps the zero bytes before it.
  assert.equal(
    hevcCodecs('hvc1', hvcC([], { profileSpace: 2, tierFlag: 1, profileIdc: 2, compatibilityFlags: 0x20000000, levelIdc: 153, constraintFlags: Uint8Array.of(0xb0, 0, 0, 0, 0, 1) })),
    'hvc1.B2.4.H153.B0.00.00.00.00.01',
  );
  // No constraint flags at all: nothing after the level; flag 31 alone reverses to 0x1.
  assert.equal(hevcCodecs('hvc1', hvcC([], { compatibilityFlags: 1, constraintFlags: new Uint8Array(6), levelIdc: 120 })), 'hvc1.1.80000000.L120');
  assert.equal(codecsFor(entry('hev1')), 'hev1.1.6.L60.90');
  assert.equal(codecsFor({ ...entry('hvc1'), format: 'encv', originalFormat: 'hvc1' }), 'hvc1.1.6.L60.90');
});
