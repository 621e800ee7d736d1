import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tfdt, readTfdt, writeTfdt } from '../../src/bmff/tfdt.js';
import { ascii, readBack, readTruncated, smoothpubError } from './helpers.js';

test('writeTfdt version 0 and 1', () => {
  const v0: Tfdt = { type: 'tfdt', version: 0, baseMediaDecodeTime: 20_000_000n };
  assert.deepEqual(writeTfdt(v0), Uint8Array.of(
    0, 0, 0, 16, // size
    ...ascii('tfdt'),
    0, 0, 0, 0, // version 0, flags
    0x01, 0x31, 0x2d, 0x00)); // baseMediaDecodeTime 20,000,000
  assert.deepEqual(readBack(writeTfdt(v0), readTfdt).box, v0);

  // a live time: 100 ns units since 1970, beyond 2^53
  const v1: Tfdt = { type: 'tfdt', version: 1, baseMediaDecodeTime: 0x0123456789abcdefn };
  assert.deepEqual(writeTfdt(v1), Uint8Array.of(
    0, 0, 0, 20, // size
    ...ascii('tfdt'),
    1, 0, 0, 0, // version 1, flags
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef)); // baseMediaDecodeTime
  assert.deepEqual(readBack(writeTfdt(v1), readTfdt).box, v1);
});

test('writeTfdt version 0 refuses a time beyond 32 bits', () => {
  assert.throws(() => writeTfdt({ version: 0, baseMediaDecodeTime: 2n ** 32n }), smoothpubError('bmff.bad-box'));
});

test('a truncated tfdt throws at the absolute offset of the time', () => {
  assert.throws(() => readTruncated(writeTfdt({ version: 1, baseMediaDecodeTime: 1n }), readTfdt, 1, 300), smoothpubError('bmff.truncated-box', 312));
});
