// GStreamer's ismlmux cuts fragments by time (2000 ms at 29.97 fps: 59 frames, then 1
// frame starting at a non-key frame). Such a fragment cannot be a start or switch point:
// indexing joins it to the fragment before it (a new moof listing the samples of both, the
// mdat their bytes as they are), or says why it cannot. The checks below read the bytes
// with the tests' own box walker, not smoothpub's readers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { indexFile } from '../../src/fragments/indexFile.js';
import { fragmentParts, readFragmentBody } from '../../src/fragments/fragmentParts.js';
import type { FragmentRef, TrackIndex } from '../../src/fragments/types.js';
import { checkFragment } from '../../src/verify/checkFragment.js';
import { type RawBox, setU32, u32, walkBoxes } from './rawBoxes.js';

const FILE = 'test/fixtures/othertools/ismlmux.ismv';
const NON_SYNC = 0x00010000;

interface RawSample {
  duration: number;
  size: number;
  flags: number;
  cto: number;
}

/** A raw fragment of the fixture: its boxes and its samples, read from the bytes by hand. */
interface RawFragment {
  moof: RawBox;
  mdat: RawBox;
  trackId: number;
  tfdt: bigint;
  samples: RawSample[];
  dataOffset: number;
  sdtp: Uint8Array;
}

/** tfhd (flags 0x38: default duration, size, flags, as ismlmux writes them) and a trun with any of its optional fields. */
function readRawFragments(b: Uint8Array, boxes: RawBox[]): RawFragment[] {
  const out: RawFragment[] = [];
  for (const [i, moof] of boxes.entries()) {
    if (moof.path !== 'moof') continue;
    const mdat = boxes.slice(i + 1).find((x) => x.path === 'mdat')!;
    const inside = boxes.filter((x) => x.start > moof.start && x.end <= moof.end);
    const find = (type: string): RawBox => inside.find((x) => x.type === type)!;
    const tfhd = find('tfhd');
    const tfhdFlags = u32(b, tfhd.start + 8) & 0xffffff;
    const trackId = u32(b, tfhd.start + 12);
    let p = tfhd.start + 16;
    /** The next 32-bit field when `present`, else `otherwise`. */
    const field = (present: number, otherwise: number): number => {
      if (!present) return otherwise;
      p += 4;
      return u32(b, p - 4);
    };
    const defaults = { duration: field(tfhdFlags & 0x08, 0), size: field(tfhdFlags & 0x10, 0), flags: field(tfhdFlags & 0x20, 0) };
    const trun = find('trun');
    const flags = u32(b, trun.start + 8) & 0xffffff;
    const count = u32(b, trun.start + 12);
    p = trun.start + 16;
    const dataOffset = field(flags & 0x001, 0);
    const first = flags & 0x004 ? field(1, 0) : undefined;
    const samples: RawSample[] = [];
    for (let k = 0; k < count; k++) {
      const s = { duration: field(flags & 0x100, defaults.duration), size: field(flags & 0x200, defaults.size), flags: field(flags & 0x400, defaults.flags), cto: field(flags & 0x800, 0) };
      if (k === 0 && first !== undefined) s.flags = first;
      samples.push(s);
    }
    const tfdt = find('tfdt');
    const sdtp = find('sdtp');
    out.push({
      moof,
      mdat,
      trackId,
      // Version 0 (ismlmux) is 32-bit, version 1 (smoothpub) 64-bit.
      tfdt: b[tfdt.start + 8] === 1 ? new DataView(b.buffer, b.byteOffset).getBigUint64(tfdt.start + 12) : BigInt(u32(b, tfdt.start + 12)),
      samples,
      dataOffset,
      sdtp: Uint8Array.from(b.subarray(sdtp.start + 12, sdtp.end)),
    });
  }
  return out;
}

async function body(file: string, f: FragmentRef): Promise<Uint8Array> {
  const bytes = await readFile(file);
  // A plain Uint8Array (not a Buffer), to compare with deepEqual.
  return new Uint8Array(await readFragmentBody(fragmentParts(f), async (offset, size) => bytes.subarray(offset, offset + size)));
}

const videoTracks = (tracks: TrackIndex[]): TrackIndex[] => tracks.filter((t) => t.kind === 'video');

