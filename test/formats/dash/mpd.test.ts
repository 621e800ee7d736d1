import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readMpd, type Mpd, type MpdAdaptationSet } from '../../../src/formats/dash/readMpd.js';
import { writeMpd } from '../../../src/formats/dash/writeMpd.js';
import type { FormatPresentation } from '../../../src/formats/model.js';
import { initKey } from '../../../src/formats/names.js';
import type { Presentation } from '../../../src/smooth/model.js';
import { fragmentKey, parseSmoothUrl } from '../../../src/smooth/url.js';
import { fixtures, fixtureSets } from '../../e2e/helpers.js';
import { loadFormatFixture, type FormatFixture } from '../formatFixture.js';

const ladders: Record<string, string[]> = {
  clean: fixtureSets.clean.inputs,
  users: fixtureSets.users.inputs, // B-frames, AAC priming (first chunk announced at 0)
  multitrack: fixtureSets.multitrack.inputs, // two audio languages
  ismlmux: fixtureSets.ismlmux.inputs, // 30000/1001, joined fragments
  progressive: ['v300', 'v200', 'v100'].map((l) => join(fixtures, 'progressive', `${l}.mp4`)), // plain MP4, cut at 2 s
};

/** Every Smooth fragment of every level is a segment of its Representation, at its URL, time and duration. */
function checkRoundTrip(name: string, fixture: FormatFixture, mpd: Mpd): void {
  const p = fixture.format.presentation;
  assert.equal(mpd.type, 'static');
  assert.equal(mpd.profiles, 'urn:mpeg:dash:profile:isoff-live:2011');
  assert.ok(Math.abs(mpd.duration! - Number(p.duration) / p.timeScale) < 1e-7, `${name}: duration ${mpd.duration}`);
  assert.equal(mpd.periods.length, 1);
  const sets = mpd.periods[0]!.adaptationSets;
  assert.deepEqual(sets.map((s) => s.contentType), p.streams.map((s) => s.type), `${name}: one AdaptationSet per StreamIndex, in order`);
  let segments = 0;
  for (const level of fixture.loaded.levels) {
    const streamIndex = p.streams.findIndex((s) => s.name === level.streamName);
    const stream = p.streams[streamIndex]!;
    const q = stream.qualityLevels.find((l) => l.bitrate === level.bitrate)!;
    const rep = sets[streamIndex]!.representations.find((r) => r.bandwidth === level.bitrate);
    const where = `${name} ${level.streamName} ${level.bitrate}`;
    assert.ok(rep, `${where}: a Representation with bandwidth = the Smooth bitrate`);
    assert.equal(rep.timescale, stream.timeScale ?? p.timeScale, where);
    assert.equal(rep.initUrl, initKey(level.streamName, level.bitrate), where);
    assert.equal(rep.codecs, fixture.format.levels.find((f) => f.streamName === level.streamName && f.bitrate === level.bitrate)!.codecs, where);
    assert.equal(rep.segments.length, level.chunks.length, `${where}: one segment a chunk`);
    level.chunks.forEach((c, i) => {
      const s = rep.segments[i]!;
      assert.equal(s.url, fragmentKey(stream, q, c.t), `${where} chunk ${i}`);
      assert.deepEqual(parseSmoothUrl(s.url), { kind: 'fragment', bitrate: level.bitrate, streamName: level.streamName, time: c.t });
      assert.equal(s.time, c.t, `${where} chunk ${i} time`);
      assert.equal(s.duration, c.d, `${where} chunk ${i} duration`);
      // Each segment is a source fragment: as many as the track has.
      assert.ok(level.track.fragments[i], `${where}: fragment ${i} exists`);
    });
    segments += rep.segments.length;
  }
  assert.equal(segments, fixture.loaded.levels.reduce((n, l) => n + l.track.fragments.length, 0));
}

