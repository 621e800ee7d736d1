import { readFile } from 'node:fs/promises';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { decodeBase64 } from '../util/base64.js';
import { formatUuid, parseUuid } from './keyId.js';
import { parseBase64Bytes } from './keys.js';
import { SYSTEM_IDS, type KeyAssignment, type KeyTrackType } from './model.js';
import { readXml, xmlAttribute, xmlChild, xmlChildNames, xmlChildren, xmlText, type XmlElement } from './xml.js';

/**
 * A CPIX document (DASH-IF Content Protection Information Exchange Format, 2.x up to
 * 2.4) as a key server hands it over: content keys in the clear (pskc PlainValue), the
 * DRM systems' signalling per KID, and the usage rules saying which key is for which
 * track type. Secret: never printed, logged or put in JSON output; errors name KIDs and
 * elements, never a key or a document's text.
 */
export interface CpixDocument {
  contentKeys: CpixContentKey[];
  drmSystems: CpixDrmSystem[];
  usageRules: CpixUsageRule[];
}

export interface CpixContentKey {
  kid: Uint8Array;
  key: Uint8Array;
  explicitIv?: Uint8Array;
  /** `cenc` or `cbcs` when the document says (CPIX 2.2 on). */
  commonEncryptionScheme?: string;
}

export interface CpixDrmSystem {
  /** Lowercase dashed UUID, one of SYSTEM_IDS. */
  systemId: string;
  kid: Uint8Array;
  /** The whole `pssh` box. */
  pssh?: Uint8Array;
  /** The XML to put under the MPD's ContentProtection for this system (UTF-8 text). */
  contentProtectionData?: string;
  /** The PlayReady Object for the Smooth Manifest's ProtectionHeader, base64 as the Manifest holds it. */
  smoothStreamingProtectionHeaderData?: string;
  /** Playlist lines (EXT-X-KEY and more), as text. */
  hlsSignalingData: { playlist: 'master' | 'media'; text: string }[];
  /** The URI of the EXT-X-KEY, as text. */
  uriExtXKey?: string;
}

export interface CpixUsageRule {
  kid: Uint8Array;
  intendedTrackType?: string;
  /** The track types its filters select (VideoFilter -> video, AudioFilter -> audio); empty: none said. */
  trackTypes: KeyTrackType[];
  /** Filters other than Video/Audio/KeyPeriod: labels, bitrates and unknown ones, by name. */
  otherFilters: string[];
}

const KNOWN_SYSTEMS: ReadonlySet<string> = new Set(Object.values(SYSTEM_IDS));

/**
 * Reads a CPIX document. Refuses (typed errors, nothing else happens) a document without
 * content keys, encrypted content keys, a key that is not 16 bytes, a DRMSystem or usage
 * rule naming a KID the ContentKeyList lacks, more than one key period (key rotation) and
 * a DRM system smoothpub does not signal. `source` names the document in messages.
 */
