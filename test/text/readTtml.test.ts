import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSubtitles } from '../../src/text/readSubtitles.js';
import { readTtml } from '../../src/text/readTtml.js';
import { DEFAULT_TIME_PARAMETERS, parseTtmlTime, readTimeParameters } from '../../src/text/ttmlTime.js';
import { smoothpubError } from '../bmff/helpers.js';
import { fixture } from './helpers.js';

test('readSubtitles reads TTML: parallel timing, ticks, frames with a multiplier, referenced styles, regions', () => {
  const cues = readSubtitles(fixture('styled.ttml'), 'styled.ttml');
  assert.deepEqual(cues, [
    {
      start: 1250, end: 2500,
      runs: [{ text: 'Bonjour, ' }, { text: 'gras', bold: true }, { text: ' et ' }, { text: 'italique', italic: true }, { lineBreak: true }, { text: 'deuxième ligne' }],
      // region "bottom": 10% 10% / 80% 80%, text at its bottom edge
      placement: { sizePercent: 80, positionPercent: 50, linePercent: 90, lineAlign: 'end' },
    },
    // 15000000t at tickRate 10 MHz = 1.5 s, after the div's 1 s; region "top" spans the width
    { start: 2500, end: 3000, runs: [{ text: 'rouge', underline: true, color: 'red' }], placement: { linePercent: 10 } },
    // 3 s + 15 frames at 30000/1001 fps = 3.5005 s, + 1 s, rounded half up
    { start: 4501, end: 5000, runs: [{ text: 'trames' }], placement: { sizePercent: 80, positionPercent: 50, linePercent: 90, lineAlign: 'end' } },
  ]);
});

test('TTML time expressions are exact to the millisecond', () => {
  const p = DEFAULT_TIME_PARAMETERS;
  const cases: [string, number][] = [
    ['00:00:01.5', 1500], ['01:02:03.004', 3_723_004], ['100:00:00', 360_000_000], ['1.0005s', 1001], ['0.0004s', 0],
    ['1.5h', 5_400_000], ['2m', 120_000], ['1500ms', 1500], ['12.5ms', 13], ['45f', 1500], ['10t', 10_000],
  ];
  for (const [expr, ms] of cases) assert.equal(parseTtmlTime(expr, p), ms, expr);
  const ntsc = readTimeParameters((n) => ({ frameRate: '30', frameRateMultiplier: '1000 1001', subFrameRate: '2' })[n], (m) => assert.fail(m));
  assert.equal(parseTtmlTime('00:00:00:30', ntsc), 1001);
  assert.equal(parseTtmlTime('00:00:00:00.1', ntsc), 17); // half a frame: 16.683 ms
  assert.equal(parseTtmlTime('30f', ntsc), 1001);
  assert.equal(parseTtmlTime('60t', ntsc), 1001); // tickRate defaults to frameRate x subFrameRate
  for (const bad of ['1', '00:01', '1.s', '-1s', '00:00:01,000', '1 s']) assert.equal(parseTtmlTime(bad, p), undefined, bad);
});

test('bad TTML: malformed XML, a bad time, a paragraph without end, another root', () => {
  assert.throws(() => readTtml('<tt xmlns="http://www.w3.org/ns/ttml"><body><p>open</body></tt>', 'x.ttml'), (e: unknown) => smoothpubError('text.malformed')(e) && (e as { context: { line?: number } }).context.line === 1);
  const badTime = '<tt xmlns="http://www.w3.org/ns/ttml">\n<body>\n<p begin="1s" end="2x">a</p>\n</body></tt>';
  assert.throws(() => readTtml(badTime, 't.ttml'), (e: unknown) => smoothpubError('text.bad-timestamp')(e) && (e as { context: { line?: number } }).context.line === 3);
  const noEnd = '<tt xmlns="http://www.w3.org/ns/ttml"><body>\n<p begin="1s" end="2s">a</p>\n<p begin="3s">b</p>\n</body></tt>';
  assert.throws(() => readTtml(noEnd, 'e.ttml'), (e: unknown) => smoothpubError('text.bad-timestamp')(e) && (e as { context: { line?: number } }).context.line === 3);
  assert.throws(() => readTtml('<html><body/></html>', 'h.ttml'), smoothpubError('text.malformed'));
});

test('DFXP namespaces and prefixes resolve; xml:space="preserve" keeps newlines as line breaks', () => {
  const dfxp = `<tt:tt xmlns:tt="http://www.w3.org/2006/10/ttaf1" xmlns:s="http://www.w3.org/2006/10/ttaf1#styling">
    <tt:body><tt:div><tt:p begin="0.5s" end="1s" s:fontStyle="italic" xml:space="preserve">one
two</tt:p></tt:div></tt:body></tt:tt>`;
  assert.deepEqual(readTtml(dfxp, 'd.dfxp'), [{ start: 500, end: 1000, runs: [{ text: 'one', italic: true }, { lineBreak: true }, { text: 'two', italic: true }] }]);
});

test('a DOCTYPE (entity expansion) and absurdly deep nesting are typed errors, not crashes', () => {
  const bomb = '<?xml version="1.0"?>\n<!DOCTYPE tt [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<tt xmlns="http://www.w3.org/ns/ttml"><body><p begin="0s" end="1s">&b;</p></body></tt>';
  assert.throws(() => readTtml(bomb, 'bomb.ttml'), (e: unknown) => smoothpubError('text.malformed')(e) && (e as { context: { line?: number } }).context.line === 2);
  const deep = `<tt xmlns="http://www.w3.org/ns/ttml"><body><div begin="0s" end="1s"><p>${'<span>'.repeat(100_000)}x${'</span>'.repeat(100_000)}</p></div></body></tt>`;
  assert.throws(() => readTtml(deep, 'deep.ttml'), smoothpubError('text.malformed'));
});
