import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cursor } from '../../src/bmff/cursor.js';
import { childBoxes, readBoxHeader } from '../../src/bmff/box.js';
import { box, boxHeader } from '../../src/bmff/writer.js';
import { UUID_TFRF } from '../../src/bmff/piff.js';
import { ascii, smoothpubError } from './helpers.js';

const headers = (file: Uint8Array, base: number): unknown[] =>
  [...childBoxes(new Cursor(file, base), 'file')].map((b) => ({ type: b.type, offset: b.offset, size: b.size, headerSize: b.headerSize, payload: [...b.payload.bytesOf(b.payload.remaining)] }));

test('a box with size 0 extends to the end of its container', () => {
  const file = Uint8Array.of(
    ...box('free', Uint8Array.of(1)),
    0, 0, 0, 0, // size 0: to the end
    ...ascii('mdat'),
    5, 6, 7);
  assert.deepEqual(headers(file, 1000), [
    { type: 'free', offset: 1000, size: 9, headerSize: 8, payload: [1] },
    { type: 'mdat', offset: 1009, size: 11, headerSize: 8, payload: [5, 6, 7] },
  ]);
});

test('largesize and uuid headers are sized correctly among siblings', () => {
  const file = Uint8Array.of(
    ...boxHeader('mdat', 2, { largesize: true }), 1, 2,
    ...boxHeader('uuid', 1, { uuid: UUID_TFRF }), 3,
    ...boxHeader('uuid', 0, { uuid: UUID_TFRF, largesize: true }));
  const got = [...childBoxes(new Cursor(file, 0), 'traf')].map((b) => [b.type, b.uuid, b.offset, b.size, b.headerSize]);
  assert.deepEqual(got, [
    ['mdat', undefined, 0, 18, 16],
    ['uuid', UUID_TFRF, 18, 25, 24],
    ['uuid', UUID_TFRF, 43, 32, 32],
  ]);
});

test('stray bytes after the last box are a truncated box at their absolute offset', () => {
  const file = Uint8Array.of(...box('free'), 0, 0, 0, 9);
  assert.throws(() => headers(file, 500), smoothpubError('bmff.truncated-box', 508));
});

test('a header cut short is a truncated box at the offset of the missing field', () => {
  assert.throws(() => readBoxHeader(new Cursor(Uint8Array.of(0, 0, 0, 16, 0x6d, 0x6f), 500), 600), smoothpubError('bmff.truncated-box', 504));
  // largesize announced but only 4 of its 8 bytes present
  const cut = Uint8Array.of(0, 0, 0, 1, ...ascii('mdat'), 0, 0, 0, 0);
  assert.throws(() => readBoxHeader(new Cursor(cut, 500), 600), smoothpubError('bmff.truncated-box', 508));
  // uuid box missing the last byte of its user type
  const uuid = boxHeader('uuid', 0, { uuid: UUID_TFRF }).subarray(0, 23);
  assert.throws(() => readBoxHeader(new Cursor(uuid, 10), 100), smoothpubError('bmff.truncated-box', 18));
});

test('sizes smaller than the header, too large, or past the parent are rejected', () => {
  assert.throws(() => readBoxHeader(new Cursor(Uint8Array.of(0, 0, 0, 4, ...ascii('free')), 0), 100), smoothpubError('bmff.bad-box-size', 0));
  const largeTooSmall = Uint8Array.of(0, 0, 0, 1, ...ascii('free'), 0, 0, 0, 0, 0, 0, 0, 8);
  assert.throws(() => readBoxHeader(new Cursor(largeTooSmall, 0), 100), smoothpubError('bmff.bad-box-size', 0));
  const huge = Uint8Array.of(0, 0, 0, 1, ...ascii('mdat'), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
  assert.throws(() => readBoxHeader(new Cursor(huge, 0), 100), smoothpubError('bmff.bad-box', 8));
  const file = Uint8Array.of(...box('free'), ...box('moov', Uint8Array.of(0, 0, 0, 9, ...ascii('trak'))));
  assert.throws(() => {
    for (const moov of childBoxes(new Cursor(file, 0), 'file')) Array.from(childBoxes(moov.payload, moov.type));
  }, smoothpubError('bmff.bad-box-size', 16));
});

test('a 32-bit zero may end a child list only where it is asked for (QuickTime sample entries)', () => {
  const list = Uint8Array.of(...box('pasp', new Uint8Array(8)), 0, 0, 0, 0);
  const types = (options?: { zeroTerminator: boolean }): string[] => [...childBoxes(new Cursor(list, 300), 'avc1', options)].map((b) => b.type);
  assert.deepEqual(types({ zeroTerminator: true }), ['pasp']);
  // Anywhere else the same 4 bytes are stray bytes.
  assert.throws(() => types(), smoothpubError('bmff.truncated-box', 316));
  // Only zeros terminate: other short garbage stays an error, at its offset.
  const garbage = Uint8Array.of(...box('pasp', new Uint8Array(8)), 0, 0, 0, 1);
  assert.throws(() => [...childBoxes(new Cursor(garbage, 300), 'avc1', { zeroTerminator: true })], smoothpubError('bmff.truncated-box', 316));
  const longer = Uint8Array.of(...box('pasp', new Uint8Array(8)), 0, 0, 0, 0, 0);
  assert.throws(() => [...childBoxes(new Cursor(longer, 300), 'avc1', { zeroTerminator: true })], smoothpubError('bmff.truncated-box', 316));
});