for (const [name, inputs] of Object.entries(ladders)) {
  test(`writeMpd -> readMpd round trip (${name}): every fragment of every level is a segment at its Smooth key`, async () => {
    const fixture = await loadFormatFixture(inputs);
    const xml = writeMpd(fixture.format);
    checkRoundTrip(name, fixture, readMpd(xml));
    // Resolved against the MPD's address, the same keys under the presentation root.
    const remote = readMpd(xml, { baseUrl: 'http://127.0.0.1:8080/video.ism/manifest.mpd' });
    const first = fixture.loaded.levels[0]!;
    assert.equal(remote.periods[0]!.adaptationSets[0]!.representations[0]!.segments[1]!.url, `http://127.0.0.1:8080/video.ism/QualityLevels(${first.bitrate})/Fragments(${first.streamName}=${first.chunks[1]!.t})`);
  });
}

test('video sets: size, frame rate, sar and par per level; audio: rate and channels; runs of equal chunks as r', async () => {
  const fixture = await loadFormatFixture(ladders['clean']!);
  const xml = writeMpd(fixture.format);
  const [video, audio] = readMpd(xml).periods[0]!.adaptationSets as [MpdAdaptationSet, MpdAdaptationSet];
  assert.deepEqual({ mime: video.mimeType, maxWidth: video.maxWidth, maxHeight: video.maxHeight, par: video.par, roles: video.roles }, { mime: 'video/mp4', maxWidth: 320, maxHeight: 180, par: '16:9', roles: [] });
  assert.deepEqual(
    video.representations.map((r) => [r.bandwidth, r.width, r.height, r.frameRate, r.sar]),
    fixture.loaded.levels.filter((l) => l.streamName === 'video').map((l) => [l.bitrate, l.track.width, l.track.height, '24', '1:1']),
  );
  assert.deepEqual(video.representations.map((r) => r.width), [320, 256, 192]);
  assert.deepEqual({ mime: audio.mimeType, lang: audio.lang, roles: audio.roles }, { mime: 'audio/mp4', lang: undefined, roles: ['main'] });
  assert.deepEqual(audio.representations.map((r) => [r.codecs, r.audioSamplingRate, r.audioChannels]), [['mp4a.40.2', '48000', ['2']]]);
  // Four 2 s fragments per video level: one <S> with t and three repeats.
  assert.match(xml, /<SegmentTimeline>\s*<S t="0" d="20000000" r="3"\/>\s*<\/SegmentTimeline>/);
  assert.match(xml, /initialization="QualityLevels\(\$Bandwidth\$\)\/Fragments\(video=i\)" media="QualityLevels\(\$Bandwidth\$\)\/Fragments\(video=\$Time\$\)"/);
  // The audio ends last (its fragments are 20053333 long); the longest segment is one of them.
  assert.equal(fixture.format.presentation.duration, 80_213_333n);
  assert.match(xml, /mediaPresentationDuration="PT8.0213333S" minBufferTime="PT2.0053334S"/);
});

test('the two-language set: two audio AdaptationSets with BCP 47 lang, the first main, the other alternate', async () => {
  const fixture = await loadFormatFixture(ladders['multitrack']!);
  const sets = readMpd(writeMpd(fixture.format)).periods[0]!.adaptationSets;
  const audio = sets.filter((s) => s.contentType === 'audio');
  assert.deepEqual(audio.map((s) => [s.lang, s.roles]), [['en', ['main']], ['fr', ['alternate']]]);
  // Each set's segments are its own stream's fragments.
  assert.deepEqual(audio.map((s) => { const u = parseSmoothUrl(s.representations[0]!.segments[0]!.url); return u?.kind === 'fragment' ? u.streamName : undefined; }), fixture.format.presentation.streams.filter((s) => s.type === 'audio').map((s) => s.name));
  const video = sets.find((s) => s.contentType === 'video')!;
  assert.equal(video.representations.length, 2);
});

test('frame rates other than 24: 30000/1001 from GStreamer and plain MP4 sources', async () => {
  for (const name of ['ismlmux', 'progressive']) {
    const fixture = await loadFormatFixture(ladders[name]!);
    const video = readMpd(writeMpd(fixture.format)).periods[0]!.adaptationSets.find((s) => s.contentType === 'video')!;
    assert.deepEqual([...new Set(video.representations.map((r) => r.frameRate))], ['30000/1001'], name);
  }
});

