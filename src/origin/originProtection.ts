import type { BuiltPresentation } from '../plan/buildPresentation.js';
import type { PresentationProtection } from '../plan/protectionSettings.js';
import type { ProtectedFragment, TrackEncryption } from '../protect/model.js';
import type { FragmentWhere, ProtectOptions } from '../protect/protectFragment.js';

/**
 * Encryption as the origin applies it (serve --key): the settings and the functions that
 * do the work, handed in by the node entry (nodeProtection.ts) because they use node's
 * crypto, which the origin's own path (an edge worker's too) never imports.
 */
export interface OriginProtection {
  settings: PresentationProtection;
  /** planProtection: each level's TrackEncryption and the signalling, nothing read. */
  plan(built: BuiltPresentation): BuiltPresentation;
  /** protectFragment: one fragment's protected head and how to encrypt its payload (with `options`, its head alone: serve's protected sizes). */
  protectFragment(body: Uint8Array, encryption: TrackEncryption, fragmentIndex: number, where: FragmentWhere, options?: ProtectOptions): ProtectedFragment;
  /** encryptedFragment: the whole protected fragment, the body left as it is. */
  encryptedFragment(body: Uint8Array, encryption: TrackEncryption, fragmentIndex: number, where: FragmentWhere): Uint8Array;
  /** protectInitSegment. */
  protectInitSegment(init: Uint8Array, encryption: TrackEncryption, pssh: readonly Uint8Array[]): Uint8Array;
}
