import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childBoxes, readBoxHeader } from '../../src/bmff/box.js';
import { Cursor } from '../../src/bmff/cursor.js';
import { UUID_TFRF } from '../../src/bmff/piff.js';
import { readSaio } from '../../src/bmff/saio.js';
import { readTfrf, writeTfrf } from '../../src/bmff/tfrf.js';
import { readTrun } from '../../src/bmff/trun.js';
import { indexFile } from '../../src/fragments/indexFile.js';
import { readMoof } from '../../src/fragments/readMoof.js';
import { spliceTraf, trafParts } from '../../src/fragments/spliceTraf.js';
import { withTfrf } from '../../src/fragments/withTfrf.js';
import { SmoothpubError } from '../../src/errors.js';
import { fixtures, requireTools, run } from '../e2e/helpers.js';

/** The boxes of a fragment's traf as the project's readers see them. */
function traf(fragment: Uint8Array): { moofSize: number; children: { type: string; uuid?: string; offset: number; size: number; payload: Cursor }[] } {
  const c = new Cursor(fragment, 0, 'fragment');
  const moof = readBoxHeader(c, fragment.length);
  assert.equal(moof.type, 'moof');
  const boxes = [...childBoxes(new Cursor(fragment, 0, 'moof', 8, moof.size), 'moof')];
  const t = boxes.find((b) => b.type === 'traf');
  assert.ok(t);
  return { moofSize: moof.size, children: [...childBoxes(t.payload, 'traf')] };
}

/** Each sample's bytes, found as a demuxer finds them: trun data offsets from the moof. */
function samples(fragment: Uint8Array): string[] {
  const out: string[] = [];
  for (const b of traf(fragment).children) {
    if (b.type !== 'trun') continue;
    const r = readTrun(b.payload);
    let at = r.dataOffset!;
    for (const s of r.samples) {
      out.push(Buffer.from(fragment.subarray(at, at + s.size!)).toString('base64'));
      at += s.size!;
    }
  }
  return out;
}

async function fragmentsOf(file: string): Promise<{ bytes: Uint8Array; head: Uint8Array; fragments: { body: Uint8Array; time: bigint; duration: bigint }[] }> {
  const bytes = new Uint8Array(await readFile(file));
  const index = await indexFile(file);
  const track = index.tracks[0]!;
  const fragments = track.fragments.map((f) => ({ body: bytes.subarray(f.offset, f.offset + f.size), time: f.time, duration: f.duration }));
  return { bytes, head: bytes.subarray(0, track.fragments[0]!.offset), fragments };
}

const clean = ['v400.ismv', 'audio.isma'].map((f) => join(fixtures, 'clean', f));

test('withTfrf adds a version 1 tfrf of the next fragments at the end of the traf: same timing, same samples, mdat byte-identical', async () => {
  for (const file of clean) {
    const { fragments } = await fragmentsOf(file);
    assert.ok(fragments.length >= 3);
    for (const [i, f] of fragments.entries()) {
      const next = fragments.slice(i + 1, i + 3).map((n) => ({ time: n.time, duration: n.duration }));
      const out = withTfrf(f.body, next);
      assert.equal(out.length, f.body.length + 8 + 16 + 4 + 1 + 16 * next.length, 'header, uuid, version/flags, count, 16 bytes an entry');
      const before = traf(f.body);
      const after = traf(out);
      assert.equal(after.moofSize, before.moofSize + out.length - f.body.length, 'the moof grows by the tfrf');
      const last = after.children.at(-1)!;
      assert.equal(last.uuid, UUID_TFRF, 'the tfrf ends the traf');
      const tfrf = readTfrf(last.payload);
      assert.equal(tfrf.version, 1);
      assert.deepEqual(tfrf.entries, next.map((n) => ({ time: n.time, duration: n.duration })));
      assert.deepEqual(after.children.slice(0, -1).map((b) => b.type), before.children.map((b) => b.type), 'the other boxes in their order');
      assert.deepEqual(Buffer.from(out.subarray(after.moofSize)), Buffer.from(f.body.subarray(before.moofSize)), `${file} fragment ${i}: mdat byte-identical`);
      assert.deepEqual(samples(out), samples(f.body), 'every sample found where the data offsets say');
      const info = readMoof(new Cursor(out, 0, 'moof', 8, after.moofSize), () => 0);
      const was = readMoof(new Cursor(f.body, 0, 'moof', 8, before.moofSize), () => 0);
      assert.deepEqual(info, was, 'readMoof sees the same track, timing and samples');
    }
  }
});

