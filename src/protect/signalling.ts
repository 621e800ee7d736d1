import { ErrorCode, SmoothpubError } from '../errors.js';
import { readBoxHeader } from '../bmff/box.js';
import { Cursor } from '../bmff/cursor.js';
import { readPssh, writePssh } from '../bmff/pssh.js';
import { decodeBase64, encodeBase64 } from '../util/base64.js';
import type { CpixDocument } from './cpix.js';
import { equalBytes, formatUuid } from './keyId.js';
import { SYSTEM_IDS, type EncryptionScheme, type KeyTrackType } from './model.js';
import { writePlayReadyObject, type PlayReadyHeaderVersion } from './playReady.js';
import { writeWidevinePsshData } from './widevine.js';

/** The DRM systems smoothpub can signal, by name. `clearKey` is the W3C Common PSSH (and the dash.js Clear Key entry). */
export type DrmSystemName = 'playReady' | 'widevine' | 'fairPlay' | 'clearKey';

/** How to protect and signal, beyond the keys: what the CLI options (or a CPIX document) say. */
export interface ProtectionSettings {
  scheme: EncryptionScheme;
  /** The systems to signal; default: PlayReady, Widevine and Clear Key, plus FairPlay when `fairPlayUri` is given. */
  systems?: DrmSystemName[];
  playReadyLaUrl?: string;
  playReadyVersion?: PlayReadyHeaderVersion;
  /** `--widevine-pssh`: a whole Widevine `pssh` box, used as given (every track). */
  widevinePssh?: Uint8Array;
  widevineContentId?: Uint8Array;
  widevineProvider?: string;
  /** FairPlay's key URI (`skd://...`); FairPlay needs cbcs. */
  fairPlayUri?: string;
  /** The Clear Key license server (`dashif:laurl`). */
  clearKeyLaUrl?: string;
  /** A CPIX document: its DRMSystem data replaces what smoothpub would build for that system and KID. */
  cpix?: CpixDocument;
}

/** One DRM system's signalling for one key. */
export interface DrmSignal {
  name: DrmSystemName;
  /** Lowercase dashed UUID (SYSTEM_IDS). */
  systemId: string;
  /** The whole `pssh` box, for DASH `cenc:pssh` and the init segments; absent for FairPlay. */
  pssh?: Uint8Array;
  /** PlayReady: the PlayReady Object (DASH `mspr:pro`, HLS data URI). */
  pro?: Uint8Array;
  /** PlayReady or Clear Key license URL. */
  laUrl?: string;
  /** HLS: the EXT-X-KEY of this system (METHOD to KEYFORMATVERSIONS, as attribute pairs); absent: not signalled in HLS. */
  hlsKey?: HlsKeySignal;
  /** CPIX HLSSignalingData, used as given instead of `hlsKey` (lines for the media and master playlists). */
  hlsLines?: { media?: string; master?: string };
}

export interface HlsKeySignal {
  method: 'SAMPLE-AES' | 'SAMPLE-AES-CTR';
  uri: string;
  keyFormat: string;
  keyFormatVersions: string;
  /** `0x` and 32 hex digits: the KID (FairPlay leaves it out). */
  keyId?: string;
}

/** The protection of one track type: its KID and every system's signalling. */
export interface TrackProtection {
  kid: Uint8Array;
  systems: DrmSignal[];
}

/** What the Manifest, MPD and playlist writers take (FormatPresentation.protection). */
export interface FormatProtection {
  scheme: EncryptionScheme;
  tracks: Partial<Record<KeyTrackType, TrackProtection>>;
}

/** A Smooth ProtectionHeader, shaped as smooth/model.ts's. */
export interface SmoothProtectionHeader {
  systemId: string;
  data: string;
}

export interface ProtectionSignalling {
  format: FormatProtection;
  /** The `pssh` boxes each track type's init segments carry in `moov`, in order. */
  initPssh: Partial<Record<KeyTrackType, Uint8Array[]>>;
  /** Presentation.protection of the Smooth Manifest. */
  smooth: SmoothProtectionHeader[];
}

export const HLS_KEYFORMATS = {
  fairPlay: 'com.apple.streamingkeydelivery',
  playReady: 'com.microsoft.playready',
  widevine: `urn:uuid:${SYSTEM_IDS.widevine}`,
} as const;

/**
 * The signalling of a protected presentation: per track type, each system's `pssh`,
 * PlayReady Object and HLS key; the `pssh` boxes for the init segments; and the Smooth
 * ProtectionHeader (one PlayReady Object naming every KID: 4.0 for one cenc key, 4.2
 * for several, 4.3 for cbcs). `keys` are the keys of the track types to protect (the key
 * itself only gives the PlayReady CHECKSUM and is never written).
 */
