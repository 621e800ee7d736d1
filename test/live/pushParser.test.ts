import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PushParser, type PushedBox } from '../../src/live/pushParser.js';
import { uuidBytes, UUID_LIVE_SERVER_MANIFEST } from '../../src/bmff/piff.js';
import { isSmoothpubError } from '../../src/errors.js';
import { fixtures } from '../e2e/helpers.js';
import { mulberry32 } from '../harness/mulberry32.js';

/** The top-level boxes of a whole file, walked by their sizes (32-bit sizes only: the fixtures have no other). */
function topLevel(bytes: Uint8Array): { type: string; offset: number; size: number }[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = [];
  for (let at = 0; at < bytes.length; ) {
    const size = view.getUint32(at);
    out.push({ type: String.fromCharCode(...bytes.subarray(at + 4, at + 8)), offset: at, size });
    at += size;
  }
  return out;
}

function liveManifestBox(xml: string): Uint8Array {
  const text = new TextEncoder().encode(xml);
  const box = new Uint8Array(8 + 16 + 4 + text.length);
  new DataView(box.buffer).setUint32(0, box.length);
  box.set(new TextEncoder().encode('uuid'), 4);
  box.set(uuidBytes(UUID_LIVE_SERVER_MANIFEST), 8);
  box.set(text, 28);
  return box;
}

function feed(parser: PushParser, bytes: Uint8Array, random: () => number, maxChunk: number): PushedBox[] {
  const boxes: PushedBox[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + Math.floor(random() * maxChunk);
    boxes.push(...parser.push(bytes.subarray(at, at + n)));
    at += n;
  }
  return boxes;
}

test('the push parser gives every box whole, in order, whatever the chunks (1 byte to 64 KiB), the live server manifest box by its uuid', async () => {
  const file = new Uint8Array(await readFile(join(fixtures, 'clean', 'v120.ismv')));
  const ftypSize = new DataView(file.buffer, file.byteOffset).getUint32(0);
  const manifest = liveManifestBox('<?xml version="1.0"?><smil xmlns="http://www.w3.org/2001/SMIL20/Language"><body><switch><video systemBitrate="1000"/></switch></body></smil>');
  // As an encoder sends it: ftyp, the live server manifest, then the rest of the file.
  const push = new Uint8Array(file.length + manifest.length);
  push.set(file.subarray(0, ftypSize));
  push.set(manifest, ftypSize);
  push.set(file.subarray(ftypSize), ftypSize + manifest.length);
  const expected = topLevel(push).map((b) => ({ ...b, type: b.type === 'uuid' ? 'liveManifest' : b.type }));
  assert.deepEqual(expected.slice(0, 4).map((b) => b.type), ['ftyp', 'liveManifest', 'moov', 'moof']);
  assert.equal(expected.at(-1)!.type, 'mfra');
  for (const [seed, maxChunk] of [[1, 1], [2, 7], [3, 4096], [4, 32768], [5, 65536], [6, push.length]] as const) {
    const parser = new PushParser('test', 1024 * 1024);
    const boxes = feed(parser, push, mulberry32(seed), maxChunk);
    parser.end();
    assert.deepEqual(boxes.map((b) => ({ type: b.type, offset: b.offset, size: b.bytes.length })), expected, `chunks up to ${maxChunk}`);
    for (const b of boxes) assert.deepEqual(b.bytes, push.subarray(b.offset, b.offset + b.bytes.length));
    assert.equal(parser.consumed, push.length);
  }
});

test('the push parser refuses garbage, a box above its bound and a push ending mid-box, naming the stream and byte offset', async () => {
  const file = new Uint8Array(await readFile(join(fixtures, 'clean', 'v120.ismv')));
  const refusal = (f: () => unknown): { code: string; message: string; offset: number | undefined } => {
    try {
      f();
    } catch (e) {
      assert.ok(isSmoothpubError(e), String(e));
      return { code: e.code, message: e.message, offset: e.context.offset };
    }
    assert.fail('expected a refusal');
  };
  const garbage = refusal(() => new PushParser('ev.isml/Streams(x)#1').push(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: example\r\n\r\n')));
  assert.equal(garbage.code, 'live.bad-push');
  assert.equal(garbage.offset, 0);
  assert.match(garbage.message, /ev\.isml\/Streams\(x\)#1/);
  // The largest box of the fixture is an mdat; a bound below it refuses that box, at its offset.
  const boxes = topLevel(file);
  const largest = boxes.reduce((a, b) => (b.size > a.size ? b : a));
  const big = refusal(() => new PushParser('s', largest.size - 1).push(file));
  assert.equal(big.code, 'live.bad-push');
  assert.equal(big.offset, largest.offset);
  assert.match(big.message, new RegExp(`'${largest.type}' of ${largest.size} bytes is larger than`));
  // The same bound plus one takes the whole file.
  const parser = new PushParser('s', largest.size);
  assert.equal(parser.push(file).length, boxes.length);
  // Garbage after good boxes: refused at the offset where it starts.
  const after = refusal(() => {
    const p = new PushParser('s');
    p.push(file.subarray(0, boxes[3]!.offset));
    p.push(new Uint8Array(64).fill(0x41));
  });
  assert.equal(after.offset, boxes[3]!.offset);
  const cut = new PushParser('s');
  cut.push(file.subarray(0, boxes[2]!.offset + 10));
  const ended = refusal(() => cut.end());
  assert.equal(ended.offset, boxes[2]!.offset);
  assert.match(ended.message, /ended inside a box/);
});
