import type { CuePlacement } from './model.js';

/** A TTML region's box, in percentages of the video, with its vertical alignment. */
export interface RegionBox {
  x: number;
  y: number;
  w: number;
  h: number;
  displayAlign: 'before' | 'center' | 'after';
}

/**
 * The TTML region that shows a cue where its WebVTT settings put it (W3C WebVTT 7.2
 * "cue box"): `size` is the width, `position` the point `align` anchors (center: the
 * middle, start/left: the left edge, end/right: the right edge), `line` the edge
 * `lineAlign` names. Without line, the region fills the height and aligns its text at
 * the bottom, where players put cues by default. readTtml inverts this exactly.
 */
export function regionBoxOf(p: CuePlacement | undefined): RegionBox {
  const align = p?.align ?? 'center';
  const w = p?.sizePercent ?? 100;
  const position = p?.positionPercent ?? (align === 'center' ? 50 : align === 'start' || align === 'left' ? 0 : 100);
  let x = align === 'center' ? position - w / 2 : align === 'start' || align === 'left' ? position : position - w;
  x = Math.min(Math.max(x, 0), 100 - w);
  const line = p?.linePercent;
  if (line === undefined) return { x, y: 0, w, h: 100, displayAlign: 'after' };
  if (p?.lineAlign === 'end') return { x, y: 0, w, h: line, displayAlign: 'after' };
  if (p?.lineAlign === 'center') {
    const half = Math.min(line, 100 - line);
    return { x, y: line - half, w, h: 2 * half, displayAlign: 'center' };
  }
  return { x, y: line, w, h: 100 - line, displayAlign: 'before' };
}

/** A percentage as TTML and WebVTT write it: at most three decimals, no trailing zeros. */
export function percent(n: number): string {
  return `${Math.round(n * 1000) / 1000}%`;
}
