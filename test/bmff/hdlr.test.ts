import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readHdlr, writeHdlr } from '../../src/bmff/hdlr.js';
import { ascii, readBack, readTruncated, smoothpubError } from './helpers.js';

test('writeHdlr with ffmpeg\'s handler name', () => {
  const bytes = writeHdlr({ handlerType: 'vide' }, 'VideoHandler');
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 45, // size
    ...ascii('hdlr'),
    0, 0, 0, 0, // version, flags
    0, 0, 0, 0, // pre_defined
    ...ascii('vide'), // handler_type
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // reserved
    ...ascii('VideoHandler'), 0)); // name, null-terminated
  assert.deepEqual(readBack(bytes, readHdlr).box, { type: 'hdlr', handlerType: 'vide' });
});

test('writeHdlr with no name writes just the terminator', () => {
  const bytes = writeHdlr({ type: 'hdlr', handlerType: 'soun' });
  assert.equal(bytes.length, 33);
  assert.equal(bytes[32], 0);
  assert.deepEqual(readBack(bytes, readHdlr).box, { type: 'hdlr', handlerType: 'soun' });
  assert.throws(() => writeHdlr({ handlerType: 'sound' }), smoothpubError('bmff.bad-box'));
});

test('a truncated hdlr throws at the absolute offset of handler_type', () => {
  const bytes = writeHdlr({ handlerType: 'vide' });
  assert.throws(() => readTruncated(bytes, readHdlr, 15, 304), smoothpubError('bmff.truncated-box', 304 + 16));
});
