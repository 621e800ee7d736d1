// The web-API base64 (what an edge worker runs) against node's Buffer, on every length
// around the 3-byte groups and the 24 KiB pieces encodeBase64Web works in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBase64, decodeBase64Web, encodeBase64, encodeBase64Web } from '../../src/util/base64.js';
import { mulberry32 } from '../harness/mulberry32.js';

test('encodeBase64Web and decodeBase64Web agree with Buffer on random bytes of many lengths', () => {
  const random = mulberry32(13);
  for (const length of [0, 1, 2, 3, 4, 5, 6, 7, 100, 0x6000 - 1, 0x6000, 0x6000 + 1, 3 * 0x6000 + 2]) {
    const bytes = Uint8Array.from({ length }, () => Math.floor(random() * 256));
    const text = Buffer.from(bytes).toString('base64');
    assert.equal(encodeBase64Web(bytes), text, `encode ${length}`);
    assert.equal(encodeBase64(bytes), text);
    assert.deepEqual(decodeBase64Web(text), bytes, `decode ${length}`);
    assert.deepEqual(new Uint8Array(decodeBase64(text)), bytes);
  }
});
