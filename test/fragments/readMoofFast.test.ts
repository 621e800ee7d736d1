import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Cursor } from '../../src/bmff/cursor.js';
import { readMoof, readMoofChecked, type MoofInfo } from '../../src/fragments/readMoof.js';
import { SmoothpubError } from '../../src/errors.js';

// readMoof reads a well-formed moof in place (readMoofFast) and leaves anything else to
// readMoofChecked, the generic box readers. Both must give the same answer for every moof of
// every fixture, and the same answer or the same error for damaged copies of them.

const FIXTURES = 'test/fixtures';
const duration = (id: number): number => 1000 + id;
const flags = (id: number): number | undefined => (id % 2 === 0 ? 0x01010000 : undefined);

function mediaFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return mediaFiles(path);
    return /\.(ismv|isma|mp4|cmfv|cmfa)$/i.test(name) ? [path] : [];
  });
}

/** Every top-level moof of a file, as its bytes. */
function moofsOf(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  for (let at = 0; at + 8 <= bytes.length; ) {
    let size = view.getUint32(at);
    if (size === 1) size = Number(view.getBigUint64(at + 8));
    if (size === 0) size = bytes.length - at;
    if (size < 8) break;
    if (String.fromCharCode(...bytes.subarray(at + 4, at + 8)) === 'moof') out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

type Outcome = { info: MoofInfo; pos: number } | { error: string };

function outcome(moof: Uint8Array, read: typeof readMoof): Outcome {
  const c = new Cursor(moof, 5000, 'moof', 8, moof.length);
  try {
    return { info: read(c, duration, flags), pos: c.pos };
  } catch (e) {
    if (!(e instanceof SmoothpubError)) throw e;
    return { error: `${e.code} ${e.message} ${JSON.stringify(e.context)}` };
  }
}

const moofs = mediaFiles(FIXTURES).flatMap((file) => moofsOf(new Uint8Array(readFileSync(file))).map((moof) => ({ file, moof })));

test('readMoof gives what the generic readers give for every moof of every fixture', () => {
  let read = 0;
  for (const { file, moof } of moofs) {
    const fast = outcome(moof, readMoof);
    // A few fixtures are refused on purpose (a CMAF moof with two tracks): with the same error.
    if ('info' in fast) read++;
    assert.deepEqual(fast, outcome(moof, readMoofChecked), file);
  }
  assert.ok(read > 100, `only ${read} of ${moofs.length} moofs read`);
});

test('readMoof answers damaged moofs as the generic readers do: the same result or the same error', () => {
  // One moof of each fixture (different muxers, tracks, PIFF boxes), every byte of its
  // first 160 set to a few values, and cut at every length.
  const seen = new Set<string>();
  const sample = moofs.filter(({ file }) => !seen.has(file) && seen.add(file));
  let compared = 0;
  for (const { file, moof } of sample) {
    for (let i = 8; i < Math.min(moof.length, 160); i++) {
      for (const value of [0x00, 0x01, 0x08, 0x7f, 0xff]) {
        const bad = moof.slice();
        bad[i] = value;
        assert.deepEqual(outcome(bad, readMoof), outcome(bad, readMoofChecked), `${file}: byte ${i} set to ${value}`);
        compared++;
      }
    }
    for (let cut = 8; cut < moof.length; cut += 3) {
      const short = moof.subarray(0, cut);
      assert.deepEqual(outcome(short, readMoof), outcome(short, readMoofChecked), `${file}: cut at ${cut}`);
      compared++;
    }
  }
  assert.ok(compared > 1000);
});
