import type { FormatProtection, TrackProtection } from '../../protect/signalling.js';
import type { StreamType } from '../../smooth/model.js';
import { formatAttributeList, quotedString } from './attributeList.js';

/**
 * The key tags of protected playlists (RFC 8216bis 4.4.4.4 EXT-X-KEY, 4.4.6.5
 * EXT-X-SESSION-KEY): METHOD SAMPLE-AES for cbcs and SAMPLE-AES-CTR for cenc, one tag per
 * DRM system, told apart by KEYFORMAT (FairPlay `com.apple.streamingkeydelivery` with its
 * `skd://` URI, PlayReady `com.microsoft.playready` with the PlayReady Object in a data
 * URI, Widevine `urn:uuid:edef8ba9-...` with its pssh box in a data URI). Systems HLS
 * clients do not take (Clear Key) have none. Lines a CPIX document gives are used as given.
 */
export function keyTags(track: TrackProtection | undefined, tag: 'EXT-X-KEY' | 'EXT-X-SESSION-KEY'): string[] {
  if (track === undefined) return [];
  const out: string[] = [];
  for (const system of track.systems) {
    const given = tag === 'EXT-X-KEY' ? system.hlsLines?.media : system.hlsLines?.master;
    if (given !== undefined) {
      out.push(...given.split(/\r?\n/).filter((l) => l.trim() !== ''));
      continue;
    }
    const k = system.hlsKey;
    if (k === undefined) continue;
    out.push(
      `#${tag}:` +
        formatAttributeList([
          ['METHOD', k.method],
          ['URI', quotedString(k.uri)],
          ['KEYID', k.keyId],
          ['KEYFORMAT', quotedString(k.keyFormat)],
          ['KEYFORMATVERSIONS', quotedString(k.keyFormatVersions)],
        ]),
    );
  }
  return out;
}

/** The EXT-X-SESSION-KEY tags of a multivariant playlist: each distinct key tag of the protected stream types once. */
export function sessionKeyTags(protection: FormatProtection | undefined, types: readonly StreamType[]): string[] {
  if (protection === undefined) return [];
  const lines = types.flatMap((type) => (type === 'text' ? [] : keyTags(protection.tracks[type], 'EXT-X-SESSION-KEY')));
  return [...new Set(lines)];
}
