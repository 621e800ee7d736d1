import { boxHeader, box, plainHeaderSize } from '../../bmff/writer.js';
import { writeMfhd } from '../../bmff/mfhd.js';
import { TFHD_DEFAULT_BASE_IS_MOOF, writeTfhd } from '../../bmff/tfhd.js';
import { writeTfdt } from '../../bmff/tfdt.js';
import { TRUN_DATA_OFFSET, TRUN_SAMPLE_CTO, TRUN_SAMPLE_DURATION, TRUN_SAMPLE_FLAGS, TRUN_SAMPLE_SIZE, writeTrun, type TrunSample } from '../../bmff/trun.js';
import { writeTfxd } from '../../bmff/tfxd.js';
import { ErrorCode, SmoothpubError } from '../../errors.js';
import type { ByteRun, SampleTable } from '../types.js';
import type { TrackTimeline } from './trackTimeline.js';
import { appendRun } from '../fragmentParts.js';

/** sample_depends_on = 2: decodable alone (ISO/IEC 14496-12 8.8.3.1). */
export const SYNC_SAMPLE_FLAGS = 0x02000000;
/** sample_depends_on = 1 and sample_is_non_sync_sample. */
export const NON_SYNC_SAMPLE_FLAGS = 0x01010000;

const MFHD = 16;
const TFHD = 16; // no optional fields: default-base-is-moof only
const TFDT_V1 = 20;
const TRUN_FIXED = 8 + 4 + 4 + 4; // header, version/flags, sample_count, data_offset
const TFXD_V1 = 8 + 16 + 4 + 16;

export interface FragmentSpan {
  trackId: number;
  /** First sample and one past the last. */
  from: number;
  to: number;
  sequenceNumber: number;
}

/** Where a fragment of samples [from, to) sits and how large its parts are, computed without building it. */
export interface FragmentLayout {
  /** Decode time of its first sample and its duration (presentation ticks, 10 MHz). */
  time: number;
  duration: number;
  /** Sample bytes (the `mdat` payload). */
  payload: number;
  moofSize: number;
  /** `moof` plus the `mdat` header. */
  headSize: number;
}

/**
 * A fragment generated from samples [from, to) of a plain MP4 track: a `moof` (mfhd,
 * traf{tfhd, tfdt, trun, tfxd}) and `mdat` header (buildHead, when the body is needed),
 * followed by the samples' bytes read from the source in as few runs as possible.
 */
export function layoutFragment(table: SampleTable, timeline: TrackTimeline, span: FragmentSpan): FragmentLayout {
  const { from, to } = span;
  const time = timeline.decodeTime(from);
  const duration = timeline.decodeTime(to) - time;
  let payload = 0;
  for (let i = from; i < to; i++) payload += table.sizes[i]!;
  const perSample = table.compositionOffsets !== undefined ? 16 : 12;
  const moofSize = 8 + MFHD + 8 + TFHD + (hasTfdt(time) ? TFDT_V1 : 0) + TRUN_FIXED + (to - from) * perSample + TFXD_V1;
  return { time, duration, payload, moofSize, headSize: moofSize + plainHeaderSize(payload) };
}

/** The fragment's `moof` and `mdat` header: its bytes before the samples. */
export function buildHead(table: SampleTable, timeline: TrackTimeline, span: FragmentSpan, layout = layoutFragment(table, timeline, span)): Uint8Array {
  const { from, to } = span;
  const { time, duration, moofSize, headSize } = layout;
  const withOffsets = table.compositionOffsets !== undefined;
  const samples: TrunSample[] = [];
  let decode = time;
  for (let i = from; i < to; i++) {
    const next = timeline.decodeTime(i + 1);
    const s: TrunSample = {
      // Shorter for B-frame video's first samples, which decode between its first frame's time and the next sample's.
      duration: next - decode,
      size: table.sizes[i]!,
      flags: table.sync === undefined || table.sync[i] === 1 ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS,
    };
    if (withOffsets) s.compositionTimeOffset = timeline.presentationTime(i) - decode;
    samples.push(s);
    decode = next;
  }
  const trun = writeTrun({
    // The timeline keeps every offset unsigned (trackTimeline): version 0.
    version: 0,
    flags: TRUN_DATA_OFFSET | TRUN_SAMPLE_DURATION | TRUN_SAMPLE_SIZE | TRUN_SAMPLE_FLAGS | (withOffsets ? TRUN_SAMPLE_CTO : 0),
    sampleCount: to - from,
    dataOffset: headSize,
    samples,
  });
  const traf = [writeTfhd({ flags: TFHD_DEFAULT_BASE_IS_MOOF, trackId: span.trackId })];
  if (hasTfdt(time)) traf.push(writeTfdt({ version: 1, baseMediaDecodeTime: BigInt(time) }));
  traf.push(trun, writeTfxd({ version: 1, time: BigInt(time), duration: BigInt(duration) }));
  const moof = box('moof', writeMfhd({ sequenceNumber: span.sequenceNumber }), box('traf', ...traf));
  if (moof.length !== moofSize) {
    throw new SmoothpubError(ErrorCode.BAD_BOX, `internal: built moof is ${moof.length} bytes, planned ${moofSize}`, { trackId: span.trackId, boxPath: 'moof' });
  }
  const out = new Uint8Array(headSize);
  out.set(moof, 0);
  out.set(boxHeader('mdat', layout.payload), moofSize);
  return out;
}

/**
 * tfdt is unsigned: a first fragment starting before 0 (priming) goes without one, as
 * ffmpeg's ISMV fragments all do; clients then take the Manifest's time.
 */
function hasTfdt(time: number): boolean {
  return time >= 0;
}

/** Byte runs of samples [from, to), adjacent samples merged. */
export function sampleRuns(table: SampleTable, from: number, to: number): ByteRun[] {
  const runs: ByteRun[] = [];
  for (let i = from; i < to; i++) appendRun(runs, table.offsets[i]!, table.sizes[i]!);
  return runs;
}
