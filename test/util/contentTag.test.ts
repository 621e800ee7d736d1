// Entity tags of in-memory documents: the same bytes give the same tag, a change of any
// one byte (or of the length) gives another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentTag } from '../../src/util/contentTag.js';

test('contentTag is 16 hex digits, stable, and changes with every single-byte change', () => {
  const data = new TextEncoder().encode('<SmoothStreamingMedia MajorVersion="2" MinorVersion="2" Duration="100000000">');
  const tag = contentTag(data);
  assert.match(tag, /^[0-9a-f]{16}$/);
  assert.equal(contentTag(data.slice()), tag);
  const seen = new Set([tag, contentTag(data.subarray(0, data.length - 1)), contentTag(new Uint8Array(0))]);
  assert.equal(seen.size, 3);
  for (let i = 0; i < data.length; i++) {
    const changed = data.slice();
    changed[i] = changed[i]! ^ 1;
    assert.notEqual(contentTag(changed), tag, `byte ${i}`);
  }
});
