// The node-free path helpers against node's own path.posix, on every path made of a few
// segments (names, '.', '..', empty) with and without leading and trailing slashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { basename, dirname, isAbsolute, join, normalize } from '../../src/util/posixPath.js';

function paths(): string[] {
  const segments = ['a', 'b.ism', '.', '..', ''];
  const out = new Set<string>(['', '/', '//', '.', '..']);
  const grow = (prefix: string[], depth: number): void => {
    if (prefix.length > 0) for (const lead of ['', '/']) for (const tail of ['', '/']) out.add(lead + prefix.join('/') + tail);
    if (depth === 0) return;
    for (const s of segments) grow([...prefix, s], depth - 1);
  };
  grow([], 3);
  return [...out];
}

test('normalize, dirname, basename, isAbsolute answer as path.posix does', () => {
  for (const p of paths()) {
    assert.equal(normalize(p), posix.normalize(p), `normalize(${JSON.stringify(p)})`);
    assert.equal(dirname(p), posix.dirname(p), `dirname(${JSON.stringify(p)})`);
    assert.equal(basename(p), posix.basename(p), `basename(${JSON.stringify(p)})`);
    assert.equal(isAbsolute(p), posix.isAbsolute(p));
  }
});

test('join answers as path.posix.join does', () => {
  const all = paths();
  for (const a of all) for (const b of ['', 'v.ismv', '../x', 'a/./b', '/c']) assert.equal(join(a, b), posix.join(a, b), `join(${JSON.stringify(a)}, ${JSON.stringify(b)})`);
});