export function signallingFor(settings: ProtectionSettings, keys: Partial<Record<KeyTrackType, { kid: Uint8Array; key?: Uint8Array }>>): ProtectionSignalling {
  const systems = settings.systems ?? defaultSystems(settings);
  if (systems.includes('fairPlay') && settings.scheme !== 'cbcs') {
    throw new SmoothpubError(ErrorCode.BAD_PROTECTION, 'FairPlay decrypts cbcs only: encrypt with --encryption-scheme cbcs, or leave FairPlay out');
  }
  if (systems.includes('fairPlay') && settings.fairPlayUri === undefined && !hasCpixSystem(settings.cpix, SYSTEM_IDS.fairPlay)) {
    throw new SmoothpubError(ErrorCode.BAD_PROTECTION, 'FairPlay needs the key URI its players ask the key server with (skd://...): give it, or a CPIX document with FairPlay data');
  }
  for (const k of settings.cpix?.contentKeys ?? []) {
    if (k.commonEncryptionScheme !== undefined && k.commonEncryptionScheme !== settings.scheme && Object.values(keys).some((g) => g !== undefined && equalBytes(g.kid, k.kid))) {
      throw new SmoothpubError(ErrorCode.BAD_PROTECTION, `the CPIX document gives KID ${formatUuid(k.kid)} for ${k.commonEncryptionScheme}, but ${settings.scheme} was asked: encrypt with --encryption-scheme ${k.commonEncryptionScheme}, or ask the key server for ${settings.scheme} keys`);
    }
  }
  const format: FormatProtection = { scheme: settings.scheme, tracks: {} };
  const initPssh: ProtectionSignalling['initPssh'] = {};
  for (const [type, key] of Object.entries(keys) as [KeyTrackType, { kid: Uint8Array; key?: Uint8Array }][]) {
    const signals = systems.map((name) => signalFor(name, settings, key));
    format.tracks[type] = { kid: key.kid, systems: signals };
    initPssh[type] = signals.flatMap((s) => (s.pssh === undefined ? [] : [s.pssh]));
  }
  return { format, initPssh, smooth: systems.includes('playReady') ? smoothHeader(settings, Object.values(keys)) : [] };
}

function defaultSystems(settings: ProtectionSettings): DrmSystemName[] {
  const out: DrmSystemName[] = ['playReady', 'widevine', 'clearKey'];
  if (settings.fairPlayUri !== undefined || hasCpixSystem(settings.cpix, SYSTEM_IDS.fairPlay)) out.push('fairPlay');
  return out;
}

function hasCpixSystem(cpix: CpixDocument | undefined, systemId: string): boolean {
  return cpix?.drmSystems.some((s) => s.systemId === systemId) ?? false;
}

function signalFor(name: DrmSystemName, settings: ProtectionSettings, key: { kid: Uint8Array; key?: Uint8Array }): DrmSignal {
  const systemId = name === 'clearKey' ? SYSTEM_IDS.common : SYSTEM_IDS[name];
  const fromCpix = settings.cpix?.drmSystems.find((s) => s.systemId === systemId && equalBytes(s.kid, key.kid));
  const keyId = `0x${formatUuid(key.kid).replaceAll('-', '').toUpperCase()}`;
  const method = settings.scheme === 'cbcs' ? 'SAMPLE-AES' : 'SAMPLE-AES-CTR';
  const signal: DrmSignal = { name, systemId };
  if (name === 'playReady') {
    const pro = writePlayReadyObject({
      keys: [key],
      scheme: settings.scheme,
      ...(settings.playReadyLaUrl === undefined ? {} : { laUrl: settings.playReadyLaUrl }),
      ...(settings.playReadyVersion === undefined ? {} : { version: settings.playReadyVersion }),
    });
    signal.pro = pro;
    signal.pssh = writePssh({ version: 0, systemId, kids: [], data: pro });
    if (fromCpix?.pssh !== undefined) {
      // The key server's header (its LA_URL, custom attributes) wins: the pssh as given, and its PlayReady Object.
      checkPssh(fromCpix.pssh, systemId, name);
      signal.pssh = fromCpix.pssh;
      signal.pro = psshData(fromCpix.pssh);
    }
    if (settings.playReadyLaUrl !== undefined) signal.laUrl = settings.playReadyLaUrl;
    // No KEYID: the PlayReady Object names the KID (Shaka Packager writes none either).
    signal.hlsKey = { method, uri: `data:text/plain;charset=UTF-16;base64,${encodeBase64(signal.pro)}`, keyFormat: HLS_KEYFORMATS.playReady, keyFormatVersions: '1' };
  } else if (name === 'widevine') {
    signal.pssh =
      fromCpix?.pssh ??
      settings.widevinePssh ??
      writePssh({
        version: 0,
        systemId,
        kids: [],
        data: writeWidevinePsshData({
          kids: [key.kid],
          ...(settings.widevineProvider === undefined ? {} : { provider: settings.widevineProvider }),
          ...(settings.widevineContentId === undefined ? {} : { contentId: settings.widevineContentId }),
          protectionScheme: settings.scheme,
        }),
      });
    signal.hlsKey = { method, uri: `data:text/plain;base64,${encodeBase64(signal.pssh)}`, keyFormat: HLS_KEYFORMATS.widevine, keyFormatVersions: '1', keyId };
  } else if (name === 'fairPlay') {
    const uri = fromCpix?.uriExtXKey ?? settings.fairPlayUri ?? `skd://${formatUuid(key.kid)}`;
    signal.hlsKey = { method: 'SAMPLE-AES', uri, keyFormat: HLS_KEYFORMATS.fairPlay, keyFormatVersions: '1' };
  } else {
    // W3C Common PSSH: version 1, the KIDs and no data; what Clear Key players read.
    signal.pssh = writePssh({ version: 1, systemId, kids: [key.kid], data: new Uint8Array(0) });
    if (settings.clearKeyLaUrl !== undefined) signal.laUrl = settings.clearKeyLaUrl;
  }
  if (fromCpix !== undefined && fromCpix.hlsSignalingData.length > 0) {
    signal.hlsLines = {};
    for (const h of fromCpix.hlsSignalingData) signal.hlsLines[h.playlist] = h.text.trim();
  }
  if (signal.pssh !== undefined) checkPssh(signal.pssh, systemId, name);
  return signal;
}

