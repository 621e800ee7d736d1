import { readBoxHeader, type BoxHeader } from '../bmff/box.js';
import { Cursor } from '../bmff/cursor.js';
import { ErrorCode, isSmoothpubError } from '../errors.js';
import { readMoof, type MoofInfo } from '../fragments/readMoof.js';
import { VerifyCode, type VerifyCodeValue } from './problem.js';
import { checkSampleEncryption } from './checkSampleEncryption.js';

/** What the Manifest says about one fragment URL. */
export interface ExpectedFragment {
  /** Start time in the URL (the chunk's t), in the stream's timescale. */
  t: bigint;
  /** The chunk's d. */
  d: bigint;
  /** The stream's first chunk: the only one that may hide codec priming (see plan/timeline.ts). */
  first: boolean;
  /** The StreamIndex's Type: a video fragment must start at a sync sample. */
  streamType?: string;
}

export interface FragmentCheck {
  /** The traf's track ID, when the moof could be read. */
  trackId?: number;
  problems: { code: VerifyCodeValue; message: string }[];
}

/** A moof bigger than this is not a Smooth fragment; bounds what `fragmentPrefixWanted` keeps. */
export const MAX_MOOF_BYTES = 64 << 20;
/** Room for the header of the box after the moof (size, type, largesize, uuid). */
const MDAT_HEADER_ROOM = 32;

/**
 * Boxes a DASH or HLS (CMAF) media segment may carry before its `moof`: segment type,
 * segment index, producer reference time, events. A Smooth fragment starts with its `moof`.
 */
export const SEGMENT_LEADING_BOXES: ReadonlySet<string> = new Set(['styp', 'sidx', 'ssix', 'prft', 'emsg']);
/** The most bytes of leading boxes looked past. */
const MAX_LEADING_BYTES = 1 << 20;

/**
 * How many leading bytes of a body `checkFragment` needs, given those kept so far:
 * any segment boxes before the moof, the moof and the mdat header. The mdat payload is
 * only counted, never kept.
 */
export function fragmentPrefixWanted(kept: Uint8Array): number {
  const view = new DataView(kept.buffer, kept.byteOffset, kept.byteLength);
  let offset = 0;
  for (;;) {
    if (kept.length < offset + 16) return offset + 16;
    const size32 = view.getUint32(offset);
    const size = size32 === 1 ? view.getBigUint64(offset + 8) : BigInt(size32);
    const type = String.fromCharCode(...kept.subarray(offset + 4, offset + 8));
    if (!SEGMENT_LEADING_BOXES.has(type) || size < 8n || BigInt(offset) + size > BigInt(MAX_LEADING_BYTES)) {
      return offset + Number(size > BigInt(MAX_MOOF_BYTES) ? BigInt(MAX_MOOF_BYTES) : size) + MDAT_HEADER_ROOM;
    }
    offset += Number(size);
  }
}

/** Where a fragment body's `moof` lies, once its header has been read. */
export interface MoofPlace {
  /** Types of the boxes before it (only those `SEGMENT_LEADING_BOXES` allows). */
  leading: string[];
  /** The moof's payload: after its header, to its end. */
  payloadStart: number;
  end: number;
}

export type FragmentProblem = FragmentCheck['problems'][number];

/**
 * Checks a fragment body, given its first bytes (`prefix`, at least what
 * `fragmentPrefixWanted` asked for) and its full length: exactly one `moof` with one
 * `traf`, then one `mdat` ending at the body's end; time and duration as the Manifest says.
 */
export function checkFragment(prefix: Uint8Array, length: number, expected: ExpectedFragment): FragmentCheck {
  const place = locateMoof(prefix, length);
  if (!('end' in place)) return { problems: [place] };
  // Smooth clients never see the moov, so a trex default cannot be relied on: count it as 0.
  const read = readFragmentMoof(prefix, place, () => 0);
  if (!('info' in read)) return { problems: [read] };
  const problems = checkMdat(prefix, place.end, length);
  problems.push(...checkSampleEncryption(prefix, place));
  problems.push(...checkManifestTiming(read.info, expected, read.usedTrexDefault));
  if (expected.streamType === 'video') problems.push(...checkSyncStart(read.info));
  return { trackId: read.info.trackId, problems };
}

/**
 * The body's `moof`, or the one problem that stops reading it. With `leading`, the boxes a
 * DASH or HLS segment may carry before it are passed over; a Smooth fragment has none.
 */
