import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmoothpubError } from '../../../src/errors.js';
import { checkHlsRules } from '../../../src/formats/hls/checkHlsRules.js';
import type { HlsMediaPlaylist, HlsMultivariantPlaylist } from '../../../src/formats/hls/playlistModel.js';
import { readMediaPlaylist, readMultivariantPlaylist } from '../../../src/formats/hls/readPlaylists.js';
import { measureBitrates } from '../../../src/formats/hls/segmentBitrates.js';
import { formatSegmentDuration } from '../../../src/formats/hls/segmentDuration.js';
import { writeHls, type HlsPlaylists } from '../../../src/formats/hls/writePlaylists.js';
import type { FormatLevel, FormatPresentation } from '../../../src/formats/model.js';
import { MASTER_PLAYLIST_KEY } from '../../../src/formats/names.js';
import type { Presentation, StreamIndex } from '../../../src/smooth/model.js';
import { fixtureSets } from '../../e2e/helpers.js';
import { fixturePresentation } from './fixturePresentation.js';

interface Read {
  master: HlsMultivariantPlaylist;
  medias: Map<string, HlsMediaPlaylist>;
}

/** Reads written playlists back as a client would, each from its own key. */
function readBack(written: HlsPlaylists): Read {
  const master = readMultivariantPlaylist(written.master, { uri: MASTER_PLAYLIST_KEY });
  const medias = new Map(written.media.map((m) => [m.key, readMediaPlaylist(m.text, { uri: m.key })]));
  assert.equal(medias.size, written.media.length, 'one media playlist per key');
  return { master, medias };
}

const SETS = ['clean', 'users', 'multitrack', 'ismlmux'] as const;

for (const name of SETS) {
  test(`${name}: every chunk of every level is listed once, by its Smooth key and exact duration, after EXT-X-MAP = its init segment; the rules hold`, async () => {
    const fp = await fixturePresentation(fixtureSets[name]);
    const written = writeHls(fp);
    const { master, medias } = readBack(written);
    const { presentation } = fp;
    let levels = 0;
    for (const stream of presentation.streams) {
      const timescale = stream.timeScale ?? presentation.timeScale;
      for (const level of stream.qualityLevels) {
        levels++;
        const key = `${stream.name}-${level.bitrate}.m3u8`;
        const m = medias.get(key);
        assert.ok(m, `media playlist ${key}`);
        assert.equal(m.map?.resolvedUri, `QualityLevels(${level.bitrate})/Fragments(${stream.name}=i)`);
        assert.deepEqual(
          m.segments.map((s) => s.resolvedUri),
          stream.chunks.map((c) => `QualityLevels(${level.bitrate})/Fragments(${stream.name}=${c.t})`),
        );
        assert.equal(new Set(m.segments.map((s) => s.resolvedUri)).size, stream.chunks.length, 'each chunk once');
        m.segments.forEach((s, i) => {
          const d = stream.chunks[i]!.d;
          // 10 MHz: the written seconds are the ticks exactly, not only to the ms.
          assert.equal(BigInt(Math.round(s.duration * timescale)), d, `${key} segment ${i}: ${s.durationText}`);
          assert.ok(Math.abs(s.duration - Number(d) / timescale) < 0.0005);
          assert.equal(s.map, m.map, 'every segment under the one EXT-X-MAP');
        });
        assert.deepEqual([m.version, m.mediaSequence, m.playlistType, m.endList, m.independentSegments], [7, 0, 'VOD', true, true]);
      }
    }
    assert.equal(written.media.length, levels);
    assert.deepEqual(checkHlsRules(master, medias), []);
    // Every video level is a variant, each naming an existing media playlist.
    const video = presentation.streams.filter((s) => s.type === 'video').flatMap((s) => s.qualityLevels.map((l) => `${s.name}-${l.bitrate}.m3u8`));
    assert.deepEqual(new Set(master.variants.map((v) => v.resolvedUri)), new Set(video));
    assert.equal(master.independentSegments, true);
  });
}

