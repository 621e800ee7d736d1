// The live forms of the documents: the Smooth Manifest, the dynamic MPD and the sliding HLS
// playlists, written from a window of the same presentation the static ones describe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readMpd } from '../../src/formats/dash/readMpd.js';
import { writeMpd } from '../../src/formats/dash/writeMpd.js';
import { checkHlsRules } from '../../src/formats/hls/checkHlsRules.js';
import { readMediaPlaylist, readMultivariantPlaylist } from '../../src/formats/hls/readPlaylists.js';
import { writeHls } from '../../src/formats/hls/writePlaylists.js';
import type { FormatPresentation } from '../../src/formats/model.js';
import { MASTER_PLAYLIST_KEY } from '../../src/formats/names.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { writeManifest } from '../../src/smooth/writeManifest.js';
import { fixtureSets } from '../e2e/helpers.js';
import { fixturePresentation } from './hls/fixturePresentation.js';

/** The presentation as a live event shows it: chunks [from, to) of every stream, IsLive. */
function windowOf(fp: FormatPresentation, from: number, to: number): FormatPresentation {
  const p = fp.presentation;
  return {
    ...fp,
    presentation: { ...p, isLive: true, lookaheadCount: 1, dvrWindowLength: 40_000_000n, streams: p.streams.map((s) => ({ ...s, chunks: s.chunks.slice(from, to) })) },
    levels: fp.levels.map((l) => ({ ...l, sizes: Array.from(l.sizes).slice(from, to) })),
  };
}

test('the live Manifest says IsLive, Duration 0, LookaheadCount and DVRWindowLength, and names the window chunks with their t', async () => {
  const fp = await fixturePresentation(fixtureSets.clean);
  const live = windowOf(fp, 1, 3).presentation;
  const xml = writeManifest({ ...live, duration: fp.presentation.duration });
  assert.match(xml, /Duration="0" IsLive="TRUE" LookaheadCount="1" LookAheadFragmentCount="1" DVRWindowLength="40000000"/);
  const back = readManifest(xml);
  for (const [i, s] of back.streams.entries()) {
    assert.deepEqual(s.chunks, fp.presentation.streams[i]!.chunks.slice(1, 3));
    assert.match(xml, new RegExp(`<c t="${fp.presentation.streams[i]!.chunks[1]!.t}"`), 'the first chunk of the window carries its t');
  }
});

