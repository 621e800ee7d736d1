import { childBoxes, printable, readBoxHeader } from '../bmff/box.js';
import { Cursor } from '../bmff/cursor.js';
import { readMfhd, writeMfhd } from '../bmff/mfhd.js';
import { UUID_TFRF, UUID_TFXD } from '../bmff/piff.js';
import { readSdtp, writeSdtp } from '../bmff/sdtp.js';
import { readTfdt, writeTfdt } from '../bmff/tfdt.js';
import { readTfhd, TFHD_BASE_DATA_OFFSET, TFHD_DEFAULT_BASE_IS_MOOF, TFHD_SAMPLE_DESCRIPTION_INDEX, writeTfhd } from '../bmff/tfhd.js';
import { readTfxd, writeTfxd } from '../bmff/tfxd.js';
import { readTrun, TRUN_DATA_OFFSET, TRUN_SAMPLE_CTO, TRUN_SAMPLE_DURATION, TRUN_SAMPLE_FLAGS, TRUN_SAMPLE_SIZE, writeTrun, type TrunSample } from '../bmff/trun.js';
import { box, boxHeader } from '../bmff/writer.js';
import type { ByteSource } from '../source/source.js';
import { concatBytes } from '../util/concatBytes.js';
import { appendRun } from './fragmentParts.js';
import { tfdtGrowth } from './tfdtGrowth.js';
import type { ByteRun, FragmentRef, NonSyncStart } from './types.js';

/** What the `moov`'s `trex` says for samples whose fragment says nothing. */
export interface TrexDefaults {
  duration: number;
  size: number;
  flags: number | undefined;
}

/** More samples than this in one fragment is a corrupt count, not media. */
const MAX_SAMPLES = 1 << 20;
/** A `moof` larger than this is not a Smooth fragment. */
const MAX_MOOF = 64 << 20;

/**
 * Joins each fragment that starts at a non-sync sample to the fragment before it, so that
 * every fragment a client may start or switch at begins with a keyframe. A Smooth
 * fragment is one `moof` + `mdat`, so the joined fragment is a new `moof` listing the
 * samples of both (every field explicit, data offsets rewritten) followed by their bytes,
 * read from the source as they are. Fragments whose boxes could not stay valid so
 * (encryption, sample groups, data outside their own `mdat`, ...) are left as they are,
 * and `nonSyncStarts` says why.
 */
export async function mergeNonSyncStarts(
  src: ByteSource,
  trackId: number,
  fragments: FragmentRef[],
  sync: readonly (boolean | undefined)[],
  defaults: TrexDefaults,
): Promise<{ fragments: FragmentRef[]; nonSyncStarts: NonSyncStart[] }> {
  const out: FragmentRef[] = [];
  const nonSyncStarts: NonSyncStart[] = [];
  let i = 0;
  while (i < fragments.length) {
    let end = i + 1;
    while (end < fragments.length && sync[end] === false) end++;
    const group = fragments.slice(i, end);
    const first = group[0]!;
    if (sync[i] === false) nonSyncStarts.push({ offset: first.offset, time: first.time, notMerged: 'it is the first fragment of its track, with none before it to join' });
    if (group.length === 1) {
      out.push(first);
    } else {
      const merged = await mergeGroup(src, trackId, group, defaults);
      if (merged instanceof NotMergeable) {
        out.push(...group);
        for (const f of group.slice(1)) {
          const notMerged = merged.fragment === undefined || merged.fragment === f ? merged.message : `the fragment at t=${merged.fragment.time} cannot be joined: ${merged.message}`;
          nonSyncStarts.push({ offset: f.offset, time: f.time, notMerged });
        }
      } else {
        out.push(merged);
        for (const f of group.slice(1)) nonSyncStarts.push({ offset: f.offset, time: f.time, mergedInto: first.time });
      }
    }
    i = end;
  }
  return { fragments: out, nonSyncStarts };
}

/** Why fragments cannot be joined with their bytes kept valid, and which one, when one is to blame. */
class NotMergeable extends Error {
  fragment: FragmentRef | undefined;
}

interface Sample {
  /** Absolute offset of the sample's data in the source. */
  offset: number;
  size: number;
  duration: number;
  flags: number;
  compositionTimeOffset: number;
}

/** One source fragment taken apart: its samples with every default resolved. */
interface FragmentSamples {
  sequenceNumber: number;
  sampleDescriptionIndex: number | undefined;
  decodeTime: bigint | undefined;
  tfxd: { time: bigint; duration: bigint } | undefined;
  samples: Sample[];
  /** A trun of version 1: composition offsets are signed. */
  signedOffsets: boolean;
  compositionOffsets: boolean;
  sdtp: Uint8Array | undefined;
}

