import type { SmoothpubWarning } from '../errors.js';
import { nonSyncStartWarnings } from '../fragments/nonSyncStartWarnings.js';
import type { BuiltPresentation } from './buildPresentation.js';

/**
 * Everything worth a warning about a presentation that is still made: what building it
 * found (open GOP tfxd, long fragments) and what its output cannot fix (fragments that
 * start at a non-sync sample and could not be joined). package and publish print these.
 */
export function presentationWarnings(built: Pick<BuiltPresentation, 'levels' | 'warnings'>): SmoothpubWarning[] {
  return [...built.warnings, ...built.levels.flatMap((l) => nonSyncStartWarnings(l.track, { unmergedOnly: true }))];
}
