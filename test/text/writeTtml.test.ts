import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSubtitles } from '../../src/text/readSubtitles.js';
import { readTtml } from '../../src/text/readTtml.js';
import { readWebVtt } from '../../src/text/readWebVtt.js';
import { mergeCues } from '../../src/text/mergeCues.js';
import { textWindows } from '../../src/text/textWindows.js';
import { writeTtml } from '../../src/text/writeTtml.js';
import { writeWebVtt } from '../../src/text/writeWebVtt.js';
import { fixture, timesAndText, withoutIds } from './helpers.js';

const source = readSubtitles(fixture('styled.vtt'), 'styled.vtt');
const track = { start: 0, end: 8000, cues: source };

test('writeTtml writes clock times, inline styles, regions and the language', () => {
  const ttml = writeTtml({ start: 2000, end: 4000, cues: [{ start: 2000, end: 2600, runs: [{ text: 'a & b', bold: true }, { lineBreak: true }, { text: 'c', color: '#ff8800' }] }] }, { language: 'fr', timeBase: 'fragment' });
  assert.match(ttml, /<tt [^>]*xml:lang="fr"/);
  assert.match(ttml, /<p begin="00:00:00\.000" end="00:00:00\.600" region="default"><span tts:fontWeight="bold">a &amp; b<\/span><br\/><span tts:color="#ff8800">c<\/span><\/p>/);
  const onTrack = writeTtml({ start: 2000, end: 4000, cues: [{ start: 2000, end: 2600, runs: [{ text: 'x' }] }] }, { language: 'fr', timeBase: 'track' });
  assert.match(onTrack, /<p begin="00:00:02\.000" end="00:00:02\.600" region="default">/);
});

test('WebVTT -> TTML -> WebVTT keeps every cue: times, text, styling and placement', () => {
  const ttml = writeTtml(track, { language: 'en', timeBase: 'track' });
  const back = readWebVtt(writeWebVtt(readTtml(ttml, 'track.ttml'), { exactColors: true }), 'back.vtt');
  assert.deepEqual(timesAndText(back), timesAndText(source));
  // center is every player's default alignment, so it is not restated
  const expected = withoutIds(source).map((c) => {
    const copy = { ...c };
    if (c.placement?.align === 'center') delete copy.placement;
    return copy;
  });
  assert.deepEqual(withoutIds(back), expected);
});

test('the same round trip through 2 s fragment documents (fragment time base) and back', () => {
  const windows = textWindows(source, [0, 2000, 4000, 6000].map((start) => ({ start, end: start + 2000 })));
  const cues = windows.flatMap((w) => readTtml(writeTtml(w, { language: 'en', timeBase: 'fragment' }), 'fragment.ttml', { offset: w.start }));
  const vtt = writeWebVtt(mergeCues(cues), { exactColors: true });
  assert.deepEqual(timesAndText(readWebVtt(vtt, 'back.vtt')), timesAndText(source));
});

test('SRT -> TTML -> WebVTT keeps times, text and styling', () => {
  const srt = readSubtitles(fixture('styled.srt'), 'styled.srt');
  const back = readWebVtt(writeWebVtt(readTtml(writeTtml({ start: 0, end: 8000, cues: srt }, { language: 'en', timeBase: 'track' }), 'x.ttml'), { exactColors: true }), 'x.vtt');
  assert.deepEqual(back.map((c) => c.runs), srt.map((c) => c.runs));
  assert.deepEqual(timesAndText(back), timesAndText(srt));
});

test('TTML fixture -> WebVTT -> TTML keeps times, text, styling and region placement', () => {
  const ttml = readSubtitles(fixture('styled.ttml'), 'styled.ttml');
  const vtt = writeWebVtt(ttml);
  assert.match(vtt, /line:90%,end position:50% size:80%/);
  const again = readTtml(writeTtml({ start: 0, end: 6000, cues: readWebVtt(vtt, 'x.vtt') }, { language: 'fr', timeBase: 'track' }), 'y.ttml');
  assert.deepEqual(again, ttml);
});
