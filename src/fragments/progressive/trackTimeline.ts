import type { SampleTable } from '../types.js';
import { toPresentationTicks } from '../../smooth/timeScale.js';

/**
 * Where a plain MP4 track's samples sit on Smooth's timeline, which has no edit lists
 * and, for GStreamer's qtdemux and Silverlight-era clients, no negative composition
 * offsets (qtdemux shifts a fragment's negative `trun` v1 offsets up, presenting B-frame
 * video its reorder delay late). Every sample is presented when the source presents it
 * (edit list applied), with unsigned offsets: B-frame video's decode times are taken
 * back by the reorder delay, and those that would then decode before the first frame is
 * presented (the first few in decode order) decode between that time and the next
 * sample's instead, with shorter durations; the last sample lasts that much longer, so
 * the track's length is the source's. Frames, their order and their presentation times
 * are the source's, all tracks delayed by one presentation delay (see presentationLead).
 */
export interface TrackTimeline {
  /** Decode time of sample `i` in presentation ticks (10 MHz); `i = count` is the track's end. */
  decodeTime(i: number): number;
  /** Presentation time of sample `i`, presentation ticks: never before its decode time. */
  presentationTime(i: number): number;
  /** Presentation minus decode time of sample `i`, presentation ticks: never negative (`trun` version 0). */
  compositionOffset(i: number): number;
}

/**
 * How long before 0 this track would start, in the track timescale: AAC priming (the edit
 * list's media_time, 1024 samples), or leading frames the edit list hides. Smooth cannot
 * skip them, nor start a fragment before 0 (a first fragment announced at 0 but timed
 * before it overlaps the next one), so the whole presentation is delayed by the largest
 * lead of its tracks, and every track keeps the source's sync.
 */
export function presentationLead(table: SampleTable): number {
  if (table.count === 0) return 0;
  const cto = table.compositionOffsets;
  if (cto === undefined) return Math.max(0, table.mediaTime - table.delay - table.times[0]!);
  return Math.max(0, -firstPresentation(table, cto));
}

/**
 * The timeline of a track in a presentation delayed by `delay` presentation ticks (the
 * largest presentationLead of its tracks, converted), in presentation ticks. Every time is
 * the track's own (in its timescale, edit list applied) converted on its own
 * (toPresentationTicks: within 50 ns, no error carried from one sample to the next);
 * durations and offsets are differences of converted times, so offsets stay unsigned.
 */
export function trackTimeline(table: SampleTable, timescale: number, delay: number): TrackTimeline {
  const { times, count, compositionOffsets: cto } = table;
  const convert = toPresentationTicks(timescale);
  // Presentation time of sample i is times[i] + cto[i] + shift: the source's (edit list applied).
  const shift = table.delay - table.mediaTime;
  const at = (ticks: number): number => delay + convert(ticks);
  if (cto === undefined || count === 0) {
    const decodeTime = (i: number): number => at(times[i]! + shift);
    return { decodeTime, presentationTime: decodeTime, compositionOffset: () => 0 };
  }
  let minOffset = Infinity;
  for (let i = 0; i < count; i++) minOffset = Math.min(minOffset, cto[i]!);
  const presented = (i: number): number => times[i]! + cto[i]! + shift;
  // With every offset >= 0, sample i decodes at times[i] + minOffset + shift: B-frame video's
  // first samples would decode before its first frame is presented, at `first`.
  const unclamped = (i: number): number => times[i]! + minOffset + shift;
  let first = Infinity;
  for (let i = 0; i < count; i++) first = Math.min(first, presented(i));
  const end = unclamped(count) + first - unclamped(0);
  // Those (the head) decode instead between `first` and the next sample's decode time, evenly,
  // so decode times still increase (ffmpeg refuses equal ones) and none is presented before it decodes.
  let k = 0;
  while (k < count && unclamped(k) <= first) k++;
  const next = k < count ? unclamped(k) : end;
  const head = new Float64Array(k);
  let latest = Infinity;
  for (let i = k - 1; i >= 0; i--) {
    latest = Math.min(latest, presented(i));
    head[i] = Math.min(first + Math.floor((i * (next - first)) / k), latest);
  }
  const decodeTicks = (i: number): number => (i < k ? head[i]! : i === count ? end : unclamped(i));
  const decodeTime = (i: number): number => at(decodeTicks(i));
  const presentationTime = (i: number): number => at(presented(i));
  return { decodeTime, presentationTime, compositionOffset: (i) => presentationTime(i) - decodeTime(i) };
}

/**
 * The presentation's delay in presentation ticks: the largest lead (presentationLead) of
 * its tracks, each converted and rounded as any time is, so no track starts before 0.
 */
export function presentationDelay(tracks: readonly { samples: SampleTable; timescale: number }[]): number {
  let delay = 0;
  for (const t of tracks) delay = Math.max(delay, toPresentationTicks(t.timescale)(presentationLead(t.samples)));
  return delay;
}

/** Presentation time of the first presented sample (the source's, edit list applied). */
function firstPresentation(table: SampleTable, cto: Int32Array): number {
  let first = Infinity;
  for (let i = 0; i < table.count; i++) first = Math.min(first, table.times[i]! + cto[i]!);
  return table.count === 0 ? 0 : first - table.mediaTime + table.delay;
}
