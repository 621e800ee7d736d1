import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readWebVtt } from '../../src/text/readWebVtt.js';
import type { Cue } from '../../src/text/model.js';
import { nearestColorClass, writeWebVtt } from '../../src/text/writeWebVtt.js';

const cues: Cue[] = [
  { start: 1000, end: 2500, id: 'one', runs: [{ text: 'a<b & c', bold: true, italic: true }, { lineBreak: true }, { text: 'x', color: '#ff8800' }, { text: 'y', color: 'lime', underline: true }], placement: { linePercent: 85.5, lineAlign: 'end', align: 'left' } },
];

test('writeWebVtt: header, ids, settings, nested tags, escapes, custom colors in a STYLE block', () => {
  const vtt = writeWebVtt(cues, { exactColors: true });
  assert.equal(vtt, [
    'WEBVTT',
    '',
    'STYLE',
    '::cue(.color_ff8800) { color: #ff8800; }',
    '',
    'one',
    '00:00:01.000 --> 00:00:02.500 line:85.5%,end align:left',
    '<b><i>a&lt;b &amp; c</i></b>',
    '<c.color_ff8800>x</c><u><c.lime>y</c></u>',
    '',
  ].join('\n'));
  const back = readWebVtt(vtt, 'x.vtt');
  assert.deepEqual(back[0]?.runs, [{ text: 'a<b & c', bold: true, italic: true }, { lineBreak: true }, { text: 'x', color: '#ff8800' }, { text: 'y', color: 'lime', underline: true }]);
});

test('by default a color outside the eight classes is written as the nearest class, with no STYLE block', () => {
  const vtt = writeWebVtt(cues);
  assert.doesNotMatch(vtt, /STYLE/);
  assert.match(vtt, /<c\.yellow>x<\/c><u><c\.lime>y<\/c><\/u>/);
  assert.equal(nearestColorClass('#202020'), 'black');
  assert.equal(nearestColorClass('#00ee10'), 'lime');
});

test('an HLS segment carries X-TIMESTAMP-MAP mapping its start to itself (or the map given)', () => {
  const window = { start: 3_600_000, end: 3_602_000, cues: [{ start: 3_600_500, end: 3_601_000, runs: [{ text: 'x' }] }] };
  const seg = writeWebVtt(window, { timestampMap: true });
  assert.match(seg, /^WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:324000000,LOCAL:01:00:00\.000\n\n01:00:00\.500 --> 01:00:01\.000\nx\n$/);
  assert.match(writeWebVtt(window, { timestampMap: { mpegts: 900000, local: 0 } }), /X-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00\.000/);
  assert.doesNotMatch(writeWebVtt(window), /X-TIMESTAMP-MAP/);
  // 33-bit wrap of the 90 kHz clock: 30 hours
  assert.match(writeWebVtt({ ...window, start: 30 * 3_600_000 }, { timestampMap: true }), new RegExp(`MPEGTS:${(30 * 3_600_000 * 90) % 2 ** 33},`));
});
