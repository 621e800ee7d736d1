import { planProtection } from '../plan/protectPresentation.js';
import type { PresentationProtection } from '../plan/protectionSettings.js';
import { encryptedFragment, protectFragment } from '../protect/protectFragment.js';
import { protectInitSegment } from '../protect/protectInitSegment.js';
import type { OriginProtection } from './originProtection.js';

/** The origin's encryption with node's crypto (the node entry and `serve`). */
export function nodeProtection(settings: PresentationProtection): OriginProtection {
  return {
    settings,
    plan: (built) => planProtection(built, settings),
    protectFragment,
    encryptedFragment,
    protectInitSegment: (init, encryption, pssh) => protectInitSegment(init, encryption, [...pssh]),
  };
}