export function readCpix(xml: string, source: string): CpixDocument {
  const fail = (message: string, code: (typeof ErrorCode)[keyof typeof ErrorCode] = ErrorCode.BAD_CPIX): SmoothpubError =>
    new SmoothpubError(code, `CPIX: ${message}`, { file: source });
  const root = readXml(xml, 'CPIX', (m) => fail(m));
  const keyList = xmlChild(root, 'ContentKeyList');
  const keyNodes = keyList === undefined ? [] : xmlChildren(keyList, 'ContentKey');
  if (keyNodes.length === 0) throw fail('the document has no content keys (no <ContentKey> in a <ContentKeyList>): ask the key server for a document with the keys');
  const contentKeys = keyNodes.map((node, i) => readContentKey(node, i, fail));
  const kids = new Set(contentKeys.map((k) => formatUuid(k.kid)));
  if (kids.size !== contentKeys.length) throw fail('a KID appears twice in <ContentKeyList>');
  const requireKnownKid = (kid: Uint8Array, where: string): void => {
    if (!kids.has(formatUuid(kid))) throw fail(`${where} names KID ${formatUuid(kid)}, which <ContentKeyList> does not hold (its KIDs: ${[...kids].join(', ')})`);
  };
  const periodList = xmlChild(root, 'ContentKeyPeriodList');
  const periods = periodList === undefined ? [] : xmlChildren(periodList, 'ContentKeyPeriod');
  if (periods.length > 1) throw fail(`${periods.length} key periods (key rotation) are given; smoothpub encrypts a presentation with one key per track type`);
  const systemList = xmlChild(root, 'DRMSystemList');
  const drmSystems = (systemList === undefined ? [] : xmlChildren(systemList, 'DRMSystem')).map((node, i) => {
    const system = readDrmSystem(node, i, fail);
    requireKnownKid(system.kid, `<DRMSystem> ${i + 1} (${system.systemId})`);
    return system;
  });
  const ruleList = xmlChild(root, 'ContentKeyUsageRuleList');
  const usageRules = (ruleList === undefined ? [] : xmlChildren(ruleList, 'ContentKeyUsageRule')).map((node, i) => {
    const rule = readUsageRule(node, i, fail);
    requireKnownKid(rule.kid, `<ContentKeyUsageRule> ${i + 1}`);
    return rule;
  });
  return { contentKeys, drmSystems, usageRules };
}

/**
 * Which key is for which track type, from the usage rules: a rule with a VideoFilter
 * is for video, an AudioFilter for audio; with no VideoFilter or AudioFilter, its
 * intendedTrackType says (`VIDEO`, `SD`, `HD`, `UHD`... video; `AUDIO` audio). A document
 * with one key and no rules gives that key for every track. Refused, as smoothpub could
 * only guess: several keys and no rules, rules selecting by label or bitrate alone, and
 * two different keys for one track type (per-resolution keys).
 */
export function keyAssignmentsFromCpix(doc: CpixDocument, source: string): KeyAssignment[] {
  const fail = (message: string): SmoothpubError => new SmoothpubError(ErrorCode.BAD_CPIX, `CPIX: ${message}`, { file: source });
  const byKid = new Map(doc.contentKeys.map((k) => [formatUuid(k.kid), k]));
  const assignment = (kid: Uint8Array, trackType?: KeyTrackType): KeyAssignment => {
    const k = byKid.get(formatUuid(kid))!;
    const a: KeyAssignment = { key: { kid: k.kid, key: k.key } };
    if (trackType !== undefined) a.trackType = trackType;
    if (k.explicitIv !== undefined) a.explicitIv = k.explicitIv;
    return a;
  };
  if (doc.usageRules.length === 0) {
    if (doc.contentKeys.length === 1) return [assignment(doc.contentKeys[0]!.kid)];
    throw fail(`${doc.contentKeys.length} content keys and no <ContentKeyUsageRuleList> to say which is for which track type: add usage rules with VideoFilter and AudioFilter`);
  }
  const chosen = new Map<KeyTrackType, string>();
  for (const [i, rule] of doc.usageRules.entries()) {
    let types = rule.trackTypes;
    if (types.length === 0) types = trackTypesOf(rule.intendedTrackType);
    if (types.length === 0) {
      const said = rule.otherFilters.length > 0 ? `selects tracks by ${[...new Set(rule.otherFilters)].join(', ')} alone` : 'has no VideoFilter or AudioFilter';
      throw fail(`<ContentKeyUsageRule> ${i + 1} (KID ${formatUuid(rule.kid)}) ${said}; smoothpub assigns keys by track type: give it a VideoFilter or AudioFilter, or intendedTrackType VIDEO or AUDIO`);
    }
    for (const type of types) {
      const kid = formatUuid(rule.kid);
      const before = chosen.get(type);
      if (before !== undefined && before !== kid) throw fail(`two keys (KIDs ${before} and ${kid}) are for the ${type} tracks; smoothpub encrypts all tracks of a type with one key (per-resolution keys are not supported)`);
      chosen.set(type, kid);
    }
  }
  return [...chosen].map(([type, kid]) => assignment(byKid.get(kid)!.kid, type));
}