test('ismlmux: every 1-frame video fragment starts at a non-sync sample and is joined to the 59 frames before it', async () => {
  const bytes = new Uint8Array(await readFile(FILE));
  const raw = readRawFragments(bytes, walkBoxes(bytes));
  const ix = await indexFile(FILE);
  const videos = videoTracks(ix.tracks);
  assert.equal(videos.length, 2, 'two video levels');
  for (const track of videos) {
    const source = raw.filter((f) => f.trackId === track.trackId);
    // The fixture is what the issue describes: 59, 1, 59, 1, 59, 1, 60 frames; the 1-frame ones flagged non-sync.
    assert.deepEqual(source.map((f) => f.samples.length), [59, 1, 59, 1, 59, 1, 60], `track ${track.trackId}: source fragments`);
    assert.deepEqual(source.map((f) => (f.samples[0]!.flags & NON_SYNC) !== 0), [false, true, false, true, false, true, false]);

    assert.deepEqual(track.fragments.map((f) => f.time), [0n, 60060n, 120120n, 180180n], `track ${track.trackId}: one fragment a keyframe`);
    assert.deepEqual(track.fragments.map((f) => f.duration), [60060n, 60060n, 60060n, 60060n]);
    assert.deepEqual(
      track.nonSyncStarts,
      [1, 3, 5].map((i) => ({ offset: source[i]!.moof.start, time: source[i]!.tfdt, mergedInto: source[i - 1]!.tfdt })),
    );

    for (const [i, f] of track.fragments.entries()) {
      const parts = i < 3 ? [source[2 * i]!, source[2 * i + 1]!] : [source[6]!];
      const got = await body(FILE, f);
      assert.equal(got.length, f.size, 'size as indexed');
      const boxes = walkBoxes(got);
      assert.deepEqual(boxes.filter((x) => !x.path.includes('/')).map((x) => x.type), ['moof', 'mdat'], 'one moof, one mdat');
      const [joined] = readRawFragments(got, boxes);
      assert.ok(joined);
      assert.equal(joined.trackId, track.trackId);
      assert.equal(joined.tfdt, parts[0]!.tfdt, 'decode time of the first part');
      assert.deepEqual(joined.samples, parts.flatMap((p) => p.samples), 'every sample, durations, sizes, flags and offsets as in the source');
      assert.equal((joined.samples[0]!.flags & NON_SYNC) === 0, true, 'starts at a sync sample');
      assert.deepEqual(joined.sdtp, Uint8Array.from(parts.flatMap((p) => [...p.sdtp])), 'sdtp entries of both');
      assert.equal(joined.dataOffset, joined.mdat.start + joined.mdat.headerSize, 'data offset: the mdat payload');
      const payload = got.subarray(joined.mdat.start + joined.mdat.headerSize, joined.mdat.end);
      const sourcePayload = Uint8Array.from(parts.flatMap((p) => [...bytes.subarray(p.mdat.start + p.mdat.headerSize, p.mdat.end)]));
      assert.deepEqual(payload, sourcePayload, 'the mdat holds the source samples, byte for byte');
      // And verify's reader agrees: time and duration as announced, no non-sync start.
      const check = checkFragment(got, got.length, { t: f.time, d: f.duration, first: i === 0, streamType: 'video' });
      assert.deepEqual(check.problems, [], `fragment ${i}`);
    }
  }
  const audio = ix.tracks.find((t) => t.kind === 'audio')!;
  assert.equal(audio.nonSyncStarts, undefined, 'audio is left alone');
  assert.ok(audio.fragments.every((f) => f.built === undefined), 'audio fragments are the source bytes');
});

test('verify reports a video fragment that starts at a non-sync sample (and ignores audio flags)', async () => {
  const bytes = new Uint8Array(await readFile(FILE));
  const raw = readRawFragments(bytes, walkBoxes(bytes)).filter((f) => f.trackId === 1);
  const oneFrame = raw[1]!;
  const fragment = bytes.subarray(oneFrame.moof.start, oneFrame.mdat.end);
  const expected = { t: oneFrame.tfdt, d: 1001n, first: false };
  const problems = checkFragment(fragment, fragment.length, { ...expected, streamType: 'video' }).problems;
  assert.deepEqual(problems.map((p) => p.code), ['verify.non-sync-start']);
  assert.match(problems[0]!.message, /non-sync sample/);
  assert.deepEqual(checkFragment(fragment, fragment.length, { ...expected, streamType: 'audio' }).problems, []);
  const keyframe = bytes.subarray(raw[0]!.moof.start, raw[0]!.mdat.end);
  assert.deepEqual(checkFragment(keyframe, keyframe.length, { t: 0n, d: 59n * 1001n, first: true, streamType: 'video' }).problems, []);
});

