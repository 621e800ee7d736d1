import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSubtitles } from '../../src/text/readSubtitles.js';
import { smoothpubError } from '../bmff/helpers.js';
import { fixture, timesAndText, utf8 } from './helpers.js';

test('readSubtitles reads an SRT file: several cues, font colors, non-ASCII, ASS codes removed', () => {
  const cues = readSubtitles(fixture('styled.srt'), 'styled.srt');
  assert.deepEqual(timesAndText(cues), [
    [250, 1750, 'Hello, bold and italic\nand underlined text'],
    [1500, 2600, 'Yellow across the boundary'],
    [3000, 4999, 'Ça va? Très bien — 日本語の字幕 🎬\norange & <escaped>'],
    [5001, 7123, 'Top left'],
  ]);
  assert.deepEqual(cues[0]?.runs[1], { text: 'bold', bold: true });
  assert.deepEqual(cues[1]?.runs[0], { text: 'Yellow', color: 'yellow' });
  assert.deepEqual(cues[2]?.runs[2], { text: 'orange', color: '#ff8800' });
  assert.deepEqual(cues[3]?.runs, [{ text: 'Top left', bold: true, italic: true }]);
  assert.equal(cues[0]?.id, '1');
});

test('SRT and WebVTT fixtures give the same cue times and text', () => {
  assert.deepEqual(timesAndText(readSubtitles(fixture('styled.srt'), 'styled.srt')), timesAndText(readSubtitles(fixture('styled.vtt'), 'styled.vtt')));
});

test('SRT timestamps as players read them; bad ones are typed errors with the line', () => {
  const cues = readSubtitles(utf8('1\r\n0:00:01.5 --> 00:00:02,25\r\nloose\r\n\r\n'), 'l.srt');
  assert.deepEqual(timesAndText(cues), [[1500, 2250, 'loose']]);
  assert.throws(() => readSubtitles(utf8('1\n00:00:01,000 --> 00:00:0x,000\ntext\n'), 'b.srt'), (e: unknown) => smoothpubError('text.bad-timestamp')(e) && (e as { context: { line: number } }).context.line === 2);
  assert.throws(() => readSubtitles(utf8('1\n00:00:01,000 --> 00:00:02,000\ntext\n\nstray words\n'), 's.srt'), (e: unknown) => smoothpubError('text.malformed')(e) && (e as { context: { line: number } }).context.line === 5);
});

test('a missing blank line before the next cue still starts that cue (the documented repair)', () => {
  const cues = readSubtitles(utf8('1\n00:00:01,000 --> 00:00:02,000\nfirst\n2\n00:00:03,000 --> 00:00:04,000\nsecond\n00:00:05,000 --> 00:00:06,000\nthird\n'), 'tight.srt');
  assert.deepEqual(timesAndText(cues), [[1000, 2000, 'first'], [3000, 4000, 'second'], [5000, 6000, 'third']]);
  // A number alone on a line is text when no timing line follows it.
  assert.deepEqual(timesAndText(readSubtitles(utf8('1\n00:00:01,000 --> 00:00:02,000\nroom\n101\n'), 'n.srt')), [[1000, 2000, 'room\n101']]);
});
