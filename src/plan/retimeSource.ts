import { readBoxHeader, MAX_BOX_HEADER } from '../bmff/box.js';
import { Cursor } from '../bmff/cursor.js';
import { ErrorCode, SmoothpubError, isSmoothpubError } from '../errors.js';
import type { BuiltFragment, ByteRun, FragmentRef, SourceIndex, TrackIndex } from '../fragments/types.js';
import { moofSize } from '../fragments/moofSize.js';
import { tfdtGrowth } from '../fragments/tfdtGrowth.js';
import { readTrackSetup } from '../fragments/readTrackSetup.js';
import { PRESENTATION_TIME_SCALE, toPresentationTime } from '../smooth/timeScale.js';
import type { ByteSource } from '../source/source.js';
import { concatBytes } from '../util/concatBytes.js';
import { runAll } from '../util/runAll.js';
import { retimeMoof } from '../fragments/retimeMoof.js';
import { withTfdt } from './insertTfdt.js';

/** One read a fragment: its `moof` (about 1 KiB for 2 s) fits; a bigger one is read again. */
const FIRST_READ = 4 * 1024;
/** As the indexer: a larger `moof` is corrupt or hostile. */
const MAX_MOOF = 256 * 1024 * 1024;

/**
 * The source's fragmented tracks on the presentation clock: a track whose timescale is
 * not 10 MHz (CMAF at 12288 or 48000, say) gets every fragment's `moof` rebuilt with
 * converted times (retimeMoof), each then served as that `moof` followed by the source's
 * `mdat`, byte for byte. Plain MP4 tracks (cut later, already on that clock) and 10 MHz
 * tracks are returned as they are. The rebuilt `moof`s are kept in memory, about their
 * own size a fragment. Reads each `moof` once more, `concurrency` at a time.
 */
export async function retimeSource(index: SourceIndex, src: ByteSource, concurrency = 8): Promise<SourceIndex> {
  const todo = index.tracks.filter(needsRetiming);
  if (todo.length === 0) return index;
  const retimed = new Map<TrackIndex, TrackIndex>();
  try {
    for (const track of todo) {
      const out = await retimeTrack(track, src, concurrency);
      if (out) retimed.set(track, out);
    }
  } catch (e) {
    throw isSmoothpubError(e) ? e.withContext({ file: src.name }) : e;
  }
  return { ...index, tracks: index.tracks.map((t) => retimed.get(t) ?? t) };
}

function needsRetiming(t: TrackIndex): boolean {
  return t.samples === undefined && t.fragments.length > 0 && t.timescale !== PRESENTATION_TIME_SCALE;
}

/** Undefined when some `moof` cannot be rebuilt (CENC offsets): the track stays on its own clock. */
async function retimeTrack(track: TrackIndex, src: ByteSource, concurrency: number): Promise<TrackIndex | undefined> {
  const trexDefaultDuration = trexDefault(track, src);
  const fragments: (FragmentRef | undefined)[] = new Array<FragmentRef | undefined>(track.fragments.length);
  let refused = false;
  await runAll(track.fragments, concurrency, async (f, i) => {
    if (refused) return;
    const { moof, joined } = await moofOf(f, src);
    const timing = { time: f.time, duration: f.duration, timescale: track.timescale };
    let out = retimeMoof(moof, f.offset, { ...timing, trexDefaultDuration: 0 });
    if (out?.usedTrexDefault) out = retimeMoof(moof, f.offset, { ...timing, trexDefaultDuration: await trexDefaultDuration() });
    if (!out) {
      refused = true;
      return;
    }
    const retimed = replaceMoof(f, moof, joined, out.moof, out.time, out.duration);
    // Without a tfdt still when it starts before 0 (priming): DASH and HLS get it one later.
    const growth = tfdtGrowth(out.moof, f.offset);
    if (growth) retimed.tfdtGrowth = growth;
    fragments[i] = retimed;
  });
  if (refused) return undefined;
  const retimed: TrackIndex = { ...track, timescale: PRESENTATION_TIME_SCALE, fragments: fragments as FragmentRef[] };
  // Warnings name these by the times the Manifest announces.
  if (track.nonSyncStarts) {
    const convert = (t: bigint): bigint => toPresentationTime(t, track.timescale);
    retimed.nonSyncStarts = track.nonSyncStarts.map((n) => ({ ...n, time: convert(n.time), ...(n.mergedInto !== undefined && { mergedInto: convert(n.mergedInto) }) }));
  }
  return retimed;
}