/**
 * `--widevine-pssh`: a whole Widevine `pssh` box in base64, as key servers hand it out
 * (Shaka Packager's `--pssh` takes the same); used as given. Typed error when it is not
 * base64 of one Widevine pssh box.
 */
export function parseWidevinePsshOption(value: string): Uint8Array {
  const t = value.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t) || t.length % 4 !== 0) throw new SmoothpubError(ErrorCode.BAD_OPTION, '--widevine-pssh: expected a whole pssh box in base64');
  const bytes = Uint8Array.from(decodeBase64(t));
  try {
    checkPssh(bytes, SYSTEM_IDS.widevine, 'widevine');
  } catch (e) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, `--widevine-pssh: ${e instanceof Error ? e.message : String(e)}`);
  }
  return bytes;
}

/** A pssh given from outside (CPIX, --widevine-pssh) must be one whole box of its system. */
function checkPssh(bytes: Uint8Array, systemId: string, name: DrmSystemName): void {
  const fail = (what: string): SmoothpubError => new SmoothpubError(ErrorCode.BAD_PROTECTION, `the ${name} pssh given ${what}`);
  let header;
  try {
    const c = new Cursor(bytes);
    header = readBoxHeader(c, bytes.length);
    if (header.type !== 'pssh') throw fail(`is a '${header.type}' box, not a 'pssh' box`);
    if (header.size !== bytes.length) throw fail(`is ${bytes.length} bytes but its box says ${header.size}`);
    const pssh = readPssh(c.sub(header.size - header.headerSize, 'pssh'));
    if (formatUuid(Uint8Array.from(pssh.systemId.match(/../g)!, (h) => parseInt(h, 16))) !== systemId) throw fail(`is for system ${pssh.systemId}, not ${systemId}`);
  } catch (e) {
    if (e instanceof SmoothpubError && e.code === ErrorCode.BAD_PROTECTION) throw e;
    throw fail(`is not a whole pssh box (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** The data of a whole pssh box (checked by checkPssh). */
function psshData(bytes: Uint8Array): Uint8Array {
  const c = new Cursor(bytes);
  const header = readBoxHeader(c, bytes.length);
  return readPssh(c.sub(header.size - header.headerSize, 'pssh')).data;
}

/** The Smooth ProtectionHeader: CPIX's SmoothStreamingProtectionHeaderData when given, else a PlayReady Object of every KID. */
function smoothHeader(settings: ProtectionSettings, keys: { kid: Uint8Array; key?: Uint8Array }[]): SmoothProtectionHeader[] {
  const distinct = keys.filter((k, i) => keys.findIndex((o) => equalBytes(o.kid, k.kid)) === i);
  const given = settings.cpix?.drmSystems.find((s) => s.systemId === SYSTEM_IDS.playReady && s.smoothStreamingProtectionHeaderData !== undefined && distinct.some((k) => equalBytes(k.kid, s.kid)));
  if (given?.smoothStreamingProtectionHeaderData !== undefined) return [{ systemId: SYSTEM_IDS.playReady, data: given.smoothStreamingProtectionHeaderData }];
  const pro = writePlayReadyObject({
    keys: distinct,
    scheme: settings.scheme,
    ...(settings.playReadyLaUrl === undefined ? {} : { laUrl: settings.playReadyLaUrl }),
    ...(settings.playReadyVersion === undefined || distinct.length > 1 ? {} : { version: settings.playReadyVersion }),
  });
  return [{ systemId: SYSTEM_IDS.playReady, data: encodeBase64(pro) }];
}
