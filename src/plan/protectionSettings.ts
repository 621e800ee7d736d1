import { formatUuid } from '../protect/keyId.js';
import type { EncryptionScheme, KeyAssignment, KeyTrackType } from '../protect/model.js';
import type { ProtectionSettings, ProtectionSignalling } from '../protect/signalling.js';

/**
 * What a presentation is encrypted with (protectPresentation) and how players are told:
 * the scheme and the signalling options (`signal`, protect/signalling.ts) and the keys.
 * Holds keys: never print, log or serialise it.
 */
export interface PresentationProtection {
  /** The scheme (`signal.scheme`) and what to signal: DRM systems, licence URLs, CPIX data. */
  signal: ProtectionSettings;
  keys: readonly KeyAssignment[];
  /** Also put each track type's `pssh` boxes in its DASH/HLS init segments (`--pssh-in-init`). */
  psshInInit?: boolean;
}

/** A protected presentation: how it was asked for, and the signalling made for its track types. */
export interface AppliedProtection {
  settings: PresentationProtection;
  signalling: ProtectionSignalling;
}

/** What may be shown of a protection: the scheme and each track type's KID (never a key). */
export interface EncryptionSummary {
  scheme: EncryptionScheme;
  /** Track type -> KID as a dashed UUID. */
  kids: Partial<Record<KeyTrackType, string>>;
}

export function encryptionSummary(p: AppliedProtection): EncryptionSummary {
  const kids: EncryptionSummary['kids'] = {};
  for (const [type, track] of Object.entries(p.signalling.format.tracks) as [KeyTrackType, { kid: Uint8Array }][]) kids[type] = formatUuid(track.kid);
  return { scheme: p.settings.signal.scheme, kids };
}