test('two languages: two audio renditions in one group with LANGUAGE and NAME, exactly one DEFAULT=YES, every variant plays with that group', async () => {
  const fp = await fixturePresentation(fixtureSets.multitrack);
  const { master } = readBack(writeHls(fp));
  const audio = master.renditions.filter((r) => r.type === 'AUDIO');
  assert.deepEqual(
    audio.map((r) => [r.groupId, r.language, r.resolvedUri, r.autoselect, r.channels]),
    [
      ['audio', 'en', 'audio_eng-67795.m3u8', true, '2'],
      ['audio', 'fr', 'audio_fra-67730.m3u8', true, '2'],
    ],
  );
  assert.equal(audio.filter((r) => r.isDefault).length, 1);
  assert.equal(audio[0]!.isDefault, true, 'the first audio stream, as Smooth clients play it first');
  assert.equal(audio[0]!.name, 'English');
  assert.notEqual(audio[1]!.name, audio[0]!.name);
  assert.equal(master.variants.length, 2);
  for (const v of master.variants) {
    assert.equal(v.audio, 'audio');
    assert.deepEqual(v.codecs, [`avc1.test${v.uri.replace(/^video-(\d+)\.m3u8$/, '$1')}`, 'mp4a.test67795', 'mp4a.test67730']);
    assert.equal(v.frameRate, 24);
  }
  assert.deepEqual(
    master.variants.map((v) => v.resolution),
    [
      { width: 320, height: 180 },
      { width: 192, height: 108 },
    ],
  );
});

/** Hand computation: the highest fragment's bits per second (every fragment here lasts 1 to 3 s, so alone it is a run RFC 8216 counts). */
function handPeak(sizes: ArrayLike<number>, stream: StreamIndex, timescale: number): number {
  let peak = 0;
  for (let i = 0; i < sizes.length; i++) {
    const seconds = Number(stream.chunks[i]!.d) / timescale;
    assert.ok(seconds >= 1 && seconds <= 3, `fragment ${i} lasts ${seconds} s`);
    peak = Math.max(peak, (sizes[i]! * 8) / seconds);
  }
  return Math.ceil(peak);
}

function handAverage(sizes: ArrayLike<number>, stream: StreamIndex, timescale: number): number {
  let bytes = 0;
  let ticks = 0n;
  for (let i = 0; i < sizes.length; i++) {
    bytes += sizes[i]!;
    ticks += stream.chunks[i]!.d;
  }
  return Math.ceil((bytes * 8) / (Number(ticks) / timescale));
}

for (const name of ['clean', 'multitrack'] as const) {
  test(`${name}: BANDWIDTH is the video's peak fragment rate plus the heaviest rendition's, AVERAGE-BANDWIDTH the same of averages, computed by hand from the sizes`, async () => {
    const fp = await fixturePresentation(fixtureSets[name]);
    const { master } = readBack(writeHls(fp));
    const { presentation } = fp;
    const rates = (l: FormatLevel): { peak: number; average: number } => {
      const stream = presentation.streams.find((s) => s.name === l.streamName)!;
      const timescale = stream.timeScale ?? presentation.timeScale;
      return { peak: handPeak(l.sizes, stream, timescale), average: handAverage(l.sizes, stream, timescale) };
    };
    const audio = fp.levels.filter((l) => l.codecs.startsWith('mp4a')).map(rates);
    const audioPeak = Math.max(...audio.map((a) => a.peak));
    const audioAverage = Math.max(...audio.map((a) => a.average));
    const videoLevels = fp.levels.filter((l) => l.codecs.startsWith('avc1'));
    assert.equal(master.variants.length, videoLevels.length);
    for (const l of videoLevels) {
      const v = master.variants.find((x) => x.uri === `${l.streamName}-${l.bitrate}.m3u8`)!;
      const r = rates(l);
      assert.equal(v.bandwidth, r.peak + audioPeak, v.uri);
      assert.equal(v.averageBandwidth, r.average + audioAverage, v.uri);
      assert.ok(v.bandwidth! >= v.averageBandwidth!);
      // Measured from the fragments, so near (not equal to) the Smooth bitrate of the level.
      assert.ok(Math.abs(r.average - l.bitrate) / l.bitrate < 0.35, `${v.uri}: average ${r.average} vs Smooth bitrate ${l.bitrate}`);
    }
  });
}

