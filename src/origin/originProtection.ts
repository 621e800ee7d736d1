import type { BuiltPresentation } from '../plan/buildPresentation.js';
import type { ProtectOptions } from '../plan/protectPresentation.js';
import type { PresentationProtection } from '../plan/protectionSettings.js';
import type { PayloadEncryption, TrackEncryption } from '../protect/model.js';

/**
 * Encryption as the origin applies it (serve --key): the settings and the functions that
 * do the work, handed in by the node entry (nodeProtection.ts) because they use node's
 * crypto, which the origin's own path (an edge worker's too) never imports.
 */
export interface OriginProtection {
  settings: PresentationProtection;
  /** protectPresentation over a prepared presentation. */
  protect(built: BuiltPresentation, options: ProtectOptions): Promise<BuiltPresentation>;
  /** encryptPayload: a protected fragment's payload encrypted in place. */
  encryptPayload(payload: Uint8Array, encryption: PayloadEncryption): void;
  /** protectInitSegment. */
  protectInitSegment(init: Uint8Array, encryption: TrackEncryption, pssh: readonly Uint8Array[]): Uint8Array;
}
