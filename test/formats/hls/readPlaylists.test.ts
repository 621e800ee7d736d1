import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmoothpubError } from '../../../src/errors.js';
import { readMediaPlaylist, readMultivariantPlaylist, readPlaylist, resolvePlaylistUri } from '../../../src/formats/hls/readPlaylists.js';

const MASTER = [
  '#EXTM3U',
  '## a comment, not a tag',
  '#EXT-X-INDEPENDENT-SEGMENTS',
  '',
  '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",LANGUAGE="en",NAME="English, main",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/en.m3u8"',
  '#EXT-X-STREAM-INF:BANDWIDTH=1280000,AVERAGE-BANDWIDTH=1000000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=29.970,AUDIO="aac"',
  'video/720.m3u8',
  '#EXT-X-STREAM-INF:BANDWIDTH=64000,CODECS="mp4a.40.5"',
  'http://cdn.example/audio-only.m3u8',
].join('\r\n');

test('a multivariant playlist: variants with their attributes and resolved URIs, renditions, tags with line numbers', () => {
  const m = readMultivariantPlaylist(MASTER, { uri: 'https://host.example/a/video.ism/master.m3u8' });
  assert.equal(m.kind, 'multivariant');
  assert.equal(m.version, undefined);
  assert.equal(m.independentSegments, true);
  assert.equal(m.variants.length, 2);
  const [v, a] = m.variants;
  assert.deepEqual(
    { line: v!.line, uri: v!.uri, resolved: v!.resolvedUri, bw: v!.bandwidth, avg: v!.averageBandwidth, codecs: v!.codecs, res: v!.resolution, fps: v!.frameRate, audio: v!.audio },
    {
      line: 6,
      uri: 'video/720.m3u8',
      resolved: 'https://host.example/a/video.ism/video/720.m3u8',
      bw: 1280000,
      avg: 1000000,
      codecs: ['avc1.64001f', 'mp4a.40.2'],
      res: { width: 1280, height: 720 },
      fps: 29.97,
      audio: 'aac',
    },
  );
  assert.deepEqual(v!.attributes.get('CODECS'), { text: 'avc1.64001f,mp4a.40.2', quoted: true });
  assert.deepEqual(v!.attributes.get('RESOLUTION'), { text: '1280x720', quoted: false });
  assert.equal(a!.resolvedUri, 'http://cdn.example/audio-only.m3u8');
  assert.equal(a!.resolution, undefined);
  const [r] = m.renditions;
  assert.deepEqual(
    [r!.line, r!.type, r!.groupId, r!.language, r!.name, r!.isDefault, r!.autoselect, r!.channels, r!.resolvedUri],
    [5, 'AUDIO', 'aac', 'en', 'English, main', true, true, '2', 'https://host.example/a/video.ism/audio/en.m3u8'],
  );
  assert.deepEqual(
    m.tags.map((t) => [t.name, t.line]),
    [
      ['EXT-X-INDEPENDENT-SEGMENTS', 3],
      ['EXT-X-MEDIA', 5],
      ['EXT-X-STREAM-INF', 6],
      ['EXT-X-STREAM-INF', 8],
    ],
  );
});

