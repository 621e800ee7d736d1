import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { readMpd } from '../../src/formats/dash/readMpd.js';
import { writeMpd } from '../../src/formats/dash/writeMpd.js';
import { channelsOfDolbyMask, DOLBY_CHANNEL_SCHEME, dolbySignalOf } from '../../src/formats/dolbySignal.js';
import { readMultivariantPlaylist } from '../../src/formats/hls/readPlaylists.js';
import { writeHls } from '../../src/formats/hls/writePlaylists.js';
import type { FormatPresentation } from '../../src/formats/model.js';
import { dolbyQualityLevel } from '../../src/smooth/dolbyAudio.js';
import { loadFormatFixture } from './formatFixture.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireShakaPackager } from '../harness/ci.js';
import { runShakaPackager } from '../harness/shakaPackager.js';

const DIR = resolve('test/fixtures/dolby');

const SETS = [
  { name: 'eac3.ism', inputs: [`${DIR}/eac3.ism`], codecs: 'ec-3', mask: 'F801', channels: '6' },
  { name: 'ac3.ism', inputs: [`${DIR}/ac3.ism`], codecs: 'ac-3', mask: 'A000', channels: '2' },
  { name: 'eac3.mp4', inputs: [`${DIR}/eac3.mp4`], codecs: 'ec-3', mask: 'F801', channels: '6' },
];

for (const s of SETS) {
  test(`${s.name}: DASH codecs ${s.codecs} with Dolby's AudioChannelConfiguration ${s.mask}; HLS CODECS and CHANNELS="${s.channels}"`, async () => {
    const { format } = await loadFormatFixture(s.inputs);
    const mpd = readMpd(writeMpd(format));
    const audio = mpd.periods[0]!.adaptationSets.find((a) => a.contentType === 'audio')!;
    const rep = audio.representations[0]!;
    assert.equal(rep.codecs, s.codecs);
    assert.equal(rep.audioSamplingRate, '48000');
    assert.deepEqual(rep.audioChannelConfigurations, [{ schemeIdUri: DOLBY_CHANNEL_SCHEME, value: s.mask }]);
    assert.equal(String(channelsOfDolbyMask(s.mask)), s.channels);
    const hls = writeHls(format);
    const master = readMultivariantPlaylist(hls.master);
    assert.deepEqual(master.renditions.map((r) => [r.type, r.channels]), [['AUDIO', s.channels]]);
    assert.ok(master.variants.every((v) => v.codecs?.includes(s.codecs)), hls.master);
  });
}

test('E-AC-3 with JOC (Atmos): DASH SupplementalProperty JOC and complexity index; HLS CHANNELS="16/JOC"', async () => {
  const { format } = await loadFormatFixture([`${DIR}/eac3.ism`]);
  const joc: FormatPresentation = { ...format, levels: format.levels.map((l) => (l.dolby ? { ...l, dolby: { ...l.dolby, jocComplexityIndex: 16 } } : l)) };
  const xml = writeMpd(joc);
  assert.match(xml, /<AudioChannelConfiguration schemeIdUri="tag:dolby.com,2014:dash:audio_channel_configuration:2011" value="F801"\/>\s*<SupplementalProperty schemeIdUri="tag:dolby.com,2018:dash:EC3_ExtensionType:2018" value="JOC"\/>\s*<SupplementalProperty schemeIdUri="tag:dolby.com,2018:dash:EC3_ExtensionComplexityIndex:2018" value="16"\/>/);
  assert.deepEqual(readMultivariantPlaylist(writeHls(joc).master).renditions.map((r) => r.channels), ['16/JOC']);
  // AAC keeps the 23003-3 scheme: no Dolby signal for it.
  assert.equal(dolbySignalOf({ format: 'mp4a' }), undefined);
});

