import type { EncryptionScheme, KeyAssignment } from '../protect/model.js';
import type { ProtectionHeader } from '../smooth/model.js';

/**
 * What a presentation is encrypted with (protectPresentation) and how players are told:
 * the DRM signalling made from the keys. Holds keys: never print, log or serialise it.
 */
export interface ProtectionSettings {
  scheme: EncryptionScheme;
  keys: readonly KeyAssignment[];
  /** The Smooth Manifest's `<Protection>` headers (PlayReady). */
  smoothHeaders?: ProtectionHeader[];
  /** `pssh` boxes each init segment carries (absent or empty: none). */
  pssh?: Uint8Array[];
}