/**
 * Reads a CPIX document from a file or an http(s) URL. The URL's path and query may hold
 * an access token, so messages name its origin only.
 */
export async function loadCpix(pathOrUrl: string, signal?: AbortSignal): Promise<CpixDocument> {
  if (/^https?:\/\//i.test(pathOrUrl)) {
    let url: URL;
    try {
      url = new URL(pathOrUrl);
    } catch {
      throw new SmoothpubError(ErrorCode.BAD_OPTION, '--cpix: not a valid URL');
    }
    const where = `${url.origin}/…`;
    let response: Response;
    try {
      response = await fetch(url, signal === undefined ? {} : { signal });
    } catch (e) {
      if (signal?.aborted === true) throw e;
      throw new SmoothpubError(ErrorCode.BAD_CPIX, `CPIX: could not fetch the document from ${where}: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`);
    }
    if (!response.ok) throw new SmoothpubError(ErrorCode.BAD_CPIX, `CPIX: the key server at ${where} answered ${response.status} ${response.statusText}; check the URL and its credentials`);
    return readCpix(decodeText(new Uint8Array(await response.arrayBuffer())), where);
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(pathOrUrl);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SmoothpubError(ErrorCode.READ_FAILED, `CPIX: cannot read the document${code === undefined ? '' : ` (${code})`}`, { file: pathOrUrl });
  }
  return readCpix(decodeText(bytes), pathOrUrl);
}

/** UTF-8, or UTF-16 when a byte order mark says so (some key servers write UTF-16). */
function decodeText(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  return new TextDecoder('utf-8').decode(bytes);
}

type Fail = (message: string, code?: (typeof ErrorCode)[keyof typeof ErrorCode]) => SmoothpubError;

function readContentKey(node: XmlElement, i: number, fail: Fail): CpixContentKey {
  const kid = readKid(node, `<ContentKey> ${i + 1}`, fail);
  const where = `<ContentKey> for KID ${formatUuid(kid)}`;
  const secret = xmlChild(xmlChild(node, 'Data') ?? {}, 'Secret');
  if (secret === undefined) throw fail(`${where} has no <Data><Secret>: the document carries no key for it`);
  if (xmlChild(secret, 'EncryptedValue') !== undefined) {
    throw fail(`${where} holds an encrypted key (pskc:EncryptedValue); smoothpub does not decrypt CPIX documents: export the document with clear keys (pskc:PlainValue)`, ErrorCode.CPIX_ENCRYPTED);
  }
  const plain = xmlText(xmlChild(secret, 'PlainValue'));
  if (plain === undefined) throw fail(`${where} has no <PlainValue>`);
  if (!/^[A-Za-z0-9+/\s]*={0,2}$/.test(plain)) throw fail(`${where}: its PlainValue is not base64`);
  const key = Uint8Array.from(decodeBase64(plain.replace(/\s/g, '')));
  if (key.length !== 16) throw fail(`${where}: the key is ${key.length} bytes; AES-128 content keys are 16 bytes`);
  const out: CpixContentKey = { kid, key };
  const iv = xmlAttribute(node, 'explicitIV');
  if (iv !== undefined) {
    // base64 per the schema; some documents write a UUID.
    const bytes = parseUuid(iv) ?? parseBase64Bytes(iv);
    if (bytes === undefined) throw fail(`${where}: explicitIV must be 16 bytes (base64), found ${iv.trim().length} characters`);
    out.explicitIv = bytes;
  }
  const scheme = xmlAttribute(node, 'commonEncryptionScheme');
  if (scheme !== undefined) out.commonEncryptionScheme = scheme;
  return out;
}