test('dolbySignalOf and dolbyQualityLevel from a dec3 with a dependent substream and JOC: 7.1, Atmos', () => {
  const entry = {
    format: 'ec-3',
    channelCount: 2,
    sampleSize: 16,
    sampleRate: 48000,
    dec3: { type: 'dec3' as const, dataRate: 768, substreams: [{ fscod: 0, bsid: 16, asvc: false, bsmod: 0, acmod: 7, lfeon: true, numDepSub: 1, chanLoc: 0b10 }], ec3ExtensionTypeA: true, complexityIndexTypeA: 16 },
  };
  assert.deepEqual(dolbySignalOf(entry), { channels: 8, channelMask: 'FA01', jocComplexityIndex: 16 });
  const q = dolbyQualityLevel(entry, { index: 0, bitrate: 768_000 });
  assert.deepEqual({ ...q, codecPrivateData: undefined }, { index: 0, bitrate: 768_000, fourCC: 'EC-3', samplingRate: 48000, channels: 8, bitsPerSample: 16, audioTag: 65534, packetSize: 3072, codecPrivateData: undefined });
  assert.equal(q.codecPrivateData, [
    '0006', // wSamplesPerBlock 1536, little-endian
    '3F060000', // dwChannelMask 0x63F (7.1: FL FR FC LFE BL BR SL SR), little-endian
    'AF87FBA7022DFB42A4D405CD93843BDD', // MEDIASUBTYPE_DOLBY_DDPLUS
    '1800', // dec3: data_rate 768, num_ind_sub 0
    '200F0202', // fscod 0, bsid 16, acmod 7, lfeon 1; reserved, num_dep_sub 1, chan_loc 0b0_00000010 (Lrs/Rrs)
    '0110', // flag_ec3_extension_type_a 1, complexity_index_type_a 16
  ].join(''));
  assert.equal(channelsOfDolbyMask('FA01'), 8);
  assert.equal(channelsOfDolbyMask('not hex'), undefined);
});

test('Shaka Packager writes the same codecs, rate, channel count and HLS CHANNELS for these sources', async (t) => {
  const binary = requireShakaPackager(t);
  if (binary === undefined) return;
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-shaka-dolby-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  for (const s of SETS.filter((x) => x.name.endsWith('.ism'))) {
    const audioFile = s.inputs[0]!.replace(/\.ism$/, '.isma');
    const shaka = await runShakaPackager(binary, [{ input: audioFile, stream: 'audio', folder: 'audio', hlsGroup: 'audio', hlsName: 'audio' }], join(tmp, s.name), { hlsMaster: 'master.m3u8' });
    const theirs = readMpd(await readFile(shaka.mpd, 'utf8')).periods[0]!.adaptationSets[0]!.representations[0]!;
    const { format } = await loadFormatFixture(s.inputs);
    const ours = readMpd(writeMpd(format)).periods[0]!.adaptationSets.find((a) => a.contentType === 'audio')!.representations[0]!;
    assert.deepEqual([ours.codecs, ours.audioSamplingRate], [theirs.codecs, theirs.audioSamplingRate], s.name);
    // Shaka Packager 3.4.2 states E-AC-3 5.1 as MPEG CICP ChannelConfiguration 6 (TS 102 366
    // V1.4.1 annex I prefers it where a layout has one) and AC-3 as a 23003-3 count;
    // smoothpub uses Dolby's scheme (DASH-IF IOP) for both: the same channels either way.
    assert.equal(theirs.audioChannelConfigurations.length, 1, s.name);
    assert.equal(channelsOf(theirs.audioChannelConfigurations[0]!), channelsOf(ours.audioChannelConfigurations[0]!), s.name);
    assert.equal(channelsOf(ours.audioChannelConfigurations[0]!), Number(s.channels), s.name);
    const theirRendition = readMultivariantPlaylist(await readFile(shaka.hlsMaster!, 'utf8')).renditions[0]!;
    const ourRendition = readMultivariantPlaylist(writeHls(format).master).renditions[0]!;
    assert.equal(ourRendition.channels, theirRendition.channels, s.name);
  }
});

/** ISO/IEC 23091-3 ChannelConfiguration values to channel counts (the ones used here and their neighbours). */
const CICP_CHANNELS: Record<string, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 8, 12: 8 };

function channelsOf(c: { schemeIdUri: string; value: string }): number | undefined {
  if (c.schemeIdUri === DOLBY_CHANNEL_SCHEME) return channelsOfDolbyMask(c.value);
  if (c.schemeIdUri === 'urn:mpeg:mpegB:cicp:ChannelConfiguration') return CICP_CHANNELS[c.value];
  if (c.schemeIdUri === 'urn:mpeg:dash:23003:3:audio_channel_configuration:2011') return Number(c.value);
  return undefined;
}