export function locateMoof(prefix: Uint8Array, length: number, leading: ReadonlySet<string> = new Set()): MoofPlace | FragmentProblem {
  const before: string[] = [];
  let moofHeader = readTopBox(prefix, 0, length);
  while (typeof moofHeader !== 'string' && leading.has(moofHeader.type)) {
    const next = moofHeader.offset + moofHeader.size;
    if (next > length) return problem(VerifyCode.TRUNCATED, `body ends at byte ${length}, inside the '${moofHeader.type}' box before the moof`);
    if (next + 8 <= length && next + 8 > prefix.length) return problem(VerifyCode.NOT_FRAGMENT, `boxes before the moof take more than the ${MAX_LEADING_BYTES} bytes accepted`);
    before.push(moofHeader.type);
    moofHeader = readTopBox(prefix, next, length);
  }
  if (typeof moofHeader === 'string') return problem(moofHeader === 'truncated' ? VerifyCode.TRUNCATED : VerifyCode.NOT_FRAGMENT, `body of ${length} bytes: ${moofHeaderProblem(moofHeader)}`);
  if (moofHeader.type !== 'moof') {
    const after = before.length === 0 ? 'first' : `after '${before.join("', '")}'`;
    return problem(VerifyCode.NOT_FRAGMENT, `expected a 'moof' box ${after}, found '${moofHeader.type}' (${length} bytes)`);
  }
  const moofEnd = moofHeader.offset + moofHeader.size;
  if (moofEnd > length) return problem(VerifyCode.TRUNCATED, `body ends at byte ${length}, inside the ${moofHeader.size}-byte moof`);
  if (moofEnd > prefix.length) return problem(VerifyCode.NOT_FRAGMENT, `moof of ${moofHeader.size} bytes is larger than the ${MAX_MOOF_BYTES} accepted`);
  return { leading: before, payloadStart: moofHeader.offset + moofHeader.headerSize, end: moofEnd };
}

/**
 * The `moof`'s timing facts, with `defaultDuration` (and `defaultFlags`) standing for the
 * `trex` of the track: none for Smooth clients, the init segment's for DASH and HLS players.
 */
export function readFragmentMoof(
  prefix: Uint8Array,
  place: MoofPlace,
  defaultDuration: (trackId: number) => number,
  defaultFlags: (trackId: number) => number | undefined = () => undefined,
): { info: MoofInfo; usedTrexDefault: boolean } | FragmentProblem {
  let usedTrexDefault = false;
  try {
    const payload = new Cursor(prefix, 0, 'moof', place.payloadStart, place.end);
    const info = readMoof(
      payload,
      (trackId) => {
        usedTrexDefault = true;
        return defaultDuration(trackId);
      },
      defaultFlags,
    );
    return { info, usedTrexDefault };
  } catch (e) {
    if (!isSmoothpubError(e)) throw e;
    return problem(VerifyCode.NOT_FRAGMENT, `bad moof: ${e.message}`);
  }
}

/** What follows the `moof`: one `mdat` ending exactly at the body's end. */
export function checkMdat(prefix: Uint8Array, moofEnd: number, length: number): FragmentProblem[] {
  const problems: FragmentProblem[] = [];
  const mdatHeader = readTopBox(prefix, moofEnd, length);
  if (mdatHeader === 'truncated') {
    problems.push({ code: VerifyCode.TRUNCATED, message: `body ends at byte ${length}, ${moofEnd === length ? 'right after the moof: no mdat' : 'inside the mdat header'}` });
  } else if (typeof mdatHeader === 'string') {
    problems.push({ code: VerifyCode.NOT_FRAGMENT, message: `after the moof: ${moofHeaderProblem(mdatHeader)}` });
  } else if (mdatHeader.type !== 'mdat') {
    problems.push({ code: VerifyCode.NOT_FRAGMENT, message: `expected an 'mdat' box after the moof at byte ${moofEnd}, found '${mdatHeader.type}'` });
  } else {
    const mdatEnd = mdatHeader.offset + mdatHeader.size;
    if (mdatEnd > length) problems.push({ code: VerifyCode.TRUNCATED, message: `body ends at byte ${length}, ${mdatEnd - length} bytes short of the mdat's end at ${mdatEnd}` });
    if (mdatEnd < length) problems.push({ code: VerifyCode.NOT_FRAGMENT, message: `${length - mdatEnd} unexpected bytes after the mdat (a fragment is exactly moof + mdat)` });
  }
  return problems;
}

/**
 * Clients start and switch quality levels at any fragment, decoding it with no picture
 * before it. Only for video: every AAC frame decodes alone, whatever its flags say.
 */