function readDrmSystem(node: XmlElement, i: number, fail: Fail): CpixDrmSystem {
  const idText = xmlAttribute(node, 'systemId') ?? '';
  const id = parseUuid(idText);
  if (id === undefined) throw fail(`<DRMSystem> ${i + 1}: systemId must be a UUID, found ${JSON.stringify(idText)}`);
  const systemId = formatUuid(id);
  if (!KNOWN_SYSTEMS.has(systemId)) {
    throw fail(
      `<DRMSystem> ${i + 1}: system ${systemId} is not one smoothpub signals (PlayReady ${SYSTEM_IDS.playReady}, Widevine ${SYSTEM_IDS.widevine}, FairPlay ${SYSTEM_IDS.fairPlay}, Clear Key ${SYSTEM_IDS.clearKey} and W3C Common ${SYSTEM_IDS.common}); remove it from the document or ask the key server for those systems only`,
      ErrorCode.UNSUPPORTED_DRM_SYSTEM,
    );
  }
  const kid = readKid(node, `<DRMSystem> ${i + 1}`, fail);
  const where = `<DRMSystem> ${systemId} for KID ${formatUuid(kid)}`;
  const base64 = (name: string): Uint8Array | undefined => {
    const text = xmlText(xmlChild(node, name));
    if (text === undefined) return undefined;
    const t = text.replace(/\s/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t)) throw fail(`${where}: <${name}> is not base64`);
    return Uint8Array.from(decodeBase64(t));
  };
  const utf8 = (name: string): string | undefined => {
    const bytes = base64(name);
    return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
  };
  const out: CpixDrmSystem = { systemId, kid, hlsSignalingData: [] };
  const pssh = base64('PSSH');
  if (pssh !== undefined) out.pssh = pssh;
  const cpd = utf8('ContentProtectionData');
  if (cpd !== undefined) out.contentProtectionData = cpd;
  const smooth = xmlText(xmlChild(node, 'SmoothStreamingProtectionHeaderData'));
  if (smooth !== undefined) out.smoothStreamingProtectionHeaderData = smooth.replace(/\s/g, '');
  const uri = utf8('URIExtXKey');
  if (uri !== undefined) out.uriExtXKey = uri;
  for (const h of xmlChildren(node, 'HLSSignalingData')) {
    const playlist = xmlAttribute(h, 'playlist') ?? 'media';
    if (playlist !== 'master' && playlist !== 'media') throw fail(`${where}: HLSSignalingData playlist must be master or media, found ${JSON.stringify(playlist)}`);
    const text = xmlText(h);
    if (text !== undefined) out.hlsSignalingData.push({ playlist, text: new TextDecoder().decode(decodeBase64(text.replace(/\s/g, ''))) });
  }
  return out;
}

function readUsageRule(node: XmlElement, i: number, fail: Fail): CpixUsageRule {
  const rule: CpixUsageRule = { kid: readKid(node, `<ContentKeyUsageRule> ${i + 1}`, fail), trackTypes: [], otherFilters: [] };
  const intended = xmlAttribute(node, 'intendedTrackType');
  if (intended !== undefined) rule.intendedTrackType = intended;
  for (const name of xmlChildNames(node)) {
    if (name === 'VideoFilter') rule.trackTypes.push('video');
    else if (name === 'AudioFilter') rule.trackTypes.push('audio');
    else if (name !== 'KeyPeriodFilter') rule.otherFilters.push(name);
  }
  return rule;
}

function readKid(node: XmlElement, where: string, fail: Fail): Uint8Array {
  const text = xmlAttribute(node, 'kid');
  const kid = text === undefined ? undefined : parseUuid(text);
  if (kid === undefined) throw fail(`${where}: kid must be a UUID (8-4-4-4-12 hex digits), found ${text === undefined ? 'none' : JSON.stringify(text)}`);
  return kid;
}

/** intendedTrackType values of common key servers: `VIDEO`, `SD+HD`, `UHD1`, `AUDIO`. */
function trackTypesOf(intended: string | undefined): KeyTrackType[] {
  if (intended === undefined) return [];
  const types = new Set<KeyTrackType>();
  for (const part of intended.toUpperCase().split('+')) {
    if (part.startsWith('AUDIO')) types.add('audio');
    else if (/^(VIDEO|SD|HD|UHD)/.test(part)) types.add('video');
    else if (part.startsWith('TEXT') || part.startsWith('SUBTITLE')) types.add('text');
  }
  return [...types];
}
