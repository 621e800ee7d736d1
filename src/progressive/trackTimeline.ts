import type { SampleTable } from '../index/types.js';

/**
 * How a plain MP4 track's edit list maps onto Smooth's timeline, which has no edit
 * lists. With composition offsets (video with B-frames) the shift goes into the
 * offsets (signed, trun version 1): decode times keep starting at 0 and the first
 * presented frame lands at 0, as the source presents it. Without them (audio) the
 * decode times move: AAC priming starts before 0, which the announce rule turns into
 * a first chunk at t=0, as ffmpeg's ISMV does. Leading empty edits delay both.
 */
export interface TrackTimeline {
  /** Added to every decode time. */
  timeShift: number;
  /** Subtracted from every composition offset. */
  offsetShift: number;
}

export function trackTimeline(table: SampleTable): TrackTimeline {
  const withOffsets = table.compositionOffsets !== undefined;
  return { timeShift: table.delay - (withOffsets ? 0 : table.mediaTime), offsetShift: withOffsets ? table.mediaTime : 0 };
}
