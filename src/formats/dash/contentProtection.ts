import { formatUuid } from '../../protect/keyId.js';
import { SYSTEM_IDS, type EncryptionScheme } from '../../protect/model.js';
import type { TrackProtection } from '../../protect/signalling.js';
import { encodeBase64 } from '../../util/base64.js';

/** The Common Encryption descriptor (ISO/IEC 23001-7 11.2) every protected AdaptationSet carries first. */
export const MP4_PROTECTION_SCHEME = 'urn:mpeg:dash:mp4protection:2011';

/** Namespaces of the protection elements, declared on the MPD. */
export const PROTECTION_NAMESPACES = {
  'xmlns:cenc': 'urn:mpeg:cenc:2013',
  'xmlns:mspr': 'urn:microsoft:playready',
  'xmlns:dashif': 'https://dashif.org/CPS',
} as const;

/** The DRM-specific descriptors: scheme `urn:uuid:<system ID>`, and what each system's clients look for in `value`. */
const SYSTEM_VALUES: Record<string, string | undefined> = {
  [SYSTEM_IDS.playReady]: 'MSPR 2.0', // Microsoft's DASH Content Protection using PlayReady, 2.1
  [SYSTEM_IDS.widevine]: 'Widevine',
  [SYSTEM_IDS.clearKey]: 'ClearKey1.0', // DASH-IF IOP, Clear Key
};

const A = '@_';

/**
 * The ContentProtection elements of an AdaptationSet: `mp4protection` with the scheme
 * and `cenc:default_KID`, then one per DRM system with its `cenc:pssh` (and PlayReady's
 * `mspr:pro`). The W3C Common PSSH is signalled under the Clear Key system ID, where
 * dash.js looks for Clear Key and its `dashif:laurl`.
 */
export function contentProtectionElements(scheme: EncryptionScheme, track: TrackProtection): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [{ [`${A}schemeIdUri`]: MP4_PROTECTION_SCHEME, [`${A}value`]: scheme, [`${A}cenc:default_KID`]: formatUuid(track.kid) }];
  for (const system of track.systems) {
    if (system.pssh === undefined && system.pro === undefined) continue; // FairPlay: HLS only
    const systemId = system.systemId === SYSTEM_IDS.common ? SYSTEM_IDS.clearKey : system.systemId;
    const node: Record<string, unknown> = { [`${A}schemeIdUri`]: `urn:uuid:${systemId}` };
    const value = SYSTEM_VALUES[systemId];
    if (value !== undefined) node[`${A}value`] = value;
    if (system.name === 'clearKey' && system.laUrl !== undefined) node['dashif:laurl'] = system.laUrl;
    if (system.pssh !== undefined) node['cenc:pssh'] = encodeBase64(system.pssh);
    if (system.pro !== undefined) node['mspr:pro'] = encodeBase64(system.pro);
    out.push(node);
  }
  return out;
}
