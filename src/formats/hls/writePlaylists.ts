import type { FormatPresentation } from '../model.js';

/** Placeholder until the HLS writer lands. */
export function writeHls(p: FormatPresentation): { master: string; media: { key: string; text: string }[] } {
  throw new Error(`HLS writer not yet merged (${p.levels.length} levels)`);
}
