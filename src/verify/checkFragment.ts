import { readBoxHeader, type BoxHeader } from '../bmff/box.js';
import { Cursor } from '../bmff/cursor.js';
import { ErrorCode, isSmoothpubError } from '../errors.js';
import { readMoof, type MoofInfo } from '../fragments/readMoof.js';
import { VerifyCode, type VerifyCodeValue } from './problem.js';

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
 * How many leading bytes of a body `checkFragment` needs, given those kept so far:
 * the moof and the mdat header. The mdat payload is only counted, never kept.
 */
export function fragmentPrefixWanted(kept: Uint8Array): number {
  if (kept.length < 16) return 16;
  const view = new DataView(kept.buffer, kept.byteOffset, kept.byteLength);
  const size32 = view.getUint32(0);
  const size = size32 === 1 ? view.getBigUint64(8) : BigInt(size32);
  return Number(size > BigInt(MAX_MOOF_BYTES) ? BigInt(MAX_MOOF_BYTES) : size) + MDAT_HEADER_ROOM;
}

/**
 * Checks a fragment body, given its first bytes (`prefix`, at least what
 * `fragmentPrefixWanted` asked for) and its full length: exactly one `moof` with one
 * `traf`, then one `mdat` ending at the body's end; time and duration as the Manifest says.
 */
export function checkFragment(prefix: Uint8Array, length: number, expected: ExpectedFragment): FragmentCheck {
  const moofHeader = readTopBox(prefix, 0, length);
  if (typeof moofHeader === 'string') return fail(moofHeader === 'truncated' ? VerifyCode.TRUNCATED : VerifyCode.NOT_FRAGMENT, `body of ${length} bytes: ${moofHeaderProblem(moofHeader)}`);
  if (moofHeader.type !== 'moof') return fail(VerifyCode.NOT_FRAGMENT, `expected a 'moof' box first, found '${moofHeader.type}' (${length} bytes)`);
  const moofEnd = moofHeader.offset + moofHeader.size;
  if (moofEnd > length) return fail(VerifyCode.TRUNCATED, `body ends at byte ${length}, inside the ${moofHeader.size}-byte moof`);
  if (moofEnd > prefix.length) return fail(VerifyCode.NOT_FRAGMENT, `moof of ${moofHeader.size} bytes is larger than the ${MAX_MOOF_BYTES} accepted`);

  let info: MoofInfo;
  let usedTrexDefault = false;
  try {
    const payload = new Cursor(prefix, 0, 'moof', moofHeader.offset + moofHeader.headerSize, moofEnd);
    // Smooth clients never see the moov, so a trex default cannot be relied on: count it as 0.
    info = readMoof(payload, () => {
      usedTrexDefault = true;
      return 0;
    });
  } catch (e) {
    if (!isSmoothpubError(e)) throw e;
    return fail(VerifyCode.NOT_FRAGMENT, `bad moof: ${e.message}`);
  }

  const problems: FragmentCheck['problems'] = [];
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
  problems.push(...checkTiming(info, expected, usedTrexDefault));
  // Clients start and switch quality levels at any chunk, decoding it with no picture
  // before it. Audio is not checked: every AAC frame decodes alone, whatever its flags say.
  if (expected.streamType === 'video' && info.firstSampleSync === false) {
    problems.push({
      code: VerifyCode.NON_SYNC_START,
      message: 'fragment starts at a non-sync sample (its first sample\'s flags set sample_is_non_sync_sample): a client starting or switching quality levels here shows damaged pictures until the next keyframe',
    });
  }
  return { trackId: info.trackId, problems };
}

function checkTiming(info: MoofInfo, expected: ExpectedFragment, usedTrexDefault: boolean): FragmentCheck['problems'] {
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

function fail(code: VerifyCodeValue, message: string): FragmentCheck {
  return { problems: [{ code, message }] };
}