/** The fixture with `patch` applied to a copy, indexed. */
async function indexPatched(patch: (b: Uint8Array, raw: RawFragment[]) => void): Promise<{ ix: Awaited<ReturnType<typeof indexFile>>; file: string; raw: RawFragment[] }> {
  const bytes = new Uint8Array(await readFile(FILE));
  const raw = readRawFragments(bytes, walkBoxes(bytes));
  patch(bytes, raw);
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-nonsync-'));
  const file = join(dir, 'patched.ismv');
  await writeFile(file, bytes);
  try {
    return { ix: await indexFile(file), file, raw };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a fragment whose traf carries a box smoothpub cannot join is left as it is, and says why', async () => {
  // The second 1-frame fragment of track 1 gets an 'sbgp' (sample group) where its sdtp was.
  const { ix, raw } = await indexPatched((b, raw) => {
    const target = raw.filter((f) => f.trackId === 1)[3]!;
    const sdtp = walkBoxes(b).find((x) => x.type === 'sdtp' && x.start > target.moof.start && x.end <= target.moof.end)!;
    b.set([0x73, 0x62, 0x67, 0x70], sdtp.start + 4); // 'sbgp'
  });
  const track = ix.tracks.find((t) => t.trackId === 1)!;
  const source = raw.filter((f) => f.trackId === 1);
  assert.deepEqual(track.fragments.map((f) => f.time), [0n, 60060n, 119119n, 120120n, 180180n], 'only that one stays a fragment of its own');
  assert.deepEqual(track.nonSyncStarts?.map((n) => [n.time, n.mergedInto, n.notMerged]), [
    [59059n, 0n, undefined],
    [119119n, undefined, "its traf carries a 'sbgp' box (sample groups, encryption or sub-samples), which smoothpub cannot join"],
    [179179n, 120120n, undefined],
  ]);
  assert.equal(track.fragments[1]!.duration, 59n * 1001n, 'the fragment before it keeps its own length');
  assert.equal(track.fragments[2]!.offset, source[3]!.moof.start);
  assert.equal(track.fragments[2]!.built, undefined, 'served as the source bytes');
});

test('a first fragment that starts at a non-sync sample has nothing to join; its samples outside its mdat keep a fragment apart', async () => {
  const { ix, raw } = await indexPatched((b, raw) => {
    const first = raw.find((f) => f.trackId === 2)!;
    // Sample 1's flags: trun header 8, version/flags 4, count 4, data offset 4, then duration, size, flags.
    const trun = walkBoxes(b).find((x) => x.type === 'trun' && x.start > first.moof.start && x.end <= first.moof.end)!;
    setU32(b, trun.start + 28, u32(b, trun.start + 28) | NON_SYNC);
    // Track 1's third 1-frame fragment points its data before its own mdat.
    const last = raw.filter((f) => f.trackId === 1)[5]!;
    const lastTrun = walkBoxes(b).find((x) => x.type === 'trun' && x.start > last.moof.start && x.end <= last.moof.end)!;
    setU32(b, lastTrun.start + 16, 8);
  });
  const two = ix.tracks.find((t) => t.trackId === 2)!;
  assert.deepEqual(two.nonSyncStarts?.[0], { offset: raw.find((f) => f.trackId === 2)!.moof.start, time: 0n, notMerged: 'it is the first fragment of its track, with none before it to join' });
  assert.deepEqual(two.fragments.map((f) => f.time), [0n, 60060n, 120120n, 180180n], 'the 1-frame fragment after it is still joined to it');
  const one = ix.tracks.find((t) => t.trackId === 1)!;
  assert.deepEqual(one.fragments.map((f) => f.time), [0n, 60060n, 120120n, 179179n, 180180n]);
  assert.match(one.nonSyncStarts?.[2]?.notMerged ?? '', /^the data of its sample 1 \(bytes \d+ to \d+\) lies outside its own mdat$/);
});

test('when the fragment before it cannot be joined, the warning says which one', async () => {
  const { ix, raw } = await indexPatched((b, raw) => {
    const target = raw.filter((f) => f.trackId === 1)[2]!; // the 59 frames from 2.002 s
    const sdtp = walkBoxes(b).find((x) => x.type === 'sdtp' && x.start > target.moof.start && x.end <= target.moof.end)!;
    b.set([0x73, 0x62, 0x67, 0x70], sdtp.start + 4); // 'sbgp'
  });
  const track = ix.tracks.find((t) => t.trackId === 1)!;
  const source = raw.filter((f) => f.trackId === 1);
  assert.deepEqual(track.nonSyncStarts?.[1], {
    offset: source[3]!.moof.start,
    time: 119119n,
    notMerged: "the fragment at t=60060 cannot be joined: its traf carries a 'sbgp' box (sample groups, encryption or sub-samples), which smoothpub cannot join",
  });
});
