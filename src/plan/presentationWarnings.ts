import type { SmoothpubWarning } from '../errors.js';
import { nonSyncStartWarnings } from '../fragments/nonSyncStartWarnings.js';
import type { LevelBinding } from './buildPresentation.js';

/** What a presentation's output cannot fix: fragments clients cannot start or switch at. */
export function presentationWarnings(levels: readonly LevelBinding[]): SmoothpubWarning[] {
  return levels.flatMap((l) => nonSyncStartWarnings(l.track, { unmergedOnly: true }));
}
