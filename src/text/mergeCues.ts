import type { Cue } from './model.js';

/**
 * Cues as they were before textWindows cut them at fragment boundaries: a cue that ends
 * exactly where another with the same text, styling and placement starts is joined with
 * it, and a cue repeated whole in two fragments (as Shaka Packager writes them) is kept
 * once. What a player shows does not change; for HLS WebVTT from ISMV text fragments and
 * for comparing tracks.
 */
export function mergeCues(cues: readonly Cue[]): Cue[] {
  const out: Cue[] = [];
  const open = new Map<string, Cue>();
  for (const cue of [...cues].sort((a, b) => a.start - b.start || a.end - b.end)) {
    const key = JSON.stringify([cue.runs, cue.placement ?? null]);
    const prev = open.get(key);
    if (prev !== undefined && cue.start <= prev.end) {
      prev.end = Math.max(prev.end, cue.end);
      continue;
    }
    const copy: Cue = { ...cue };
    open.set(key, copy);
    out.push(copy);
  }
  return out;
}
