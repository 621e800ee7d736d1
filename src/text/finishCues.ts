import { ErrorCode, SmoothpubError } from '../errors.js';
import type { Cue } from './model.js';

/**
 * The repairs every reader makes, documented in docs/architecture.md ("Text tracks"):
 * a cue that ends before it starts is an error naming its line; a cue of no duration
 * (end = start) or no text is dropped, as no player would show it; cues out of order
 * are sorted by start time (stably); overlapping cues are kept, because WebVTT and TTML
 * both show several cues at once (two speakers) and nothing says which one is wrong.
 */
export function finishCues(cues: (Cue & { line?: number })[], file: string): Cue[] {
  const out: Cue[] = [];
  for (const c of cues) {
    const { line, ...cue } = c;
    if (cue.end < cue.start) {
      throw new SmoothpubError(
        ErrorCode.TEXT_BAD_TIMESTAMP,
        `cue ends (${cue.end} ms) before it starts (${cue.start} ms); fix the end time`,
        line === undefined ? { file } : { file, line },
      );
    }
    if (cue.end === cue.start || cue.runs.length === 0) continue;
    out.push(cue);
  }
  return out.sort((a, b) => a.start - b.start);
}
