import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteWriter, box, boxHeader, fullBox, uuidBox } from '../../src/bmff/writer.js';
import { Cursor } from '../../src/bmff/cursor.js';
import { childBoxes, readBoxHeader } from '../../src/bmff/box.js';
import { UUID_TFXD } from '../../src/bmff/piff.js';
import { ascii, smoothpubError } from './helpers.js';

const BAD_BOX = 'bmff.bad-box';

test('box computes its size from all payloads, in order', () => {
  assert.deepEqual(box('free', Uint8Array.of(1, 2), Uint8Array.of(3)), Uint8Array.of(
    0, 0, 0, 11, // size
    ...ascii('free'),
    1, 2, 3)); // both payloads
  assert.deepEqual(box('free'), Uint8Array.of(0, 0, 0, 8, ...ascii('free')));
});

test('fullBox puts version and 24-bit flags before the payload', () => {
  assert.deepEqual(fullBox('tfhd', 1, 0x020038, Uint8Array.of(9)), Uint8Array.of(
    0, 0, 0, 13, // size
    ...ascii('tfhd'),
    1, // version
    0x02, 0x00, 0x38, // flags
    9)); // payload
  assert.throws(() => fullBox('tfhd', 0, 0x1000000), smoothpubError(BAD_BOX));
  assert.throws(() => fullBox('tfhd', 256, 0), smoothpubError(BAD_BOX));
});

test('uuidBox writes the user type after the type, then version and flags', () => {
  const bytes = uuidBox(UUID_TFXD, 1, 0, Uint8Array.of(0xaa));
  assert.deepEqual(bytes, Uint8Array.of(
    0, 0, 0, 29, // size
    ...ascii('uuid'),
    0x6d, 0x1d, 0x9b, 0x05, 0x42, 0xd5, 0x44, 0xe6, 0x80, 0xe2, 0x14, 0x1d, 0xaf, 0xf7, 0x57, 0xb2, // user type (tfxd)
    1, 0, 0, 0, // version, flags
    0xaa)); // payload
  assert.deepEqual(readBoxHeader(new Cursor(bytes, 40), 40 + bytes.length), { type: 'uuid', uuid: UUID_TFXD, offset: 40, size: 29, headerSize: 24 });
  assert.deepEqual(uuidBox('6d1d9b05-42d5-44e6-80e2-141daff757b2', 1, 0, Uint8Array.of(0xaa)), bytes);
  assert.throws(() => uuidBox('6d1d9b05', 1, 0), smoothpubError(BAD_BOX));
  assert.throws(() => uuidBox('zz1d9b0542d544e680e2141daff757b2', 1, 0), smoothpubError(BAD_BOX));
});

test('boxHeader switches to a 64-bit largesize exactly when the size needs more than 32 bits', () => {
  assert.deepEqual(boxHeader('mdat', 0xffffffff - 8), Uint8Array.of(
    0xff, 0xff, 0xff, 0xff, // size: the largest 32-bit one
    ...ascii('mdat')));
  const large = boxHeader('mdat', 0xffffffff - 7);
  assert.deepEqual(large, Uint8Array.of(
    0, 0, 0, 1, // size 1: see largesize
    ...ascii('mdat'),
    0, 0, 0, 1, 0, 0, 0, 8)); // largesize 2^32 + 8 (payload 2^32 - 8, header 16)
  assert.deepEqual(readBoxHeader(new Cursor(large), 2 ** 33), { type: 'mdat', offset: 0, size: 2 ** 32 + 8, headerSize: 16 });
});

test('a forced largesize box reads back with its payload intact', () => {
  const header = boxHeader('free', 3, { largesize: true });
  assert.deepEqual(header, Uint8Array.of(
    0, 0, 0, 1, // size 1: see largesize
    ...ascii('free'),
    0, 0, 0, 0, 0, 0, 0, 19)); // largesize: 16 + 3
  const file = Uint8Array.of(...header, 7, 8, 9, ...box('skip'));
  const boxes = [...childBoxes(new Cursor(file, 100), 'file')];
  assert.deepEqual(boxes.map((b) => [b.type, b.offset, b.size, b.headerSize]), [['free', 100, 19, 16], ['skip', 119, 8, 8]]);
  assert.deepEqual(boxes[0]!.payload.bytesOf(3), Uint8Array.of(7, 8, 9));

  const uuidLarge = boxHeader('uuid', 0, { largesize: true, uuid: UUID_TFXD });
  assert.equal(uuidLarge.length, 32);
  assert.deepEqual(readBoxHeader(new Cursor(uuidLarge), 32), { type: 'uuid', uuid: UUID_TFXD, offset: 0, size: 32, headerSize: 32 });
});

test('box types and user types are checked', () => {
  assert.throws(() => box('fre'), smoothpubError(BAD_BOX));
  assert.throws(() => box('fr\u0100e'), smoothpubError(BAD_BOX));
  assert.throws(() => boxHeader('uuid', 0), smoothpubError(BAD_BOX));
  assert.throws(() => boxHeader('free', 0, { uuid: UUID_TFXD }), smoothpubError(BAD_BOX));
  assert.throws(() => boxHeader('free', -1), smoothpubError(BAD_BOX));
});

test('ByteWriter writes big-endian and rejects values that do not fit instead of wrapping', () => {
  const w = new ByteWriter(1 + 2 + 3 + 4 + 4 + 8 + 8 + 3, 'test');
  w.u8(0xfe).u16(0x1234).u24(0xabcdef).u32(0xdeadbeef).i32(-2).u64(0x0102030405060708n).i64(-213333n).uint(0x123456, 3);
  assert.deepEqual(w.finish(), Uint8Array.of(
    0xfe, // u8
    0x12, 0x34, // u16
    0xab, 0xcd, 0xef, // u24
    0xde, 0xad, 0xbe, 0xef, // u32
    0xff, 0xff, 0xff, 0xfe, // i32 -2
    1, 2, 3, 4, 5, 6, 7, 8, // u64
    0xff, 0xff, 0xff, 0xff, 0xff, 0xfc, 0xbe, 0xab, // i64 -213333 = 2^64 - 0x34155
    0x12, 0x34, 0x56)); // 3-byte uint

  const fresh = (): ByteWriter => new ByteWriter(8, 'test');
  assert.throws(() => fresh().u8(256), smoothpubError(BAD_BOX));
  assert.throws(() => fresh().u16(-1), smoothpubError(BAD_BOX));
  assert.throws(() => fresh().u24(0x1000000), smoothpubError(BAD_BOX));
  assert.throws(() => fresh().u32(1.5), smoothpubError(BAD_BOX));
  assert.throws(() => fresh().u32(2 ** 32), smoothpubError(BAD_BOX));
  assert.throws(() => fresh().i32(2 ** 31), smoothpubError(BAD_BOX));
  assert.throws(() => fresh().u32Big(2n ** 32n), smoothpubError(BAD_BOX));
  assert.throws(() => fresh().u64(-1n), smoothpubError(BAD_BOX));
  assert.throws(() => fresh().u64(2n ** 64n), smoothpubError(BAD_BOX));
  assert.throws(() => fresh().i64(2n ** 63n), smoothpubError(BAD_BOX));
  assert.throws(() => fresh().uint(0x10000, 2), smoothpubError(BAD_BOX));
  assert.throws(() => fresh().u32(1).finish(), smoothpubError(BAD_BOX), 'underfilled');
  assert.throws(() => fresh().u64(1n).u8(1), smoothpubError(BAD_BOX), 'overfilled');
  assert.throws(() => fresh().fourcc('abc'), smoothpubError(BAD_BOX));
});
