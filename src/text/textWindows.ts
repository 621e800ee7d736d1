import type { Cue, TextWindow } from './model.js';

/**
 * The cues of each fragment window, clipped to it. A cue spanning a boundary goes into
 * every window it overlaps, cut at the boundary: each fragment then holds exactly what
 * shows during its own time. Players need that: dash.js turns each TTML sample into cues
 * that start where the document's times say and end at the sample's end at the latest,
 * so an unclipped cue repeated in the next fragment would show twice from the boundary
 * on; cut, the two halves follow each other and the text stays on screen unchanged.
 * Windows are half-open `[start, end)`; cues keep their order.
 */
export function textWindows(cues: readonly Cue[], bounds: readonly { start: number; end: number }[]): TextWindow[] {
  const sorted = [...cues].sort((a, b) => a.start - b.start);
  // Cues are sorted by start; the first that can overlap a window is found by binary
  // search on the longest cue, so a long track costs O((cues + windows) log cues).
  const longest = sorted.reduce((m, c) => Math.max(m, c.end - c.start), 0);
  return bounds.map(({ start, end }) => {
    const window: TextWindow = { start, end, cues: [] };
    for (let i = firstStartingAtOrAfter(sorted, start - longest); i < sorted.length && sorted[i]!.start < end; i++) {
      const c = sorted[i]!;
      if (c.end <= start) continue;
      window.cues.push({ ...c, start: Math.max(c.start, start), end: Math.min(c.end, end) });
    }
    return window;
  });
}

function firstStartingAtOrAfter(cues: readonly Cue[], t: number): number {
  let lo = 0;
  let hi = cues.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cues[mid]!.start < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