test('audio only: the variants are the audio playlists, with audio CODECS, no RESOLUTION, FRAME-RATE or EXT-X-MEDIA', async () => {
  const fp = await fixturePresentation({ ...fixtureSets.clean, inputs: fixtureSets.clean.inputs.filter((f) => f.endsWith('.isma')) });
  const written = writeHls(fp);
  const { master, medias } = readBack(written);
  assert.deepEqual(checkHlsRules(master, medias), []);
  assert.equal(master.renditions.length, 0);
  assert.deepEqual(
    master.variants.map((v) => [v.uri, v.codecs, v.resolution, v.frameRate, v.audio]),
    [['audio-67795.m3u8', ['mp4a.test67795'], undefined, undefined, undefined]],
  );
});

// ---- A presentation made by hand: several audio levels, languages, odd durations.

const TEN_MHZ = 10_000_000;

function stream(type: 'video' | 'audio', name: string, bitrates: number[], durations: bigint[], language?: string): StreamIndex {
  let t = 0n;
  const s: StreamIndex = {
    type,
    name,
    url: `QualityLevels({bitrate})/Fragments(${name}={start time})`,
    qualityLevels: bitrates.map((bitrate, index) => ({ index, bitrate, fourCC: type === 'video' ? 'H264' : 'AACL', codecPrivateData: '', ...(type === 'video' ? { maxWidth: 640 - index * 100, maxHeight: 360 - index * 50 } : { channels: 2 }) })),
    chunks: durations.map((d) => {
      const c = { t, d };
      t += d;
      return c;
    }),
  };
  if (language !== undefined) s.language = language;
  return s;
}

function handMade(streams: StreamIndex[], size = (bitrate: number, seconds: number) => Math.round((bitrate * seconds) / 8)): FormatPresentation {
  const presentation: Presentation = { majorVersion: 2, minorVersion: 2, timeScale: TEN_MHZ, duration: 0n, streams };
  const levels = streams.flatMap((s) =>
    s.qualityLevels.map((q): FormatLevel => {
      const l: FormatLevel = { streamName: s.name, bitrate: q.bitrate, codecs: `${s.type === 'video' ? 'avc1' : 'mp4a'}.test${q.bitrate}`, sizes: s.chunks.map((c) => size(q.bitrate, Number(c.d) / TEN_MHZ)) };
      if (s.type === 'video') l.frameRate = '30000/1001';
      return l;
    }),
  );
  return { presentation, levels };
}

const TWO_S = [20_000_000n, 20_000_000n, 20_000_000n];

test('several audio levels: one group per bitrate rank, each with every language; every video level offered with each group', () => {
  const fp = handMade([
    stream('video', 'video', [2_000_000, 800_000], TWO_S),
    stream('audio', 'audio_eng', [128_000, 64_000], TWO_S, 'eng'),
    stream('audio', 'audio_deu', [96_000], TWO_S, 'deu'),
  ]);
  const { master, medias } = readBack(writeHls(fp));
  assert.deepEqual(checkHlsRules(master, medias), []);
  assert.deepEqual(
    master.renditions.map((r) => [r.groupId, r.language, r.uri, r.isDefault, r.autoselect]),
    [
      ['audio-0', 'en', 'audio_eng-128000.m3u8', true, true],
      ['audio-0', 'de', 'audio_deu-96000.m3u8', false, true],
      ['audio-1', 'en', 'audio_eng-64000.m3u8', true, true],
      ['audio-1', 'de', 'audio_deu-96000.m3u8', false, true],
    ],
  );
  assert.deepEqual(
    master.variants.map((v) => [v.uri, v.audio, v.codecs?.join(','), v.frameRate]),
    [
      ['video-2000000.m3u8', 'audio-0', 'avc1.test2000000,mp4a.test128000,mp4a.test96000', 29.97],
      ['video-2000000.m3u8', 'audio-1', 'avc1.test2000000,mp4a.test64000,mp4a.test96000', 29.97],
      ['video-800000.m3u8', 'audio-0', 'avc1.test800000,mp4a.test128000,mp4a.test96000', 29.97],
      ['video-800000.m3u8', 'audio-1', 'avc1.test800000,mp4a.test64000,mp4a.test96000', 29.97],
    ],
  );
  // Each group's bandwidth is its heaviest member's: 128k then 96k (German outweighs the 64k English).
  assert.deepEqual(
    master.variants.map((v) => v.averageBandwidth),
    [2_128_000, 2_096_000, 928_000, 896_000],
  );
  assert.match(master.variants[0]!.attributes.get('FRAME-RATE')!.text, /^29\.970$/);
});