/** The joined fragment, or why the group cannot be joined. */
async function mergeGroup(src: ByteSource, trackId: number, group: FragmentRef[], defaults: TrexDefaults): Promise<FragmentRef | NotMergeable> {
  try {
    const parts: FragmentSamples[] = [];
    for (const f of group) {
      try {
        parts.push(await readFragmentSamples(src, f, defaults));
      } catch (e) {
        if (e instanceof NotMergeable) e.fragment = f;
        throw e;
      }
    }
    const { head, moofLength, runs, payload } = buildJoined(trackId, parts);
    const first = group[0]!;
    const offset = runs[0]?.offset ?? first.offset;
    const growth = tfdtGrowth(head.subarray(0, moofLength), offset);
    return {
      offset,
      size: head.length + payload,
      time: first.time,
      duration: group.reduce((sum, f) => sum + f.duration, 0n),
      built: { head: () => head, runs: () => runs },
      ...(growth ? { tfdtGrowth: growth } : {}),
    };
  } catch (e) {
    if (e instanceof NotMergeable) return e;
    throw e;
  }
}

async function readFragmentSamples(src: ByteSource, f: FragmentRef, defaults: TrexDefaults): Promise<FragmentSamples> {
  const start = await src.read(f.offset, 16);
  const moofHeader = readBoxHeader(new Cursor(start, f.offset), f.offset + f.size);
  if (moofHeader.size > MAX_MOOF) throw new NotMergeable(`its moof of ${moofHeader.size} bytes is too large`);
  const bytes = await src.read(f.offset, Math.min(f.size, moofHeader.size + 16));
  const mdat = readBoxHeader(new Cursor(bytes, f.offset, 'file', moofHeader.size), f.offset + f.size);
  const dataStart = mdat.offset + mdat.headerSize;
  const dataEnd = f.offset + f.size;
  const moof = new Cursor(bytes, f.offset, 'moof', moofHeader.headerSize, moofHeader.size);
  let sequenceNumber = 0;
  let traf: Cursor | undefined;
  for (const child of childBoxes(moof, 'moof')) {
    if (child.type === 'mfhd') sequenceNumber = readMfhd(child.payload).sequenceNumber;
    else if (child.type === 'traf' && traf === undefined) traf = child.payload;
    else throw new NotMergeable(`its moof carries a '${printable(child.type)}' box`);
  }
  if (traf === undefined) throw new NotMergeable('its moof has no traf');

  const out: FragmentSamples = { sequenceNumber, sampleDescriptionIndex: undefined, decodeTime: undefined, tfxd: undefined, samples: [], signedOffsets: false, compositionOffsets: false, sdtp: undefined };
  let tfhd: ReturnType<typeof readTfhd> | undefined;
  let base = f.offset;
  let next = f.offset;
  for (const child of childBoxes(traf, 'moof/traf')) {
    if (child.type === 'tfhd') {
      tfhd = readTfhd(child.payload);
      if (tfhd.sampleDescriptionIndex !== undefined) out.sampleDescriptionIndex = tfhd.sampleDescriptionIndex;
      // Without a base-data-offset the base is the moof's start, whether or not default-base-is-moof is set: one traf.
      base = tfhd.flags & TFHD_BASE_DATA_OFFSET ? Number(tfhd.baseDataOffset!) : f.offset;
      next = base;
    } else if (child.type === 'tfdt') {
      out.decodeTime = readTfdt(child.payload).baseMediaDecodeTime;
    } else if (child.type === 'trun') {
      if (tfhd === undefined) throw new NotMergeable("its trun comes before its tfhd");
      const trun = readTrun(child.payload);
      if (trun.sampleCount > MAX_SAMPLES) throw new NotMergeable(`its trun claims ${trun.sampleCount} samples`);
      out.signedOffsets ||= trun.version === 1;
      out.compositionOffsets ||= (trun.flags & TRUN_SAMPLE_CTO) !== 0;
      let pos = trun.dataOffset === undefined ? next : base + trun.dataOffset;
      for (let k = 0; k < trun.sampleCount; k++) {
        const s = trun.samples[k];
        const size = s?.size ?? tfhd.defaultSampleSize ?? defaults.size;
        const flags = (k === 0 ? trun.firstSampleFlags : undefined) ?? s?.flags ?? tfhd.defaultSampleFlags ?? defaults.flags;
        if (flags === undefined) throw new NotMergeable('its sample flags are not given anywhere');
        if (pos < dataStart || pos + size > dataEnd) throw new NotMergeable(`the data of its sample ${out.samples.length + 1} (bytes ${pos} to ${pos + size}) lies outside its own mdat`);
        out.samples.push({ offset: pos, size, duration: s?.duration ?? tfhd.defaultSampleDuration ?? defaults.duration, flags, compositionTimeOffset: s?.compositionTimeOffset ?? 0 });
        pos += size;
      }
      next = pos;
    } else if (child.type === 'uuid' && child.uuid === UUID_TFXD) {
      out.tfxd = readTfxd(child.payload);
    } else if (child.type === 'uuid' && child.uuid === UUID_TFRF) {
      // Live look-ahead (the next fragments' times): nothing an on-demand fragment needs.
    } else if (child.type === 'sdtp') {
      out.sdtp = readSdtp(child.payload).entries;
    } else {
      throw new NotMergeable(`its traf carries a '${printable(child.type)}' box (${child.type === 'uuid' ? child.uuid : 'sample groups, encryption or sub-samples'}), which smoothpub cannot join`);
    }
  }
  if (out.sdtp !== undefined && out.sdtp.length !== out.samples.length) out.sdtp = undefined;
  return out;
}

