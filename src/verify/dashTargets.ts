import { isSmoothpubError } from '../errors.js';
import { readMpd, type Mpd, type MpdPeriod, type MpdRepresentation } from '../formats/dash/readMpd.js';
import { VerifyCode } from './problem.js';
import type { VerifySession } from './session.js';

/** An MPD's text read against its URL, or undefined after reporting why it cannot be verified. */
export function readDashDocument(text: string, url: string, problem: (message: string) => void): Mpd | undefined {
  let mpd: Mpd;
  try {
    mpd = readMpd(text, { baseUrl: url });
  } catch (e) {
    if (!isSmoothpubError(e)) throw e;
    return void problem(e.message);
  }
  if (mpd.type === 'dynamic') return void problem('dynamic (live) MPDs are not supported: their segments come and go');
  return mpd;
}

/**
 * Names every init segment and segment of every Representation to the session, with the
 * timeline's `$Time$` and `d` for each segment and the SegmentTemplate's timescale for each
 * init segment; reports timelines with gaps, overlaps or an early end on the MPD.
 */
export function addDashTargets(session: VerifySession, mpd: Mpd, url: string, docOrder: number): void {
  for (const period of mpd.periods) {
    for (const set of period.adaptationSets) {
      for (const rep of set.representations) {
        const where = `Representation '${rep.id}'`;
        const kind = set.contentType;
        const init =
          rep.initUrl === undefined
            ? void session.problem(docOrder, url, VerifyCode.INIT_SEGMENT, `${where} names no init segment (SegmentTemplate@initialization): players cannot decode its segments`, ['dash'])
            : session.addInit(rep.initUrl, { format: 'dash', where, timescale: rep.timescale, ...(kind !== undefined && { kind }) });
        checkTimeline(rep, period, (message) => session.problem(docOrder, url, VerifyCode.TIMELINE, `${where}: ${message}`, ['dash']));
        for (const s of rep.segments) {
          session.addFragment(s.url, { format: 'dash', time: s.time, duration: s.duration, timescale: rep.timescale, init, video: kind === 'video', where });
        }
      }
    }
  }
}

/**
 * Each segment must start where the one before it ends (a gap is a missing segment to a
 * player, which stalls there), and the last must end with the Period, give or take half a
 * segment (tracks differ in length by less than a fragment).
 */
function checkTimeline(rep: MpdRepresentation, period: MpdPeriod, problem: (message: string) => void): void {
  const { segments, timescale } = rep;
  const seconds = (ticks: bigint): string => `${(Number(ticks) / timescale).toFixed(3)} s`;
  let longest = 0n;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s.duration > longest) longest = s.duration;
    const next = segments[i + 1];
    if (next === undefined) continue;
    const end = s.time + s.duration;
    if (next.time > end) {
      problem(`the SegmentTimeline has a gap of ${next.time - end} ticks (${seconds(next.time - end)}) between the segment ending at ${end} and the one starting at ${next.time}: a missing segment, where players stall`);
    } else if (next.time < end) {
      problem(`the SegmentTimeline's segment starting at ${next.time} overlaps the one before it, which ends at ${end} (by ${end - next.time} ticks)`);
    }
  }
  const last = segments.at(-1);
  if (last === undefined || period.duration === undefined) return;
  const ends = Number(last.time + last.duration - rep.presentationTimeOffset) / timescale;
  const shortBy = period.duration - ends;
  if (shortBy > Number(longest) / timescale / 2) {
    problem(`the SegmentTimeline ends at ${ends.toFixed(3)} s, ${shortBy.toFixed(3)} s before its Period (${period.duration.toFixed(3)} s long) does: segments missing at the end?`);
  }
}
