import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cursor } from '../../src/bmff/cursor.js';
import { readBoxHeader } from '../../src/bmff/box.js';
import { SmoothpubError } from '../../src/errors.js';

test('cursor reads big-endian and throws a typed error with the absolute offset on overrun', () => {
  const c = new Cursor(Uint8Array.of(0, 0, 1, 2, 0xff), 100, 'moov');
  assert.equal(c.u32(), 258);
  assert.throws(() => c.u16(), (e: unknown) => e instanceof SmoothpubError && e.code === 'bmff.truncated-box' && e.context.offset === 104);
});

test('box header larger than its parent is rejected', () => {
  const bytes = Uint8Array.of(0, 0, 0, 64, 0x6d, 0x6f, 0x6f, 0x76);
  assert.throws(() => readBoxHeader(new Cursor(bytes), 32), (e: unknown) => e instanceof SmoothpubError && e.code === 'bmff.bad-box-size');
});
