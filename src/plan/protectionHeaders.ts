import { ErrorCode, SmoothpubError } from '../errors.js';
import type { TrackIndex } from '../fragments/types.js';
import { SYSTEM_IDS } from '../protect/model.js';
import type { ProtectionHeader } from '../smooth/model.js';
import { encodeBase64 } from '../util/base64.js';

/** Where an already-protected presentation's Smooth protection header may come from, besides its media. */
export interface PassthroughHeaderOptions {
  /** `--protection-header`: used as given, before anything the sources carry. */
  protectionHeaders?: ProtectionHeader[];
  /** The Protection element of the client manifest (`.ismc`) beside the `.ism` input. */
  clientManifestProtection?: ProtectionHeader[];
}

/**
 * The Manifest's `<Protection>` for sources that are already encrypted (passthrough), in
 * this order: `--protection-header`; the `.ismc` IIS kept beside the `.ism`; a PlayReady
 * `pssh` in a source's `moov` (its data is the PlayReady Object a Smooth client wants);
 * PIFF's protection system header `uuid` for PlayReady. Undefined when no track is
 * encrypted. A protected presentation with none of them cannot be played by any Smooth
 * client: a typed error says how to supply one.
 */
export function passthroughProtection(tracks: readonly TrackIndex[], options: PassthroughHeaderOptions = {}): ProtectionHeader[] | undefined {
  const protectedTracks = tracks.filter((t) => t.protection !== undefined);
  if (protectedTracks.length === 0) return undefined;
  // One Manifest header, one MPD scheme: players set up one decryptor for the presentation.
  const other = protectedTracks.find((t) => t.protection!.scheme !== protectedTracks[0]!.protection!.scheme);
  if (other) {
    const first = protectedTracks[0]!;
    throw new SmoothpubError(
      ErrorCode.UNSUPPORTED_INPUT,
      `the sources mix encryption schemes: ${first.file} track ${first.trackId} is ${first.protection!.scheme}, ${other.file} track ${other.trackId} ${other.protection!.scheme}; a presentation is played with one scheme (publish each as its own presentation)`,
      { file: other.file, trackId: other.trackId },
    );
  }
  if (options.protectionHeaders !== undefined && options.protectionHeaders.length > 0) return options.protectionHeaders;
  if (options.clientManifestProtection !== undefined && options.clientManifestProtection.length > 0) return options.clientManifestProtection;
  for (const box of ['pssh', 'piff'] as const) {
    for (const t of protectedTracks) {
      const found = t.protection!.systems.find((s) => s.box === box && s.systemId === SYSTEM_IDS.playReady);
      if (found) return [{ systemId: SYSTEM_IDS.playReady, data: encodeBase64(found.data) }];
    }
  }
  const t = protectedTracks[0]!;
  const others = t.protection!.systems.map((s) => s.systemId);
  throw new SmoothpubError(
    ErrorCode.NO_PROTECTION_HEADER,
    `track ${t.trackId} is encrypted (${t.protection!.scheme}, KID ${t.protection!.kid}) but no PlayReady protection header was found for the Smooth Manifest: no .ismc beside the .ism with a <Protection> element, no PlayReady 'pssh' and no PIFF protection header 'uuid' in the 'moov'${others.length > 0 ? ` (systems found: ${others.join(', ')})` : ''}. Supply one: --protection-header ${SYSTEM_IDS.playReady}:<base64 PlayReady Object> (or :@<file>)`,
    { file: t.file, trackId: t.trackId },
  );
}
