import type { TrackIndex } from '../fragments/types.js';
import { SYSTEM_IDS } from '../protect/model.js';
import { writeSystemPssh } from '../protect/sourceProtection.js';
import { encodeBase64 } from '../util/base64.js';

/**
 * The DASH/HLS signalling of already-protected sources, in the shape of
 * `FormatProtection` (src/protect/signalling.ts), which writeMpd and writePlaylists read.
 * Built from what the sources carry, never from a key: per track type its KID and, for
 * each DRM header of its source, the system's `pssh`, PlayReady's Object and the HLS key
 * tag (as signallingFor writes them). Undefined when no track is encrypted.
 */
export interface PassthroughSignal {
  name: 'playReady' | 'widevine' | 'fairPlay' | 'clearKey';
  systemId: string;
  pssh?: Uint8Array;
  pro?: Uint8Array;
  hlsKey?: { method: 'SAMPLE-AES' | 'SAMPLE-AES-CTR'; uri: string; keyFormat: string; keyFormatVersions: string; keyId?: string };
}

export interface PassthroughFormatProtection {
  scheme: 'cenc' | 'cbcs';
  tracks: Partial<Record<'video' | 'audio' | 'text', { kid: Uint8Array; systems: PassthroughSignal[] }>>;
}

const NAMES = new Map<string, PassthroughSignal['name']>([
  [SYSTEM_IDS.playReady, 'playReady'],
  [SYSTEM_IDS.widevine, 'widevine'],
  [SYSTEM_IDS.fairPlay, 'fairPlay'],
  [SYSTEM_IDS.common, 'clearKey'],
]);

export function passthroughSignalling(tracks: readonly Pick<TrackIndex, 'kind' | 'protection'>[]): PassthroughFormatProtection | undefined {
  const encrypted = tracks.filter((t) => t.protection !== undefined);
  const first = encrypted[0]?.protection;
  // cenc and cbcs only: the schemes DASH and HLS players (and smoothpub's writers) know.
  if (first === undefined || (first.scheme !== 'cenc' && first.scheme !== 'cbcs')) return undefined;
  const scheme = first.scheme;
  const method = scheme === 'cbcs' ? 'SAMPLE-AES' : 'SAMPLE-AES-CTR';
  const out: PassthroughFormatProtection = { scheme, tracks: {} };
  for (const t of encrypted) {
    if (out.tracks[t.kind] !== undefined) continue;
    const p = t.protection!;
    const keyId = `0x${p.kid.toUpperCase()}`;
    const systems: PassthroughSignal[] = [];
    for (const s of p.systems) {
      const name = NAMES.get(s.systemId);
      if (name === undefined || systems.some((x) => x.name === name)) continue;
      const pssh = writeSystemPssh(s);
      const signal: PassthroughSignal = { name, systemId: s.systemId, pssh };
      if (name === 'playReady') {
        signal.pro = s.data;
        signal.hlsKey = { method, uri: `data:text/plain;charset=UTF-16;base64,${encodeBase64(s.data)}`, keyFormat: 'com.microsoft.playready', keyFormatVersions: '1' };
      } else if (name === 'widevine') {
        signal.hlsKey = { method, uri: `data:text/plain;base64,${encodeBase64(pssh)}`, keyFormat: `urn:uuid:${SYSTEM_IDS.widevine}`, keyFormatVersions: '1', keyId };
      }
      systems.push(signal);
    }
    out.tracks[t.kind] = { kid: Uint8Array.from(p.kid.match(/../g)!, (h) => parseInt(h, 16)), systems };
  }
  return out;
}
