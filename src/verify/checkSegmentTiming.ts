import type { MoofInfo } from '../fragments/readMoof.js';
import type { FragmentProblem } from './checkFragment.js';
import { VerifyCode } from './problem.js';
import type { HlsTrack } from './session.js';

/**
 * DASH and HLS players place a fragment's samples by its `tfdt` (ISO/IEC 14496-12 8.8.12);
 * Smooth clients by the Manifest, so an ISMV fragment may lack one and still play as Smooth.
 */
export const MISSING_TFDT: FragmentProblem = {
  code: VerifyCode.MISSING_TFDT,
  message: "no 'tfdt' in the moof's traf: DASH and HLS players place samples by it (package or publish with --formats dash or hls to add one)",
};

/**
 * How long a primed first fragment plays into the next one's time: its `tfdt` (unsigned)
 * says 0 while its PIFF `tfxd` keeps the negative start of its samples (AAC priming, as
 * smoothpub writes it for DASH and HLS: the samples as they are). 0 for any other fragment.
 */
export function primingOf(info: Pick<MoofInfo, 'tfdt' | 'tfxd'>): bigint {
  return info.tfdt === 0n && info.tfxd !== undefined && info.tfxd.time < 0n ? -info.tfxd.time : 0n;
}

/** DASH: the `tfdt` is the segment's `$Time$` and its samples last the timeline's `d`, exactly (priming aside). */
export function checkDashTiming(info: MoofInfo, e: { time: bigint; duration: bigint; timescale: number; where: string }, note: string): FragmentProblem[] {
  const problems: FragmentProblem[] = [];
  if (info.tfdt === undefined) problems.push(MISSING_TFDT);
  else if (info.tfdt !== e.time) {
    problems.push({ code: VerifyCode.TIME_MISMATCH, message: `tfdt says ${info.tfdt}, the MPD's SegmentTimeline (${e.where}) says $Time$ ${e.time}: off by ${offBy(info.tfdt - e.time, e.timescale)}` });
  }
  if (info.duration - primingOf(info) !== e.duration) {
    problems.push({ code: VerifyCode.DURATION_MISMATCH, message: `fragment lasts ${info.duration}, the MPD's SegmentTimeline (${e.where}) says d=${e.duration}${note}` });
  }
  return problems;
}

/** `n ticks (s seconds)`: how far a time is off, in both units. */
function offBy(ticks: bigint, timescale: number): string {
  return `${ticks} ticks (${(Number(ticks) / timescale).toFixed(3)} s)`;
}

/** An EXTINF as an exact decimal: units of 10^-18 s, and half its last written digit (its rounding). */
interface Extinf {
  units: bigint;
  halfDigit: bigint;
}

const DIGITS = 18;
const ONE = 10n ** BigInt(DIGITS);

function readExtinf(text: string): Extinf {
  const [whole = '0', fraction = ''] = text.split('.');
  const kept = fraction.slice(0, DIGITS);
  return { units: BigInt(whole) * ONE + BigInt(kept.padEnd(DIGITS, '0') || '0'), halfDigit: 10n ** BigInt(DIGITS - kept.length) / 2n };
}

/** Seconds (in units of 10^-18) to ticks of `timescale`, rounded half up. */
function toTicks(units: bigint, timescale: number): bigint {
  return (units * BigInt(timescale) + ONE / 2n) / ONE;
}

/** At least one tick: rounding to the timescale. */
function toleranceTicks(units: bigint, timescale: number): bigint {
  return (units * BigInt(timescale) + ONE - 1n) / ONE + 1n;
}

/**
 * HLS: a media playlist states no segment's start, only durations, so a segment starts at
 * the first one's start plus the EXTINFs before it: that is where a player looks for it when
 * seeking, and what it shows as the time. Its `tfdt` must say
 * so, within the rounding of the EXTINFs as written, in the init segment's timescale; and
 * its samples must last its EXTINF. The first segment's start is taken as the one most
 * segments agree on (the median), so one misplaced fragment is blamed, not the rest.
 */
export function checkHlsTrack(track: HlsTrack, problem: (index: number, p: FragmentProblem) => void): void {
  const extinfs = track.extinfs.map(readExtinf);
  const before: { units: bigint; tolerance: bigint }[] = [];
  let units = 0n;
  let tolerance = 0n;
  for (const e of extinfs) {
    before.push({ units, tolerance });
    units += e.units;
    tolerance += e.halfDigit;
  }
  const offsets: { index: number; offset: bigint }[] = [];
  track.results.forEach((r, i) => {
    if (r === undefined) return;
    const extinf = extinfs[i]!;
    const said = toTicks(extinf.units, r.timescale);
    const slack = toleranceTicks(extinf.halfDigit, r.timescale);
    if (abs(r.duration - r.priming - said) > slack) {
      problem(i, {
        code: VerifyCode.DURATION_MISMATCH,
        message: `fragment lasts ${r.duration} ticks of its init segment's timescale ${r.timescale} (${(Number(r.duration) / r.timescale).toFixed(6)} s), the playlist's EXTINF says ${track.extinfs[i]} s`,
      });
    }
    if (r.tfdt !== undefined) offsets.push({ index: i, offset: r.tfdt - toTicks(before[i]!.units, r.timescale) });
  });
  if (offsets.length === 0) return;
  const median = [...offsets].sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0))[offsets.length >> 1]!;
  for (const { index, offset } of offsets) {
    const r = track.results[index]!;
    const slack = toleranceTicks(before[index]!.tolerance, r.timescale) + toleranceTicks(before[median.index]!.tolerance, r.timescale);
    if (abs(offset - median.offset) <= slack) continue;
    const expected = median.offset + toTicks(before[index]!.units, r.timescale);
    problem(index, {
      code: VerifyCode.TIME_MISMATCH,
      message: `tfdt says ${r.tfdt}, the playlist puts the segment at ${expected} (the first segment's start plus the ${index} EXTINFs before it, in its init segment's timescale ${r.timescale}): off by ${offBy(r.tfdt! - expected, r.timescale)}`,
    });
  }
}

function abs(n: bigint): bigint {
  return n < 0n ? -n : n;
}
