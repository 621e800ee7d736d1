import { protectPresentation } from '../plan/protectPresentation.js';
import type { PresentationProtection } from '../plan/protectionSettings.js';
import { encryptPayload } from '../protect/encryptPayload.js';
import { protectInitSegment } from '../protect/protectInitSegment.js';
import type { OriginProtection } from './originProtection.js';

/** The origin's encryption with node's crypto (the node entry and `serve`). */
export function nodeProtection(settings: PresentationProtection): OriginProtection {
  return {
    settings,
    protect: (built, options) => protectPresentation(built, settings, options),
    encryptPayload,
    protectInitSegment: (init, encryption, pssh) => protectInitSegment(init, encryption, [...pssh]),
  };
}
