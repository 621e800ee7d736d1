import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SUBTITLE_BYTES } from '../../src/text/decodeText.js';
import { readSubtitles } from '../../src/text/readSubtitles.js';
import { smoothpubError } from '../bmff/helpers.js';
import { timesAndText } from './helpers.js';

const VTT = 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nGrüße 字幕\n';

function utf16(s: string, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(2 + s.length * 2);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xfeff, littleEndian);
  for (let i = 0; i < s.length; i++) v.setUint16(2 + 2 * i, s.charCodeAt(i), littleEndian);
  return out;
}

test('UTF-8 with and without BOM and UTF-16 with a BOM (both byte orders) read the same', () => {
  const expected = [[1000, 2000, 'Grüße 字幕']];
  const plain = new TextEncoder().encode(VTT);
  assert.deepEqual(timesAndText(readSubtitles(plain, 'a.vtt')), expected);
  assert.deepEqual(timesAndText(readSubtitles(Uint8Array.of(0xef, 0xbb, 0xbf, ...plain), 'a.vtt')), expected);
  assert.deepEqual(timesAndText(readSubtitles(utf16(VTT, true), 'a.vtt')), expected);
  assert.deepEqual(timesAndText(readSubtitles(utf16(VTT, false), 'a.vtt')), expected);
});

test('a Latin-1 file is a typed error naming the first byte that is not UTF-8', () => {
  const latin1 = Uint8Array.from('WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nGr\u00fc\u00dfe\n', (ch) => ch.charCodeAt(0));
  const at = latin1.indexOf(0xfc);
  assert.throws(() => readSubtitles(latin1, 'latin1.srt'), smoothpubError('text.bad-encoding', at));
});

test('UTF-16 without a BOM is a typed error, not garbage text', () => {
  const noBom = utf16(VTT, true).subarray(2);
  assert.throws(() => readSubtitles(noBom, 'u16.vtt'), smoothpubError('text.bad-encoding', 1));
});

test('a 100 MB subtitle file is refused with text.too-large before it is decoded', () => {
  // Generated here, never committed: 100 MB of valid WebVTT cues.
  const cue = new TextEncoder().encode('00:00:01.000 --> 00:00:02.000\nsome caption text that repeats\n\n');
  const big = new Uint8Array(100 * 1024 * 1024);
  big.set(new TextEncoder().encode('WEBVTT\n\n'));
  for (let p = 8; p + cue.length <= big.length; p += cue.length) big.set(cue, p);
  assert.ok(big.length > MAX_SUBTITLE_BYTES);
  assert.throws(() => readSubtitles(big, 'huge.vtt'), (e: unknown) => smoothpubError('text.too-large')(e) && (e as Error).message.includes('huge.vtt'));
  // Just below the limit the same content reads (the limit is the only reason for the error).
  const cues = readSubtitles(big.subarray(0, 8 + cue.length * 1000), 'ok.vtt');
  assert.equal(cues.length, 1000);
});
