import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTx3gCues, tx3gDefaultColor } from '../../src/text/readTx3g.js';
import { isSmoothpubError } from '../../src/errors.js';

/** A tx3g sample: 16-bit length, the text, then a `styl` box of the given 12-byte records. */
function sample(text: Uint8Array, styles: number[][] = []): Uint8Array {
  const styl = styles.length === 0 ? [] : [0, 0, 0, 10 + 12 * styles.length, ...'styl'.split('').map((c) => c.charCodeAt(0)), 0, styles.length, ...styles.flat()];
  return Uint8Array.from([text.length >> 8, text.length & 0xff, ...text, ...styl]);
}
/** StyleRecord: startChar, endChar, font ID 1, face flags, size 18, RGBA. */
const style = (start: number, end: number, face: number, rgba: number[]): number[] => [0, start, 0, end, 0, 1, face, 18, ...rgba];
const WHITE = [255, 255, 255, 255];

test('tx3g samples: styles by character (after non-ASCII and astral characters), a color other than the default, UTF-16, empty samples between cues', () => {
  const utf8 = new TextEncoder().encode('é🎬 bold red\nnext');
  const utf16 = Uint8Array.from([0xfe, 0xff, 0x00, 0x48, 0x00, 0x69]); // BOM, "Hi"
  const cues = readTx3gCues(
    [
      { start: 0, end: 500, bytes: sample(new Uint8Array()) },
      { start: 500, end: 1500, bytes: sample(utf8, [style(3, 7, 1, WHITE), style(8, 11, 0, [255, 0, 0, 255])]) },
      { start: 1500, end: 2001, bytes: sample(utf16, [style(1, 2, 2, WHITE)]) },
    ],
    'in.mp4',
    '#ffffff',
  );
  assert.deepEqual(cues, [
    { start: 500, end: 1500, runs: [{ text: 'é🎬 ' }, { text: 'bold', bold: true }, { text: ' ' }, { text: 'red', color: 'red' }, { lineBreak: true }, { text: 'next' }] },
    { start: 1500, end: 2001, runs: [{ text: 'H' }, { text: 'i', italic: true }] },
  ]);
});

test('a tx3g sample shorter than its stated text is a typed error naming the file; the default color comes from the sample entry', () => {
  assert.throws(
    () => readTx3gCues([{ start: 0, end: 1, bytes: Uint8Array.of(0, 9, 65) }], 'bad.mp4'),
    (e: unknown) => isSmoothpubError(e) && e.code === 'text.malformed' && e.context.file === 'bad.mp4' && /9 bytes/.test(e.message),
  );
  // Box header, SampleEntry, displayFlags, justification, background, BoxRecord, then the default StyleRecord.
  const entry = new Uint8Array(8 + 8 + 4 + 2 + 4 + 8 + 12);
  entry.set([0, 0, 0, 1, 0, 1, 0, 18, 0xff, 0xff, 0x00, 0xff], 8 + 8 + 4 + 2 + 4 + 8);
  assert.equal(tx3gDefaultColor(entry), 'yellow');
  assert.equal(tx3gDefaultColor(entry.subarray(0, 20)), undefined);
});
