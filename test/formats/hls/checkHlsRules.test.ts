import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHlsRules, type HlsProblem, type HlsRule } from '../../../src/formats/hls/checkHlsRules.js';
import { readMediaPlaylist, readMultivariantPlaylist } from '../../../src/formats/hls/readPlaylists.js';
import { writeHls, type HlsPlaylists } from '../../../src/formats/hls/writePlaylists.js';
import { fixtureSets } from '../../e2e/helpers.js';
import { fixturePresentation } from './fixturePresentation.js';

// Our own playlists for the two-language set pass; each hand-made break below must make
// exactly its rule fail (and no other), so every rule is shown to catch what it names.

const written = await fixturePresentation(fixtureSets.multitrack).then(writeHls);
const VIDEO = 'video-323692.m3u8';
const AUDIO = 'audio_eng-67795.m3u8';

function check(p: HlsPlaylists, keep: (key: string) => boolean = () => true): HlsProblem[] {
  const master = readMultivariantPlaylist(p.master, { uri: 'master.m3u8' });
  const medias = new Map(p.media.filter((m) => keep(m.key)).map((m) => [m.key, readMediaPlaylist(m.text, { uri: m.key })]));
  return checkHlsRules(master, medias);
}

/** The playlists with `edit` applied to the master (`key` undefined) or to one media playlist. */
function broken(edit: (text: string) => string, key?: string): HlsPlaylists {
  const changed = (text: string): string => {
    const out = edit(text);
    assert.notEqual(out, text, 'the edit changed something');
    return out;
  };
  if (key === undefined) return { master: changed(written.master), media: written.media };
  assert.ok(written.media.some((m) => m.key === key), key);
  return { master: written.master, media: written.media.map((m) => (m.key === key ? { key, text: changed(m.text) } : m)) };
}

function assertOnly(problems: HlsProblem[], rule: HlsRule, playlist: string, message: RegExp): void {
  assert.ok(problems.length > 0, `expected a '${rule}' problem`);
  assert.deepEqual([...new Set(problems.map((p) => p.rule))], [rule], JSON.stringify(problems));
  assert.ok(
    problems.some((p) => p.playlist === playlist && message.test(p.message)),
    JSON.stringify(problems),
  );
}

test('our playlists pass every rule', () => {
  assert.deepEqual(check(written), []);
});

