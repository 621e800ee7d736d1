import type { TrackTimeline } from './trackTimeline.js';

/** A cut of one rendition: its keyframe (sample index) and when every rendition's fragment there starts to decode. */
export interface TimelineAnchor {
  index: number;
  decodeTime: number;
}

/**
 * The timeline of a video rendition whose fragments must start decoding at `anchors`'
 * times, shared with the other renditions (a Manifest has one timeline per stream, and a
 * client switching levels asks for the same time at another bitrate). With open GOPs,
 * or different numbers of B-frames, keyframes presented at the same time decode at
 * different times in each rendition; an anchor's time is the earliest of them. Between
 * two anchors the rendition's decode times are mapped linearly onto the anchors' times,
 * after the last one shifted with it. Presentation times stay the source's, and each
 * anchor being no later than the rendition's own time, no sample decodes later than
 * before: composition offsets only grow, never negative. `base` itself when no anchor moves.
 */
export function alignTimeline(base: TrackTimeline, anchors: TimelineAnchor[]): TrackTimeline {
  const own = anchors.map((a) => base.decodeTime(a.index));
  if (anchors.every((a, k) => a.decodeTime === own[k])) return base;
  const decodeTime = (i: number): number => {
    const t = base.decodeTime(i);
    const k = anchorBefore(anchors, i);
    if (k < 0) return t;
    const a = anchors[k]!;
    const b = anchors[k + 1];
    if (b === undefined) return t + a.decodeTime - own[k]!;
    // Floored, so equal steps never collapse: see canAlign.
    return a.decodeTime + Math.floor(((t - own[k]!) * (b.decodeTime - a.decodeTime)) / (own[k + 1]! - own[k]!));
  };
  return { decodeTime, presentationTime: (i) => base.presentationTime(i), compositionOffset: (i) => base.presentationTime(i) - decodeTime(i) };
}

/**
 * Whether `alignTimeline` keeps decode times strictly increasing from anchor `a` to `b`:
 * the fragment's decode span shrinks by the ratio of the anchors' span to its own, and
 * every sample's duration must stay at least one tick after that.
 */
export function canAlign(base: TrackTimeline, a: TimelineAnchor, b: TimelineAnchor): boolean {
  const span = base.decodeTime(b.index) - base.decodeTime(a.index);
  const target = b.decodeTime - a.decodeTime;
  if (span <= 0 || target <= 0) return false;
  if (target >= span) return true;
  for (let i = a.index; i < b.index; i++) {
    if ((base.decodeTime(i + 1) - base.decodeTime(i)) * target < span) return false;
  }
  return true;
}

/** The last anchor at or before sample `i` (-1 when none). */
function anchorBefore(anchors: TimelineAnchor[], i: number): number {
  let lo = 0;
  let hi = anchors.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (anchors[mid]!.index <= i) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