test('an unknown language is said as und; a second stream of one language is not AUTOSELECT and gets a NAME of its own', () => {
  const fp = handMade([stream('video', 'video', [1_000_000], TWO_S), stream('audio', 'audio', [64_000], TWO_S), stream('audio', 'audio_a', [64_000], TWO_S, 'fra'), stream('audio', 'audio_b', [32_000], TWO_S, 'fra')]);
  const { master, medias } = readBack(writeHls(fp));
  assert.deepEqual(checkHlsRules(master, medias), []);
  assert.deepEqual(
    master.renditions.map((r) => [r.language, r.name, r.isDefault, r.autoselect]),
    [
      ['und', 'audio', true, true],
      ['fr', 'français', false, true],
      ['fr', 'français (audio_b)', false, false],
    ],
  );
});

test('EXTINF is exact in the Smooth timescale (at least 3 decimals); TARGETDURATION is the largest rounded EXTINF', () => {
  assert.equal(formatSegmentDuration(20_000_000n, TEN_MHZ), '2.000');
  assert.equal(formatSegmentDuration(21_333_333n, TEN_MHZ), '2.1333333');
  assert.equal(formatSegmentDuration(19_200_000n, TEN_MHZ), '1.920');
  assert.equal(formatSegmentDuration(1n, TEN_MHZ), '0.0000001');
  assert.equal(formatSegmentDuration(96_256n, 48_000), '2.005333333');
  assert.equal(formatSegmentDuration(60_060n, 30_000), '2.002');
  assert.equal(formatSegmentDuration(2n, 3), '0.666666667');

  const target = (durations: bigint[]): number | undefined => readMediaPlaylist(writeHls(handMade([stream('video', 'video', [500_000], durations)])).media[0]!.text).targetDuration;
  assert.equal(target([24_999_999n, 20_000_000n]), 2);
  assert.equal(target([25_000_000n, 20_000_000n]), 3);
  assert.equal(target([20_000_000n, 35_000_000n]), 4);
  assert.equal(target([3_000_000n]), 1, 'never 0');
});

test('the peak counts runs of 0.5 to 1.5 target durations: a short last fragment does not inflate it; it never falls below the average', () => {
  // 2 s fragments of 100 kB, then a 0.1 s keyframe of 30 kB (2.4 Mbit/s on its own).
  const r = measureBitrates([100_000, 100_000, 30_000], [2, 2, 0.1], 2);
  assert.equal(r.peak, Math.ceil((130_000 * 8) / 2.1), 'the short one weighed with the one before');
  assert.equal(r.average, Math.ceil((230_000 * 8) / 4.1));
  // A heavy short tail that joins no run: the peak stays at least the average.
  const tail = measureBitrates([1_000, 1_000, 900_000], [2, 2, 0.9], 3);
  assert.ok(tail.peak >= tail.average);
  assert.deepEqual(measureBitrates([], [], 2), { peak: 0, average: 0 });
});

test('a level without a FormatLevel, or with sizes for another number of chunks, is refused by name', () => {
  const fp = handMade([stream('video', 'video', [1_000_000], TWO_S)]);
  const isOption = (pattern: RegExp) => (e: unknown) => e instanceof SmoothpubError && e.code === 'cli.bad-option' && pattern.test(e.message);
  assert.throws(() => writeHls({ ...fp, levels: [] }), isOption(/no format level for stream 'video' bitrate 1000000/));
  assert.throws(() => writeHls({ ...fp, levels: [{ ...fp.levels[0]!, sizes: [1, 2] }] }), isOption(/has 3 chunks but 2 fragment sizes/));
  assert.throws(() => writeHls({ ...fp, levels: [{ ...fp.levels[0]!, frameRate: '24fps' }] }), isOption(/frame rate "24fps"/));
});