/**
 * A track on the presentation clock (retimed, or plain MP4 cut) with a `tfdt` in every
 * fragment, for DASH and HLS players (withTfdt): fragments that have one stay as they
 * are, the others get a rebuilt `moof`, the rest of their bytes still the source's. Times
 * stay as indexed: a fragment starting before 0 is announced from 0 whatever its `moof`
 * says (announcedChunks). A stored `moof` comes from the index (indexSource keepMoofs)
 * or is read again, `concurrency` at a time.
 */
export async function addDecodeTimes(track: TrackIndex, src: ByteSource, concurrency = 8): Promise<TrackIndex> {
  const trexDefaultDuration = trexDefault(track, src);
  const fragments = track.fragments.slice();
  await runAll(track.fragments, concurrency, async (f, i) => {
    const { moof, joined } = await moofOf(f, src);
    // Only a rebuilt moof (priming, absolute data offsets) may need the moov's trex default.
    const needsTrex = f.time < 0n;
    const out = withTfdt(moof, f.offset, { time: f.time, duration: f.duration, trexDefaultDuration: needsTrex ? await trexDefaultDuration() : 0 });
    if (out) fragments[i] = { ...replaceMoof(f, moof, joined, out, f.time, f.duration), ...(f.tfxd && { tfxd: f.tfxd }) };
  });
  return { ...track, fragments };
}

/** Only samples with no duration of their own, in a traf with no default, need the moov's trex. */
function trexDefault(track: TrackIndex, src: ByteSource): () => Promise<number> {
  let read: Promise<number> | undefined;
  return () => (read ??= readTrackSetup(src, track.trackId).then((s) => s.trex?.defaultSampleDuration ?? 0));
}

/**
 * A fragment's `moof`: read from the source, or the head of a fragment built in memory
 * (plain MP4, or joined from several of the source's at a non-sync start), which is
 * followed by its `mdat` header and the samples' runs of the source.
 */
async function moofOf(f: Pick<FragmentRef, 'offset' | 'size' | 'built' | 'moof'>, src: ByteSource): Promise<{ moof: Uint8Array; joined: Uint8Array | undefined }> {
  const joined = f.built?.head();
  if (!joined && f.moof) return { moof: f.moof, joined };
  const moof = joined ? joined.subarray(0, moofSize(joined, joined.length, { file: src.name, offset: f.offset })) : await readMoofBytes(src, f);
  return { moof, joined };
}

/** A fragment's `moof`, whole: read from its source, or the head of a fragment built in memory. */
export async function readFragmentMoof(f: Pick<FragmentRef, 'offset' | 'size' | 'built'>, src: ByteSource): Promise<Uint8Array> {
  return (await moofOf(f, src)).moof;
}

/** The fragment served with `moof` replaced by `next`, everything after it unchanged. */
function replaceMoof(f: FragmentRef, moof: Uint8Array, joined: Uint8Array | undefined, next: Uint8Array, time: bigint, duration: bigint): FragmentRef {
  const size = next.length + f.size - moof.length;
  if (joined && f.built) {
    const head = concatBytes([next, joined.subarray(moof.length)]);
    const runs = f.built.runs();
    return { offset: f.offset, size, time, duration, built: { head: () => head, runs: () => runs } };
  }
  return { offset: f.offset, size, time, duration, built: new RetimedBody(next, { offset: f.offset + moof.length, size: f.size - moof.length }) };
}

/** The `moof` at a fragment's offset, whole. */
async function readMoofBytes(src: ByteSource, f: Pick<FragmentRef, 'offset' | 'size'>): Promise<Uint8Array> {
  let bytes = await src.read(f.offset, Math.min(FIRST_READ, f.size));
  const h = readBoxHeader(new Cursor(bytes.subarray(0, MAX_BOX_HEADER), f.offset), f.offset + f.size, 'file');
  if (h.type !== 'moof' || h.size > MAX_MOOF || h.size >= f.size) {
    throw new SmoothpubError(ErrorCode.BAD_BOX, `expected the fragment's 'moof' here, found '${h.type}' of ${h.size} bytes: the file changed since it was indexed?`, { offset: f.offset, boxPath: 'moof' });
  }
  if (bytes.length < h.size) bytes = await src.read(f.offset, h.size);
  if (bytes.length < h.size) throw new SmoothpubError(ErrorCode.TRUNCATED_BOX, `file ends inside a 'moof' of ${h.size} bytes`, { offset: f.offset, boxPath: 'moof' });
  return bytes.subarray(0, h.size);
}

/** A fragment served as a rebuilt `moof` and the source's `mdat` (header and payload). */
class RetimedBody implements BuiltFragment {
  constructor(
    private readonly moof: Uint8Array,
    private readonly mdat: ByteRun,
  ) {}

  head(): Uint8Array {
    return this.moof;
  }

  runs(): ByteRun[] {
    return [this.mdat];
  }
}