test('a dynamic MPD: availabilityStartTime, publishTime, minimumUpdatePeriod, timeShiftBufferDepth, suggestedPresentationDelay; the window as SegmentTimeline on a fixed origin', async () => {
  const fp = await fixturePresentation(fixtureSets.clean);
  const options = {
    availabilityStartTime: new Date('2026-12-07T01:00:00Z'),
    timeOrigin: 0n,
    publishTime: new Date('2026-12-07T01:00:06.5Z'),
    minimumUpdatePeriod: 20_000_000n,
    timeShiftBufferDepth: 40_000_000n,
    suggestedPresentationDelay: 60_000_000n,
  };
  const mpds = [windowOf(fp, 0, 2), windowOf(fp, 2, 4)].map((w) => writeMpd(w, { live: options }));
  for (const [n, xml] of mpds.entries()) {
    assert.match(xml, /type="dynamic"/);
    assert.match(xml, /availabilityStartTime="2026-12-07T01:00:00.000Z" publishTime="2026-12-07T01:00:06.500Z" minimumUpdatePeriod="PT2S" timeShiftBufferDepth="PT4S" suggestedPresentationDelay="PT6S"/);
    assert.doesNotMatch(xml, /mediaPresentationDuration/);
    const mpd = readMpd(xml);
    assert.equal(mpd.type, 'dynamic');
    for (const set of mpd.periods[0]!.adaptationSets) {
      for (const r of set.representations) {
        const stream = fp.presentation.streams.find((s) => s.type === set.contentType)!;
        assert.deepEqual(r.segments.map((s) => s.time), stream.chunks.slice(2 * n, 2 * n + 2).map((c) => c.t), `window ${n}: the window's segments`);
        assert.equal(r.presentationTimeOffset ?? 0n, 0n, 'the origin, not the window start');
      }
    }
  }
  const timed = writeMpd(windowOf(fp, 2, 4), { live: { ...options, utcTiming: [{ schemeIdUri: 'urn:mpeg:dash:utc:http-head:2014', value: 'https://example.com/' }] } });
  assert.match(timed, /<\/Period>\s*<UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-head:2014" value="https:\/\/example.com\/"/, 'UTCTiming after the Period');
  const later = writeMpd(windowOf(fp, 2, 4), { live: { ...options, timeOrigin: 20_000_000n } });
  assert.match(later, /presentationTimeOffset="20000000"/, 'a later origin is the presentationTimeOffset, whatever the window');
  const unbounded = { availabilityStartTime: options.availabilityStartTime, timeOrigin: 0n, publishTime: options.publishTime, minimumUpdatePeriod: options.minimumUpdatePeriod };
  assert.doesNotMatch(writeMpd(windowOf(fp, 0, 4), { live: unbounded }), /timeShiftBufferDepth|suggestedPresentationDelay/, 'unbounded DVR: no depth');
  assert.throws(() => writeMpd(fp, { live: options }), { code: 'dash.bad-mpd', message: /live presentation/ });
  assert.throws(() => writeMpd(windowOf(fp, 0, 2)), { code: 'dash.bad-mpd', message: /live/ });
});

test('sliding HLS playlists: no type and no ENDLIST while live, MEDIA-SEQUENCE advancing with the window, PROGRAM-DATE-TIME when asked, ENDLIST at the end', async () => {
  const fp = await fixturePresentation(fixtureSets.clean);
  for (const from of [0, 1, 2]) {
    const written = writeHls(windowOf(fp, from, from + 2), { live: { mediaSequence: () => from, programDateTime: { at: new Date('2026-12-07T01:00:00Z'), timeOrigin: 0n } } });
    const master = readMultivariantPlaylist(written.master, { uri: MASTER_PLAYLIST_KEY });
    assert.ok(master.variants.length > 0);
    const medias = new Map(written.media.map((m) => [m.key, readMediaPlaylist(m.text, { uri: m.key })]));
    // Every rule but the VOD ones (type VOD, ENDLIST), which a live playlist breaks by design.
    assert.deepEqual(checkHlsRules(master, medias).filter((p) => p.rule !== 'vod'), [], 'RFC 8216 rules hold for the live form');
    for (const m of written.media) {
      const media = readMediaPlaylist(m.text, { uri: m.key });
      assert.equal(media.mediaSequence, from);
      assert.equal(media.playlistType, undefined, 'a live playlist has no type');
      assert.equal(media.endList, false);
      assert.equal(media.segments.length, 2);
      const stream = fp.presentation.streams.find((s) => m.key.startsWith(`${s.name}-`))!;
      assert.match(m.text, new RegExp(`#EXT-X-PROGRAM-DATE-TIME:${new Date(Date.parse('2026-12-07T01:00:00Z') + Number(stream.chunks[from]!.t / 10_000n)).toISOString()}`));
    }
  }
  const ended = writeHls(windowOf(fp, 2, 4), { live: { mediaSequence: () => 2, ended: true } });
  for (const m of ended.media) {
    const media = readMediaPlaylist(m.text, { uri: m.key });
    assert.deepEqual([media.mediaSequence, media.endList, media.playlistType], [2, true, undefined], 'the event over: ENDLIST, the sequence kept');
    assert.doesNotMatch(m.text, /PROGRAM-DATE-TIME/, 'only when asked');
  }
  assert.throws(() => writeHls(fp, { live: { mediaSequence: () => 0 } }), { code: 'cli.bad-option', message: /live/ });
  assert.throws(() => writeHls(windowOf(fp, 0, 2)), { code: 'cli.bad-option', message: /live/ });
  assert.throws(() => writeHls(windowOf(fp, 0, 2), { live: { mediaSequence: () => -1 } }), { message: /media sequence/ });
});

test('a live window with no fragment yet announces the encoder bitrates in the multivariant playlist', async () => {
  const fp = await fixturePresentation(fixtureSets.clean);
  // The first fragment announced before its size is known (0 bytes measured).
  const none = windowOf(fp, 0, 1);
  none.levels.forEach((l) => (l.sizes = [0]));
  const master = readMultivariantPlaylist(writeHls(none, { live: { mediaSequence: () => 0 } }).master, { uri: MASTER_PLAYLIST_KEY });
  const bitrates = fp.levels.filter((l) => l.streamName === 'video').map((l) => l.bitrate);
  for (const v of master.variants) assert.ok(bitrates.some((b) => (v.bandwidth ?? 0) >= b), `variant ${v.bandwidth} covers its level`);
});