const cases: [string, HlsRule, string, RegExp, () => HlsProblem[]][] = [
  ['EXT-X-VERSION below what EXT-X-MAP needs', 'version', VIDEO, /EXT-X-VERSION 5 but EXT-X-MAP in a playlist without EXT-X-I-FRAMES-ONLY needs 6/, () => check(broken((t) => t.replace('#EXT-X-VERSION:7', '#EXT-X-VERSION:5'), VIDEO))],
  ['no EXT-X-VERSION at all', 'version', AUDIO, /EXT-X-VERSION \(absent: 1\) but .* needs 6/, () => check(broken((t) => t.replace('#EXT-X-VERSION:7\n', ''), AUDIO))],
  ['TARGETDURATION below a rounded EXTINF', 'target-duration', VIDEO, /EXTINF 2\.000 rounds to 2, above EXT-X-TARGETDURATION 1/, () => check(broken((t) => t.replace('#EXT-X-TARGETDURATION:2', '#EXT-X-TARGETDURATION:1'), VIDEO))],
  ['no TARGETDURATION', 'target-duration', VIDEO, /no EXT-X-TARGETDURATION/, () => check(broken((t) => t.replace('#EXT-X-TARGETDURATION:2\n', ''), VIDEO))],
  ['an EXTINF rounding above the target (2.5 -> 3)', 'target-duration', AUDIO, /EXTINF 2\.500 rounds to 3/, () => check(broken((t) => t.replace('#EXTINF:2.0053333,', '#EXTINF:2.500,'), AUDIO))],
  ['no EXT-X-PLAYLIST-TYPE', 'vod', VIDEO, /EXT-X-PLAYLIST-TYPE is absent, not VOD/, () => check(broken((t) => t.replace('#EXT-X-PLAYLIST-TYPE:VOD\n', ''), VIDEO))],
  ['EXT-X-PLAYLIST-TYPE:EVENT', 'vod', VIDEO, /EXT-X-PLAYLIST-TYPE is EVENT/, () => check(broken((t) => t.replace('PLAYLIST-TYPE:VOD', 'PLAYLIST-TYPE:EVENT'), VIDEO))],
  ['no EXT-X-ENDLIST', 'vod', AUDIO, /no EXT-X-ENDLIST/, () => check(broken((t) => t.replace('#EXT-X-ENDLIST\n', ''), AUDIO))],
  [
    'EXT-X-INDEPENDENT-SEGMENTS neither in the master nor in every media playlist',
    'independent-segments',
    'master.m3u8',
    /no EXT-X-INDEPENDENT-SEGMENTS/,
    () => {
      const p = broken((t) => t.replace('#EXT-X-INDEPENDENT-SEGMENTS\n', ''));
      return check({ ...p, media: p.media.map((m) => (m.key === AUDIO ? { ...m, text: m.text.replace('#EXT-X-INDEPENDENT-SEGMENTS\n', '') } : m)) });
    },
  ],
  ['a variant without BANDWIDTH', 'stream-inf', 'master.m3u8', /has no BANDWIDTH/, () => check(broken((t) => t.replace(/BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,/, '')))],
  ['a variant without CODECS', 'stream-inf', 'master.m3u8', /has no CODECS/, () => check(broken((t) => t.replace(/CODECS="[^"]*",/, '')))],
  ['CODECS not quoted', 'stream-inf', 'master.m3u8', /CODECS of video-\d+\.m3u8 must be a quoted string/, () => check(broken((t) => t.replace(/CODECS="(avc1\.test\d+),[^"]*"/, 'CODECS=$1')))],
  ['a video variant without RESOLUTION', 'stream-inf', 'master.m3u8', /has video \(avc1\.test323692,.*\) but no RESOLUTION/, () => check(broken((t) => t.replace('RESOLUTION=320x180,', '')))],
  ['BANDWIDTH below AVERAGE-BANDWIDTH', 'bandwidth', 'master.m3u8', /BANDWIDTH 1 of video-\d+\.m3u8 is below its AVERAGE-BANDWIDTH/, () => check(broken((t) => t.replace(/BANDWIDTH=\d+,AVERAGE/, 'BANDWIDTH=1,AVERAGE')))],
  ['AUDIO naming no group', 'audio-group', 'master.m3u8', /AUDIO="nope" of video-\d+\.m3u8 names no EXT-X-MEDIA TYPE=AUDIO group/, () => check(broken((t) => t.replace('AUDIO="audio"', 'AUDIO="nope"')))],
  ['EXT-X-MEDIA without NAME', 'media', 'master.m3u8', /EXT-X-MEDIA has no NAME/, () => check(broken((t) => t.replace('NAME="English",', '')))],
  ['a NAME twice in a group', 'media', 'master.m3u8', /NAME "English" appears twice in group audio/, () => check(broken((t) => t.replace('NAME="français"', 'NAME="English"')))],
  ['LANGUAGE that is not a language tag', 'media', 'master.m3u8', /LANGUAGE "en glish" is not an RFC 5646 language tag/, () => check(broken((t) => t.replace('LANGUAGE="en"', 'LANGUAGE="en glish"')))],
  ['DEFAULT=YES with AUTOSELECT=NO', 'media', 'master.m3u8', /DEFAULT=YES with AUTOSELECT=NO: it must be YES/, () => check(broken((t) => t.replace('DEFAULT=YES,AUTOSELECT=YES', 'DEFAULT=YES,AUTOSELECT=NO')))],
  ['DEFAULT=YES without AUTOSELECT', 'media', 'master.m3u8', /DEFAULT=YES with AUTOSELECT=\(absent: NO\)/, () => check(broken((t) => t.replace('DEFAULT=YES,AUTOSELECT=YES,', 'DEFAULT=YES,')))],
  ['two AUTOSELECT renditions alike', 'media', 'master.m3u8', /AUTOSELECT=YES members of group audio on lines 5 and 6 have the same LANGUAGE \(en\)/, () => check(broken((t) => t.replace('LANGUAGE="fr"', 'LANGUAGE="en"')))],
  ['two DEFAULT=YES in a group', 'default', 'master.m3u8', /a second DEFAULT=YES in group audio \(the first on line 5\)/, () => check(broken((t) => t.replace('DEFAULT=NO', 'DEFAULT=YES')))],
  ['fMP4 segments without EXT-X-MAP', 'map', VIDEO, /fMP4 segment QualityLevels\(323692\)\/Fragments\(video=0\) has no EXT-X-MAP/, () => check(broken((t) => t.replace(/#EXT-X-MAP:.*\n/, ''), VIDEO))],
  ['a media playlist the master names is not given', 'missing-playlist', 'master.m3u8', /media playlist audio_fra-67730\.m3u8 was not given/, () => check(written, (key) => key !== 'audio_fra-67730.m3u8')],
  ['a segment of no duration', 'segment', AUDIO, /lasts 0\.000 s/, () => check(broken((t) => t.replace('#EXTINF:1.920,', '#EXTINF:0.000,'), AUDIO))],
];

for (const [what, rule, playlist, message, run] of cases) {
  test(`rule '${rule}' catches ${what}`, () => assertOnly(run(), rule, playlist, message));
}

test('every rule is caught by at least one case above', () => {
  const rules: HlsRule[] = ['missing-playlist', 'version', 'target-duration', 'vod', 'independent-segments', 'stream-inf', 'bandwidth', 'audio-group', 'media', 'default', 'map', 'segment'];
  assert.deepEqual(new Set(cases.map((c) => c[1])), new Set(rules));
});

test('segments of MPEG-TS, packed audio or WebVTT need no EXT-X-MAP; one independent-segments tag in every media playlist suffices', () => {
  const ts = (uri: string) => `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXTINF:2.0,\n${uri}\n#EXT-X-ENDLIST\n`;
  for (const uri of ['a.ts', 'a.aac', 'a.vtt?x=1', 'a.mp4']) {
    const master = readMultivariantPlaylist(`#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="mp4a.40.2"\nm.m3u8\n`);
    const problems = checkHlsRules(master, new Map([['m.m3u8', readMediaPlaylist(ts(uri))]]));
    assert.deepEqual(
      problems.map((p) => p.rule),
      uri === 'a.mp4' ? ['map'] : [],
      uri,
    );
  }
});