const MEDIA = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:3
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MAP:URI="QualityLevels(400000)/Fragments(video=i)"
#EXTINF:2.000,
QualityLevels(400000)/Fragments(video=0)
#EXTINF:2.1333333,a title
QualityLevels(400000)/Fragments(video=20000000)
#EXT-X-MAP:URI="../other/init.mp4",BYTERANGE="720@0"
#EXT-X-BYTERANGE:1000@720
#EXTINF:1,
../other/all.mp4
#EXT-X-ENDLIST
`;

test('a media playlist: segments with durations as written, resolved URIs, the map in effect, byte ranges', () => {
  const m = readMediaPlaylist(MEDIA, { uri: 'video.ism/video-400000.m3u8' });
  assert.equal(m.kind, 'media');
  assert.deepEqual([m.version, m.targetDuration, m.mediaSequence, m.playlistType, m.endList, m.iFramesOnly, m.independentSegments], [7, 3, 0, 'VOD', true, false, false]);
  assert.deepEqual(
    m.segments.map((s) => [s.line, s.resolvedUri, s.duration, s.durationText, s.title, s.map?.resolvedUri, s.byteRange]),
    [
      [8, 'video.ism/QualityLevels(400000)/Fragments(video=0)', 2, '2.000', '', 'video.ism/QualityLevels(400000)/Fragments(video=i)', undefined],
      [10, 'video.ism/QualityLevels(400000)/Fragments(video=20000000)', 2.1333333, '2.1333333', 'a title', 'video.ism/QualityLevels(400000)/Fragments(video=i)', undefined],
      [14, 'other/all.mp4', 1, '1', '', 'other/init.mp4', { length: 1000, offset: 720 }],
    ],
  );
  assert.deepEqual(m.map, { line: 6, uri: 'QualityLevels(400000)/Fragments(video=i)', resolvedUri: 'video.ism/QualityLevels(400000)/Fragments(video=i)' });
  assert.deepEqual(m.segments[2]!.map?.byteRange, { length: 720, offset: 0 });
});

test('readPlaylist tells the kinds apart', () => {
  assert.equal(readPlaylist(MASTER).kind, 'multivariant');
  assert.equal(readPlaylist(MEDIA).kind, 'media');
});

test('URIs resolve against an absolute URL, a key, or stay as written without a base', () => {
  assert.equal(resolvePlaylistUri('QualityLevels(1)/Fragments(a=0)', 'http://h/v.ism/a-1.m3u8'), 'http://h/v.ism/QualityLevels(1)/Fragments(a=0)');
  assert.equal(resolvePlaylistUri('../x.m3u8', 'http://h/v.ism/sub/a.m3u8'), 'http://h/v.ism/x.m3u8');
  assert.equal(resolvePlaylistUri('x.m3u8', 'master.m3u8'), 'x.m3u8');
  assert.equal(resolvePlaylistUri('x.m3u8', 'a/b/master.m3u8'), 'a/b/x.m3u8');
  assert.equal(resolvePlaylistUri('/root.m3u8', 'a/b/master.m3u8'), 'root.m3u8');
  assert.equal(resolvePlaylistUri('https://cdn/x.m3u8', 'a/master.m3u8'), 'https://cdn/x.m3u8');
  assert.equal(resolvePlaylistUri('x.m3u8', undefined), 'x.m3u8');
});

/** The error a playlist gets: code hls.bad-playlist, the line in the context and the message. */
function failsAt(read: (text: string) => unknown, text: string, line: number, pattern: RegExp): void {
  assert.throws(
    () => read(text),
    (e: unknown) => {
      assert.ok(e instanceof SmoothpubError, String(e));
      assert.equal(e.code, 'hls.bad-playlist');
      assert.equal(e.context.line, line, e.message);
      assert.equal(e.context.key, 'p.m3u8');
      assert.match(e.message, pattern);
      assert.match(e.message, new RegExp(`\\(object p\\.m3u8, line ${line}\\)$`));
      return true;
    },
  );
}

const media = (text: string) => readMediaPlaylist(text, { uri: 'p.m3u8' });
const master = (text: string) => readMultivariantPlaylist(text, { uri: 'p.m3u8' });

test('syntax errors name the line and what is wrong', () => {
  failsAt(media, '#EXTM3X\n', 1, /first line must be #EXTM3U/);
  failsAt(media, '', 1, /first line must be #EXTM3U/);
  failsAt(media, '\uFEFF#EXTM3U\n', 1, /byte order mark/);
  failsAt(media, '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-VERSION:6\n', 3, /#EXT-X-VERSION appears more than once/);
  failsAt(media, '#EXTM3U\n#EXT-X-TARGETDURATION:2.5\n', 2, /target duration must be a decimal integer, found "2\.5"/);
  failsAt(media, '#EXTM3U\n#EXTINF:2.0,\n#EXTINF:2.0,\na.mp4\n', 3, /#EXTINF on line 2 is not followed by its URI/);
  failsAt(media, '#EXTM3U\n#EXTINF:2.0,\n', 2, /#EXTINF is not followed by its URI/);
  failsAt(media, '#EXTM3U\n#EXTINF:2.0\na.mp4\n', 2, /#EXTINF must be <duration>,\[<title>\]/);
  failsAt(media, '#EXTM3U\n#EXTINF:-1,\na.mp4\n', 2, /duration must be a non-negative decimal number, found "-1"/);
  failsAt(media, '#EXTM3U\n\na.mp4\n', 3, /a URI \("a\.mp4"\) that follows no #EXTINF/);
  failsAt(media, '#EXTM3U\n#EXT-X-MAP:URI=init.mp4\n', 2, /#EXT-X-MAP needs URI="\.\.\."/);
  failsAt(media, '#EXTM3U\n#EXT-X-MAP:URI="init.mp4\n', 2, /quoted string of URI is not closed \(column 16\)/);
  failsAt(media, '#EXTM3U\n#EXT-X-PLAYLIST-TYPE:LIVE\n', 2, /must be VOD or EVENT/);
  failsAt(media, '#EXTM3U\n#EXT-X-BYTERANGE:1@2@3\n', 2, /byte range must be <length>\[@<offset>\]/);
  failsAt(media, '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n', 2, /belongs in a multivariant playlist/);
  failsAt(master, '#EXTM3U\n#EXTINF:2,\n', 2, /belongs in a media playlist/);
  failsAt(master, '#EXTM3U\nv.m3u8\n', 2, /follows no #EXT-X-STREAM-INF/);
  failsAt(master, '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n', 2, /not followed by its URI/);
  failsAt(master, '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n#EXT-X-MEDIA:TYPE=AUDIO\n', 3, /on line 2 is not followed by its URI/);
  failsAt(master, '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1.5\nv.m3u8\n', 2, /BANDWIDTH must be a decimal integer/);
  failsAt(master, '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=720p\nv.m3u8\n', 2, /RESOLUTION must be <width>x<height>/);
  failsAt(master, '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,BANDWIDTH=2\nv.m3u8\n', 2, /BANDWIDTH appears twice/);
  failsAt(master, '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,\nv.m3u8\n', 2, /ends with a comma/);
  failsAt(master, '#EXTM3U\n#EXT-X-STREAM-INF:bandwidth=1\nv.m3u8\n', 2, /name "bandwidth" is not \[A-Z0-9-\]\+/);
  failsAt(master, '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1, CODECS="a"\nv.m3u8\n', 2, /name " CODECS" is not/);
  failsAt(master, '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="a"x\nv.m3u8\n', 2, /expected ',' after CODECS/);
  failsAt(master, '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH\nv.m3u8\n', 2, /has no '='/);
});