/** A small presentation to shape by hand. */
function synthetic(streamName: string, chunks: [bigint, bigint][], timeScale?: number): FormatPresentation {
  const presentation: Presentation = {
    majorVersion: 2,
    minorVersion: 2,
    timeScale: 10_000_000,
    duration: 100_000_000n,
    streams: [
      {
        type: 'video',
        name: streamName,
        url: `QualityLevels({bitrate})/Fragments(${streamName}={start time})`,
        qualityLevels: [{ index: 0, bitrate: 500_000, fourCC: 'H264', codecPrivateData: '', maxWidth: 720, maxHeight: 576 }],
        chunks: chunks.map(([t, d]) => ({ t, d })),
      },
    ],
  };
  if (timeScale !== undefined) presentation.streams[0]!.timeScale = timeScale;
  return { presentation, levels: [{ streamName, bitrate: 500_000, codecs: 'avc1.4d401e', frameRate: '25', sar: '16:15', sizes: chunks.map(() => 1000) }] };
}

test('timelines with gaps, a later start, another timescale; names that need escaping', () => {
  const chunks: [bigint, bigint][] = [[50_000_000n, 20_000_000n], [70_000_000n, 20_000_000n], [90_000_000n, 10_000_000n], [120_000_000n, 20_000_000n]];
  const p = synthetic('v$1&<x>', chunks);
  const xml = writeMpd(p);
  assert.match(xml, /<S t="50000000" d="20000000" r="1"\/>\s*<S d="10000000"\/>\s*<S t="120000000" d="20000000"\/>/);
  assert.match(xml, /presentationTimeOffset="50000000"/);
  assert.match(xml, /Fragments\(v\$\$1&amp;&lt;x&gt;=\$Time\$\)/);
  assert.match(xml, /par="4:3"/); // 720x576 with 16:15 pixels
  const rep = readMpd(xml).periods[0]!.adaptationSets[0]!.representations[0]!;
  const stream = p.presentation.streams[0]!;
  assert.deepEqual(rep.segments.map((s) => [s.url, s.time, s.duration]), chunks.map(([t, d]) => [fragmentKey(stream, stream.qualityLevels[0]!, t), t, d]));
  assert.equal(rep.initUrl, initKey('v$1&<x>', 500_000));
  assert.equal(rep.presentationTimeOffset, 50_000_000n);
  const other = synthetic('video', [[0n, 90_000n], [90_000n, 90_000n]], 90_000);
  const read = readMpd(writeMpd(other)).periods[0]!.adaptationSets[0]!.representations[0]!;
  assert.equal(read.timescale, 90_000);
  assert.deepEqual(read.segments.map((s) => s.time), [0n, 90_000n]);
});

test('writeMpd refuses what it cannot describe, naming it', () => {
  const p = synthetic('video', [[0n, 20_000_000n]]);
  assert.throws(() => writeMpd({ ...p, levels: [] }), { code: 'dash.bad-mpd', message: /no codecs known for stream 'video' at 500000/ });
  assert.throws(() => writeMpd({ ...p, presentation: { ...p.presentation, isLive: true } }), { code: 'dash.bad-mpd', message: /live/ });
  assert.throws(() => writeMpd({ ...p, presentation: { ...p.presentation, streams: [] } }), { code: 'dash.bad-mpd', message: /at least one stream/ });
  const fixed = synthetic('video', [[0n, 20_000_000n]]);
  fixed.presentation.streams[0]!.url = 'QualityLevels({bitrate})/Fragments(video=0)';
  assert.throws(() => writeMpd(fixed), { code: 'dash.bad-mpd', message: /stream 'video': its Url .* must contain \{bitrate\} and \{start time\}/ });
  const empty = synthetic('video', []);
  assert.throws(() => writeMpd(empty), { code: 'dash.bad-mpd', message: /stream 'video' has no chunks/ });
});