export function checkSyncStart(info: MoofInfo): FragmentProblem[] {
  if (info.firstSampleSync !== false) return [];
  return [
    {
      code: VerifyCode.NON_SYNC_START,
      message: 'fragment starts at a non-sync sample (its first sample\'s flags set sample_is_non_sync_sample): a client starting or switching quality levels here shows damaged pictures until the next keyframe',
    },
  ];
}

/** Smooth: the fragment starts at its URL's time and lasts its chunk's d (codec priming aside). */
export function checkManifestTiming(info: MoofInfo, expected: ExpectedFragment, usedTrexDefault: boolean): FragmentCheck['problems'] {
  const problems: FragmentCheck['problems'] = [];
  const { duration, tfdt, tfxd } = info;
  const time = tfdt ?? tfxd?.time;
  const trexNote = usedTrexDefault ? ' (some samples take their duration from the moov\'s trex, which Smooth clients never see)' : '';
  // Clients place the samples by the Manifest: d must be what the samples last, whatever tfxd says.
  const saidNote = tfxd !== undefined && tfxd.duration !== duration ? `; its tfxd says ${tfxd.duration}` : '';
  // A fragment with neither tfxd nor tfdt carries no time: clients take it from the Manifest.
  if (time === undefined) {
    if (duration !== expected.d) problems.push(durationMismatch(duration, expected.d, trexNote + saidNote));
    return problems;
  }
  // Codec priming: a negative first time is announced as t=0, its duration stretched to its
  // end. With DASH and HLS the fragment also has a tfdt of 0 (unsigned), its tfxd still negative.
  const primed = tfxd !== undefined && tfxd.time < 0n && (tfdt === undefined || tfdt === 0n) ? tfxd.time : time;
  if (primed < 0n && expected.first && expected.t === 0n) {
    if (primed + duration !== expected.d) {
      problems.push({
        code: VerifyCode.DURATION_MISMATCH,
        message: `first fragment starts before 0 (priming) at ${primed} and ends at ${primed + duration}, Manifest says it ends at d=${expected.d}${trexNote}${saidNote}`,
      });
    }
    return problems;
  }
  if (!startsAt(info, expected.t)) problems.push({ code: VerifyCode.TIME_MISMATCH, message: `fragment starts at ${time}, URL says ${expected.t}` });
  if (duration !== expected.d) problems.push(durationMismatch(duration, expected.d, trexNote + saidNote));
  return problems;
}

/**
 * Whether the fragment's first sample decodes at `t`: `tfdt` says so exactly; a `tfxd`
 * time is that decode time, or (as ffmpeg writes it) the first sample's presentation
 * time, later by its composition offset when a keyframe decodes before frames shown
 * ahead of it (open GOP).
 */
function startsAt(info: MoofInfo, t: bigint): boolean {
  if (info.tfdt !== undefined) return info.tfdt === t;
  const said = info.tfxd!.time;
  return said === t || said === t + info.firstCompositionOffset;
}

function durationMismatch(found: bigint, expected: bigint, note: string): { code: VerifyCodeValue; message: string } {
  return { code: VerifyCode.DURATION_MISMATCH, message: `fragment lasts ${found}, Manifest says d=${expected}${note}` };
}

type HeaderProblem = 'truncated' | 'too-small' | 'bad-size';

/** The top-level box header at `offset`, or why there is none. */
function readTopBox(prefix: Uint8Array, offset: number, length: number): BoxHeader | HeaderProblem {
  if (length - offset < 8) return 'truncated';
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  // Size 0 means "to the end of the body" (ISO/IEC 14496-12 4.2).
  const limit = view.getUint32(offset) === 0 ? length : Number.MAX_SAFE_INTEGER;
  try {
    return readBoxHeader(new Cursor(prefix, 0, 'body', offset), limit);
  } catch (e) {
    if (!isSmoothpubError(e)) throw e;
    if (e.code === ErrorCode.TRUNCATED_BOX) return 'truncated';
    return e.code === ErrorCode.BAD_BOX_SIZE ? 'too-small' : 'bad-size';
  }
}

function moofHeaderProblem(p: HeaderProblem): string {
  if (p === 'truncated') return 'too short for a box header';
  if (p === 'too-small') return 'box size smaller than its header: not an ISO BMFF box';
  return 'box size out of range: not an ISO BMFF box';
}

function problem(code: VerifyCodeValue, message: string): FragmentProblem {
  return { code, message };
}
