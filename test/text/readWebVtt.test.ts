import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSubtitles } from '../../src/text/readSubtitles.js';
import { smoothpubError } from '../bmff/helpers.js';
import { fixture, utf8 } from './helpers.js';

test('readSubtitles reads a WebVTT file: times, styling, classes from STYLE, entities, placement', () => {
  const cues = readSubtitles(fixture('styled.vtt'), 'styled.vtt');
  assert.deepEqual(cues, [
    {
      start: 250, end: 1750, id: 'intro',
      runs: [{ text: 'Hello, ' }, { text: 'bold', bold: true }, { text: ' and ' }, { text: 'italic', italic: true }, { lineBreak: true }, { text: 'and ' }, { text: 'underlined', underline: true }, { text: ' text' }],
    },
    { start: 1500, end: 2600, runs: [{ text: 'Yellow', color: 'yellow' }, { text: ' across the boundary' }], placement: { align: 'center' } },
    { start: 3000, end: 4999, runs: [{ text: 'Ça va? Très bien — 日本語の字幕 🎬' }, { lineBreak: true }, { text: 'orange', color: '#ff8800' }, { text: ' & <escaped>' }] },
    { start: 5001, end: 7123, runs: [{ text: 'Top left', bold: true, italic: true }], placement: { linePercent: 10, positionPercent: 25, sizePercent: 40, align: 'start' } },
  ]);
});

test('the format comes from the option, else the extension, else the content', () => {
  const vtt = utf8('WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n');
  assert.equal(readSubtitles(vtt, 'captions.txt')[0]?.start, 1000);
  assert.equal(readSubtitles(vtt, 'captions.bin', 'webvtt')[0]?.end, 2000);
  assert.throws(() => readSubtitles(utf8('hello'), 'notes.txt'), smoothpubError('text.unknown-format'));
  // The extension wins over the content: an .srt file that is WebVTT fails as SRT would.
  assert.throws(() => readSubtitles(vtt, 'x.srt'), smoothpubError('text.malformed'));
});

test('a bad WebVTT timestamp is a typed error naming the file and line', () => {
  const bad = utf8('WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfine\n\n00:00:03,000 --> 00:00:04.000\ncomma\n');
  assert.throws(() => readSubtitles(bad, 'bad.vtt'), (e: unknown) => smoothpubError('text.bad-timestamp')(e) && (e as { context: { line: number; file: string } }).context.line === 6 && (e as Error).message.includes('bad.vtt'));
  assert.throws(() => readSubtitles(utf8('WEBVTT\n\n00:00:01.00 --> 00:00:02.000\nx\n'), 'a.vtt'), smoothpubError('text.bad-timestamp'));
  assert.throws(() => readSubtitles(utf8('WEBVTT\n\n00:61:01.000 --> 00:62:02.000\nx\n'), 'a.vtt'), smoothpubError('text.bad-timestamp'));
});

test('a cue ending before it starts is an error with its line; zero-length cues are dropped', () => {
  const backwards = utf8('WEBVTT\n\n00:00:05.000 --> 00:00:04.000\nback\n');
  assert.throws(() => readSubtitles(backwards, 'b.vtt'), (e: unknown) => smoothpubError('text.bad-timestamp')(e) && (e as { context: { line: number } }).context.line === 3);
  const empty = readSubtitles(utf8('WEBVTT\n\n00:00:05.000 --> 00:00:05.000\nnever shown\n\n00:00:06.000 --> 00:00:07.000\nshown\n'), 'z.vtt');
  assert.deepEqual(empty.map((c) => c.start), [6000]);
});

test('overlapping cues are kept; cues out of order are sorted (the documented repair)', () => {
  const cues = readSubtitles(utf8('WEBVTT\n\n00:00:04.000 --> 00:00:06.000\nthird\n\n00:00:01.000 --> 00:00:05.000\nfirst\n\n00:00:02.000 --> 00:00:03.000\nsecond\n'), 'o.vtt');
  assert.deepEqual(cues.map((c) => [c.start, c.end]), [[1000, 5000], [2000, 3000], [4000, 6000]]);
});

test('a file without the WEBVTT header, or a block without timing, is malformed', () => {
  assert.throws(() => readSubtitles(utf8('00:00:01.000 --> 00:00:02.000\nx\n'), 'h.vtt'), (e: unknown) => smoothpubError('text.malformed')(e) && (e as { context: { line: number } }).context.line === 1);
  assert.throws(() => readSubtitles(utf8('WEBVTT\n\njust some words\n'), 'w.vtt'), (e: unknown) => smoothpubError('text.malformed')(e) && (e as { context: { line: number } }).context.line === 3);
});

test('a timing line inside cue text starts the next cue, as browsers parse it', () => {
  const cues = readSubtitles(utf8('WEBVTT\n\n00:01.000 --> 00:02.000\nfirst\n00:03.000 --> 00:04.000\nsecond\n'), 't.vtt');
  assert.deepEqual(cues.map((c) => [c.start, c.end, c.runs]), [[1000, 2000, [{ text: 'first' }]], [3000, 4000, [{ text: 'second' }]]]);
});