test('withTfrf replaces a tfrf the fragment has, and leaves its input as it was', async () => {
  const { fragments } = await fragmentsOf(clean[0]!);
  const f = fragments[0]!;
  const copy = f.body.slice();
  const once = withTfrf(f.body, [{ time: 1n, duration: 2n }, { time: 3n, duration: 4n }]);
  const twice = withTfrf(once, [{ time: fragments[1]!.time, duration: fragments[1]!.duration }]);
  assert.deepEqual(Buffer.from(f.body), Buffer.from(copy), 'input untouched');
  assert.deepEqual(Buffer.from(twice), Buffer.from(withTfrf(f.body, [{ time: fragments[1]!.time, duration: fragments[1]!.duration }])), 'the same bytes as one insertion');
  const empty = withTfrf(f.body, []);
  assert.deepEqual(readTfrf(traf(empty).children.at(-1)!.payload).entries, [], 'an empty look-ahead is a tfrf of no entries');
});

// An encrypted fragment's saio points at its IVs (senc) by an offset from the moof: an edit
// before the senc must move it. The tfrf goes after the senc, so the test first puts a
// short tfrf before it (right after the tfhd), then has withTfrf replace that with a longer one.
test('withTfrf keeps saio pointing at the sample encryption data (Shaka Packager CENC, PIFF)', async () => {
  for (const file of [join(fixtures, 'protected', 'cenc', 'video.mp4'), join(fixtures, 'protected', 'piff', 'v120.ismv')]) {
    const { fragments } = await fragmentsOf(file);
    const f = fragments[1]!;
    const auxAt = (fragment: Uint8Array): number => {
      const saio = traf(fragment).children.find((b) => b.type === 'saio');
      assert.ok(saio, `${file}: a saio`);
      return readSaio(saio.payload).offsets[0]!;
    };
    const parts = trafParts(f.body, 0);
    const at = parts.tfhd!.offset + parts.tfhd!.size;
    const early = spliceTraf(f.body, 0, parts, at, at, writeTfrf({ version: 0, entries: [] }));
    assert.equal(auxAt(early), auxAt(f.body) + 29, 'the saio offset moved by the inserted box');
    const out = withTfrf(early, [{ time: 10n, duration: 20n }, { time: 30n, duration: 40n }]);
    assert.equal(auxAt(out), auxAt(f.body) + 61, 'and by the replacement');
    const ivs = (fragment: Uint8Array): string => Buffer.from(fragment.subarray(auxAt(fragment), auxAt(fragment) + 64)).toString('hex');
    assert.equal(ivs(out), ivs(f.body), `${file}: the same auxiliary information where saio points`);
    assert.deepEqual(samples(out), samples(f.body));
  }
});

test('withTfrf refuses a fragment whose samples are not placed from the moof, naming why', async () => {
  const { fragments } = await fragmentsOf(clean[0]!);
  const f = fragments[0]!.body.slice();
  const tfhd = traf(f).children.find((b) => b.type === 'tfhd')!;
  // Set base_data_offset in the flags (the field itself is not there, which a reader would reject first).
  f[tfhd.offset + 8 + 3] = f[tfhd.offset + 8 + 3]! | 1;
  assert.throws(() => withTfrf(f, []), (e) => e instanceof SmoothpubError && /base_data_offset/.test(e.message));
  assert.throws(() => withTfrf(new Uint8Array(16), []), (e) => e instanceof SmoothpubError);
});

test('ffmpeg decodes the same frames from an ISMV whose every fragment carries a tfrf', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-tfrf-'));
  try {
    for (const file of clean) {
      const { head, fragments } = await fragmentsOf(file);
      const parts = [head, ...fragments.map((f, i) => withTfrf(f.body, fragments.slice(i + 1, i + 3)))];
      const out = join(dir, 'tfrf-' + file.split('/').pop()!);
      await writeFile(out, Buffer.concat(parts));
      const md5 = async (path: string): Promise<string[]> => {
        const r = await run('ffmpeg', ['-v', 'error', '-i', path, '-map', '0', '-f', 'framemd5', '-'], 60);
        assert.equal(r.code, 0, r.stderr);
        return r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
      };
      const want = await md5(file);
      assert.ok(want.length > 0);
      assert.deepEqual(await md5(out), want, `${out}: every decoded frame as from the source`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
