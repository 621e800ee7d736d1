import type { SampleTable } from '../index/types.js';

/**
 * How a plain MP4 track's edit list maps onto Smooth's timeline, which has no edit lists
 * and, for GStreamer's demuxers and Silverlight-era clients, no signed composition
 * offsets (qtdemux never presents a frame before its decode time). So composition offsets
 * stay unsigned (`trun` version 0) and B-frame video is presented its reorder delay after
 * its first decode time; every other track of the presentation is delayed by the same
 * amount, so audio and video keep the source's sync in every player. AAC priming still
 * starts before the delayed audio; leading empty edits delay a track further.
 */
export interface TrackTimeline {
  /** Added to every decode time. */
  timeShift: number;
  /** Subtracted from every composition offset (0, or the most negative offset of a `ctts` v1). */
  offsetShift: number;
}

/** How much later than the source this track's first frame is presented with unsigned offsets (track timescale). */
export function reorderDelay(table: SampleTable): number {
  return table.compositionOffsets === undefined ? 0 : table.mediaTime - offsetShiftOf(table);
}

/** The timeline of a track in a presentation delayed by `delaySeconds` (the largest reorderDelay of its video). */
export function trackTimeline(table: SampleTable, timescale: number, delaySeconds: number): TrackTimeline {
  const delay = Math.round(delaySeconds * timescale);
  if (table.compositionOffsets === undefined) return { timeShift: table.delay - table.mediaTime + delay, offsetShift: 0 };
  return { timeShift: table.delay + delay - reorderDelay(table), offsetShift: offsetShiftOf(table) };
}

function offsetShiftOf(table: SampleTable): number {
  let min = 0;
  for (const o of table.compositionOffsets ?? []) if (o < min) min = o;
  return min;
}