const I32_MAX = 2 ** 31 - 1;

/** The joined fragment's moof and mdat header, and the runs of source bytes its mdat holds. */
function buildJoined(trackId: number, parts: FragmentSamples[]): { head: Uint8Array; moofLength: number; runs: ByteRun[]; payload: number } {
  const first = parts[0]!;
  if (parts.some((p) => p.sampleDescriptionIndex !== first.sampleDescriptionIndex)) throw new NotMergeable('its fragments name different sample descriptions');
  const samples = parts.flatMap((p) => p.samples);
  const signed = parts.some((p) => p.signedOffsets);
  const withOffsets = parts.some((p) => p.compositionOffsets);
  if (signed && samples.some((s) => s.compositionTimeOffset > I32_MAX)) throw new NotMergeable('its composition offsets mix signed and unsigned values that one trun cannot hold');

  const trunSamples: TrunSample[] = samples.map((s) => {
    const t: TrunSample = { duration: s.duration, size: s.size, flags: s.flags };
    if (withOffsets) t.compositionTimeOffset = s.compositionTimeOffset;
    return t;
  });
  const payload = samples.reduce((sum, s) => sum + s.size, 0);
  const build = (dataOffset: number): Uint8Array => {
    const traf = [
      writeTfhd({
        flags: TFHD_DEFAULT_BASE_IS_MOOF | (first.sampleDescriptionIndex === undefined ? 0 : TFHD_SAMPLE_DESCRIPTION_INDEX),
        trackId,
        ...(first.sampleDescriptionIndex !== undefined && { sampleDescriptionIndex: first.sampleDescriptionIndex }),
      }),
    ];
    if (first.decodeTime !== undefined) traf.push(writeTfdt({ version: 1, baseMediaDecodeTime: first.decodeTime }));
    traf.push(
      writeTrun({
        version: signed ? 1 : 0,
        flags: TRUN_DATA_OFFSET | TRUN_SAMPLE_DURATION | TRUN_SAMPLE_SIZE | TRUN_SAMPLE_FLAGS | (withOffsets ? TRUN_SAMPLE_CTO : 0),
        sampleCount: samples.length,
        dataOffset,
        samples: trunSamples,
      }),
    );
    if (parts.every((p) => p.sdtp !== undefined)) {
      const entries = new Uint8Array(samples.length);
      let at = 0;
      for (const p of parts) {
        entries.set(p.sdtp!, at);
        at += p.sdtp!.length;
      }
      traf.push(writeSdtp({ entries }));
    }
    if (first.tfxd !== undefined) {
      const duration = parts.every((p) => p.tfxd !== undefined)
        ? parts.reduce((sum, p) => sum + p.tfxd!.duration, 0n)
        : BigInt(samples.reduce((sum, s) => sum + s.duration, 0));
      traf.push(writeTfxd({ version: 1, time: first.tfxd.time, duration }));
    }
    return box('moof', writeMfhd({ sequenceNumber: first.sequenceNumber }), box('traf', ...traf));
  };
  const mdatHeader = boxHeader('mdat', payload);
  // The data offset field has a fixed size, so a first build gives the moof's length.
  const moof = build(build(0).length + mdatHeader.length);
  const runs: ByteRun[] = [];
  for (const s of samples) appendRun(runs, s.offset, s.size);
  return { head: concatBytes([moof, mdatHeader]), moofLength: moof.length, runs, payload };
}
