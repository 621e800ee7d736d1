import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFragmentUrl, fragmentKey, parseSmoothUrl } from '../../src/smooth/index.js';
import type { QualityLevel, StreamIndex } from '../../src/smooth/index.js';
import { SmoothpubError } from '../../src/errors.js';

const TEMPLATE = 'QualityLevels({bitrate})/Fragments(video={start time})';

test('formatFragmentUrl fills both placeholder spellings', () => {
  assert.equal(formatFragmentUrl(TEMPLATE, 2962000, 20_000_000n), 'QualityLevels(2962000)/Fragments(video=20000000)');
  assert.equal(formatFragmentUrl('QualityLevels({Bitrate})/Fragments(video_eng={start_time})', 64000, 0n), 'QualityLevels(64000)/Fragments(video_eng=0)');
  // Live times in 100 ns since 1970 exceed 2^53: printed exactly.
  assert.equal(formatFragmentUrl(TEMPLATE, 1, 17_640_000_000_000_123n), 'QualityLevels(1)/Fragments(video=17640000000000123)');
});

test('formatFragmentUrl refuses bad input with smooth.bad-url', () => {
  const isBadUrl = (e: unknown): boolean => e instanceof SmoothpubError && e.code === 'smooth.bad-url';
  assert.throws(() => formatFragmentUrl(TEMPLATE, 1, -1n), isBadUrl);
  assert.throws(() => formatFragmentUrl(TEMPLATE, 1, 1n << 63n), isBadUrl);
  assert.throws(() => formatFragmentUrl(TEMPLATE, 1.5, 0n), isBadUrl);
  assert.throws(() => formatFragmentUrl(TEMPLATE, 2 ** 32, 0n), isBadUrl);
  assert.throws(() => formatFragmentUrl('QualityLevels({bitrate})/Fragments(video=0)', 1, 0n), isBadUrl);
  assert.throws(() => formatFragmentUrl('Fragments(video={start time})', 1, 0n), isBadUrl);
});

test('fragmentKey uses the stream template and level bitrate, and parses back', () => {
  const stream: StreamIndex = { type: 'audio', name: 'audio_eng', url: 'QualityLevels({bitrate})/Fragments(audio_eng={start time})', qualityLevels: [], chunks: [] };
  const level: QualityLevel = { index: 0, bitrate: 128000, fourCC: 'AACL', codecPrivateData: '1190' };
  const key = fragmentKey(stream, level, 213333n);
  assert.equal(key, 'QualityLevels(128000)/Fragments(audio_eng=213333)');
  assert.deepEqual(parseSmoothUrl(key), { kind: 'fragment', bitrate: 128000, streamName: 'audio_eng', time: 213333n });
});

test('parseSmoothUrl recognises the manifest, fragments and FragmentInfo', () => {
  assert.deepEqual(parseSmoothUrl('Manifest'), { kind: 'manifest' });
  assert.deepEqual(parseSmoothUrl('manifest'), { kind: 'manifest' });
  assert.deepEqual(parseSmoothUrl('QualityLevels(2962000)/Fragments(video=20000000)'), { kind: 'fragment', bitrate: 2962000, streamName: 'video', time: 20000000n });
  assert.deepEqual(parseSmoothUrl('qualitylevels(0)/FRAGMENTS(Video.v-1_x=0)'), { kind: 'fragment', bitrate: 0, streamName: 'Video.v-1_x', time: 0n });
  assert.deepEqual(parseSmoothUrl('QualityLevels(128000)/FragmentInfo(audio=40000000)'), { kind: 'fragmentInfo', bitrate: 128000, streamName: 'audio', time: 40000000n });
  assert.deepEqual(parseSmoothUrl('QualityLevels(4294967295)/Fragments(v=9223372036854775807)'), { kind: 'fragment', bitrate: 4294967295, streamName: 'v', time: 9223372036854775807n });
  assert.deepEqual(parseSmoothUrl(`QualityLevels(1)/Fragments(${'a'.repeat(128)}=1)`), { kind: 'fragment', bitrate: 1, streamName: 'a'.repeat(128), time: 1n });
});

test('parseSmoothUrl returns null for anything malformed', () => {
  const malformed = [
    '',
    '/Manifest',
    'Manifest/',
    'Manifest?x=1',
    'Manifest(format=m3u8-aapl)',
    'Manifests',
    ' Manifest',
    'QualityLevels(1)/Fragments(video=0)/',
    '/QualityLevels(1)/Fragments(video=0)',
    'x/QualityLevels(1)/Fragments(video=0)',
    'QualityLevels(1)/Fragments(video=0)?a=b',
    'QualityLevels(1)/Fragments(video=0)#x',
    'QualityLevels(1)\\Fragments(video=0)',
    'QualityLevels(1)//Fragments(video=0)',
    'QualityLevel(1)/Fragments(video=0)',
    'QualityLevels(1)/Fragment(video=0)',
    'QualityLevels(1)/KeyFrames(video=0)',
    'QualityLevels()/Fragments(video=0)',
    'QualityLevels(1)/Fragments(video=)',
    'QualityLevels(1)/Fragments(=0)',
    'QualityLevels(1)/Fragments(video)',
    'QualityLevels(1)/Fragments(video=0=0)',
    'QualityLevels(+1)/Fragments(video=0)',
    'QualityLevels(-1)/Fragments(video=0)',
    'QualityLevels(1)/Fragments(video=-1)',
    'QualityLevels(1)/Fragments(video=+1)',
    'QualityLevels(1e6)/Fragments(video=0)',
    'QualityLevels(1)/Fragments(video=1e6)',
    'QualityLevels(1.0)/Fragments(video=0)',
    'QualityLevels(0x10)/Fragments(video=0)',
    'QualityLevels( 1)/Fragments(video=0)',
    'QualityLevels(1)/Fragments(video= 0)',
    'QualityLevels(1)/Fragments(video =0)',
    'QualityLevels(01)/Fragments(video=0)', // non-canonical: one key per object
    'QualityLevels(1)/Fragments(video=00)',
    'QualityLevels(1)/Fragments(video=007)',
    'QualityLevels(4294967296)/Fragments(video=0)', // 2^32
    'QualityLevels(12345678901)/Fragments(video=0)', // 11 digits
    'QualityLevels(1)/Fragments(video=9223372036854775808)', // 2^63
    'QualityLevels(1)/Fragments(video=123456789012345678901)', // 21 digits
    'QualityLevels(1)/Fragments(vid eo=0)',
    'QualityLevels(1)/Fragments(vid/eo=0)',
    'QualityLevels(1)/Fragments(vid%20eo=0)',
    'QualityLevels(1)/Fragments(vidéo=0)',
    'QualityLevels(1)/Fragments(..=0)',
    'QualityLevels(1)/Fragments(.=0)',
    `QualityLevels(1)/Fragments(${'a'.repeat(129)}=0)`,
    'QualityLevels(١)/Fragments(video=0)', // Arabic-Indic digit
    'QualityLevels(1)/Fragments(video=0)\n',
    'QualityLevels(1,Custom=x)/Fragments(video=0)',
    'QualityLevels%281%29/Fragments%28video%3D0%29',
  ];
  for (const path of malformed) assert.equal(parseSmoothUrl(path), null, JSON.stringify(path));
});
