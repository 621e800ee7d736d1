import type { FormatPresentation } from '../model.js';

/** Placeholder until the DASH writer lands. */
export function writeMpd(p: FormatPresentation): string {
  throw new Error(`DASH writer not yet merged (${p.levels.length} levels)`);
}
