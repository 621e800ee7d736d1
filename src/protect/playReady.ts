import { createCipheriv } from 'node:crypto';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { decodeBase64, encodeBase64 } from '../util/base64.js';
import { readXml, xmlAttribute, xmlChild, xmlChildren, xmlText, escapeXml, type XmlElement } from './xml.js';
import { swapGuidBytes } from './keyId.js';
import type { EncryptionScheme } from './model.js';

/**
 * The PlayReady Object (PRO) and the PlayReady Header (WRMHEADER) inside it, as
 * Microsoft's PlayReady Header Specification defines them: a PRO is a little-endian
 * length (DWORD), a record count (WORD) and records of type (WORD), length (WORD) and
 * value; type 1 holds the WRMHEADER as UTF-16LE XML. The WRMHEADER names each key by
 * its KID as a GUID (first three fields little-endian, so bytes 0-3, 4-5 and 6-7 of
 * the KID as DASH and `tenc` write it are reversed), base64.
 */

export const PLAYREADY_XMLNS = 'http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader';
export type PlayReadyHeaderVersion = '4.0.0.0' | '4.1.0.0' | '4.2.0.0' | '4.3.0.0';
export type PlayReadyAlgorithm = 'AESCTR' | 'AESCBC' | 'COCKTAIL';

/** A key of the header, its KID in UUID order (as `tenc` and DASH write it). */
export interface PlayReadyKid {
  kid: Uint8Array;
  algId?: PlayReadyAlgorithm;
  /** The 8-byte CHECKSUM (AESCTR only). */
  checksum?: Uint8Array;
}

export interface PlayReadyHeader {
  version: string;
  kids: PlayReadyKid[];
  laUrl?: string;
  luiUrl?: string;
  dsId?: string;
}

export interface PlayReadyObjectOptions {
  /** KIDs in UUID order; with the key, a CHECKSUM is written (cenc keys only: the spec defines none for AESCBC). */
  keys: { kid: Uint8Array; key?: Uint8Array }[];
  scheme: EncryptionScheme;
  laUrl?: string;
  /**
   * The WRMHEADER version; by default the oldest that can say it, as every client takes
   * those: 4.0 for one cenc key (what Silverlight-era Smooth clients read), 4.2 for several
   * cenc keys, 4.3 for cbcs (AESCBC exists from 4.3 on).
   */
  version?: PlayReadyHeaderVersion;
  /** Write CHECKSUM where the key is known (default true). */
  checksum?: boolean;
}

/** First 8 bytes of AES-128-ECB(key, KID in GUID order): the spec's key checksum for AESCTR keys. */
export function playReadyChecksum(kid: Uint8Array, key: Uint8Array): Uint8Array {
  if (kid.length !== 16 || key.length !== 16) throw badHeader(`a checksum needs a 16-byte KID and key, got ${kid.length} and ${key.length} bytes`);
  const cipher = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  const block = Buffer.concat([cipher.update(swapGuidBytes(kid)), cipher.final()]);
  return Uint8Array.from(block.subarray(0, 8));
}

/** The WRMHEADER XML of the options, canonical as the spec asks (attributes in alphabetical order, explicit end tags). */
export function writeWrmHeader(options: PlayReadyObjectOptions): string {
  const algId: PlayReadyAlgorithm = options.scheme === 'cbcs' ? 'AESCBC' : 'AESCTR';
  const version = options.version ?? (algId === 'AESCBC' ? '4.3.0.0' : options.keys.length > 1 ? '4.2.0.0' : '4.0.0.0');
  if (options.keys.length === 0) throw badHeader('a PlayReady Header needs at least one KID');
  if (algId === 'AESCBC' && version !== '4.3.0.0') throw badHeader(`cbcs keys (AESCBC) need PlayReady Header 4.3.0.0, not ${version}`);
  if (options.keys.length > 1 && (version === '4.0.0.0' || version === '4.1.0.0')) throw badHeader(`${options.keys.length} KIDs need PlayReady Header 4.2.0.0 or later, not ${version} (one KID only)`);
  const checksumOf = (k: { kid: Uint8Array; key?: Uint8Array }): string | undefined =>
    k.key !== undefined && algId === 'AESCTR' && options.checksum !== false ? encodeBase64(playReadyChecksum(k.kid, k.key)) : undefined;
  const value = (kid: Uint8Array): string => {
    if (kid.length !== 16) throw badHeader(`a KID must be 16 bytes, got ${kid.length}`);
    return encodeBase64(swapGuidBytes(kid));
  };
  const laUrl = options.laUrl === undefined ? '' : `<LA_URL>${escapeXml(options.laUrl)}</LA_URL>`;
  let data: string;
  if (version === '4.0.0.0') {
    const k = options.keys[0]!;
    const checksum = checksumOf(k);
    data = `<PROTECTINFO><KEYLEN>16</KEYLEN><ALGID>AESCTR</ALGID></PROTECTINFO><KID>${value(k.kid)}</KID>${checksum === undefined ? '' : `<CHECKSUM>${checksum}</CHECKSUM>`}${laUrl}`;
  } else {
    const kid = (k: { kid: Uint8Array; key?: Uint8Array }): string => {
      const checksum = checksumOf(k);
      return `<KID ALGID="${algId}"${checksum === undefined ? '' : ` CHECKSUM="${checksum}"`} VALUE="${value(k.kid)}"></KID>`;
    };
    const kids = version === '4.1.0.0' ? kid(options.keys[0]!) : `<KIDS>${options.keys.map(kid).join('')}</KIDS>`;
    data = `<PROTECTINFO>${kids}</PROTECTINFO>${laUrl}`;
  }
  return `<WRMHEADER xmlns="${PLAYREADY_XMLNS}" version="${version}"><DATA>${data}</DATA></WRMHEADER>`;
}

/** A PlayReady Object holding one record: the WRMHEADER of the options. */
export function writePlayReadyObject(options: PlayReadyObjectOptions): Uint8Array {
  const xml = utf16le(writeWrmHeader(options));
  if (xml.length > 0xffff) throw badHeader(`the WRMHEADER is ${xml.length} bytes, more than a record holds (65535)`);
  const out = new Uint8Array(10 + xml.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, out.length, true);
  view.setUint16(4, 1, true); // record count
  view.setUint16(6, 1, true); // record type 1: PlayReady Header
  view.setUint16(8, xml.length, true);
  out.set(xml, 10);
  return out;
}

/** The records of a PlayReady Object, and the WRMHEADER of its first type-1 record read. */
export function readPlayReadyObject(bytes: Uint8Array): { header: PlayReadyHeader; xml: string; records: { type: number; value: Uint8Array }[] } {
  if (bytes.length < 6) throw badHeader(`a PlayReady Object is at least 6 bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(0, true);
  if (length !== bytes.length) throw badHeader(`the PlayReady Object says it is ${length} bytes, but ${bytes.length} were given`);
  const count = view.getUint16(4, true);
  const records: { type: number; value: Uint8Array }[] = [];
  let at = 6;
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.length) throw badHeader(`record ${i + 1} of ${count} starts past the end of the PlayReady Object`);
    const type = view.getUint16(at, true);
    const size = view.getUint16(at + 2, true);
    if (at + 4 + size > bytes.length) throw badHeader(`record ${i + 1} (type ${type}) of ${size} bytes runs past the end of the PlayReady Object`);
    records.push({ type, value: bytes.subarray(at + 4, at + 4 + size) });
    at += 4 + size;
  }
  const record = records.find((r) => r.type === 1);
  if (record === undefined) throw badHeader(`the PlayReady Object has no PlayReady Header record (type 1) among its ${count} records`);
  const xml = new TextDecoder('utf-16le').decode(record.value);
  return { header: readWrmHeader(xml), xml, records };
}

/** The PlayReady Object of base64 text (a Smooth ProtectionHeader, `mspr:pro`). */
export function readPlayReadyObjectBase64(text: string): ReturnType<typeof readPlayReadyObject> {
  const t = text.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 !== 0) throw badHeader('a PlayReady Object in base64 is expected, found characters or a length base64 does not have');
  return readPlayReadyObject(Uint8Array.from(decodeBase64(t)));
}

/** Reads a WRMHEADER of versions 4.0 to 4.3. */
export function readWrmHeader(xml: string): PlayReadyHeader {
  const root = readXml(xml, 'WRMHEADER', (m) => badHeader(m));
  const version = xmlAttribute(root, 'version');
  if (version === undefined) throw badHeader('WRMHEADER has no version attribute');
  const data = xmlChild(root, 'DATA');
  const header: PlayReadyHeader = { version, kids: [] };
  if (data === undefined) return header;
  const protectInfo = xmlChild(data, 'PROTECTINFO');
  if (version.startsWith('4.0.')) {
    const kid = xmlText(xmlChild(data, 'KID'));
    if (kid !== undefined) {
      const entry: PlayReadyKid = { kid: readGuid(kid) };
      const algId = xmlText(protectInfo === undefined ? undefined : xmlChild(protectInfo, 'ALGID'));
      if (algId !== undefined) entry.algId = algId as PlayReadyAlgorithm;
      const checksum = xmlText(xmlChild(data, 'CHECKSUM'));
      if (checksum !== undefined) entry.checksum = Uint8Array.from(decodeBase64(checksum));
      header.kids.push(entry);
    }
  } else if (protectInfo !== undefined) {
    const kidsNode = xmlChild(protectInfo, 'KIDS');
    const nodes = kidsNode === undefined ? xmlChildren(protectInfo, 'KID') : xmlChildren(kidsNode, 'KID');
    for (const node of nodes) header.kids.push(readKidElement(node));
  }
  const laUrl = xmlText(xmlChild(data, 'LA_URL'));
  if (laUrl !== undefined) header.laUrl = laUrl;
  const luiUrl = xmlText(xmlChild(data, 'LUI_URL'));
  if (luiUrl !== undefined) header.luiUrl = luiUrl;
  const dsId = xmlText(xmlChild(data, 'DS_ID'));
  if (dsId !== undefined) header.dsId = dsId;
  return header;
}

function readKidElement(node: XmlElement): PlayReadyKid {
  const value = xmlAttribute(node, 'VALUE');
  if (value === undefined) throw badHeader('a KID element has no VALUE attribute');
  const entry: PlayReadyKid = { kid: readGuid(value) };
  const algId = xmlAttribute(node, 'ALGID');
  if (algId !== undefined) entry.algId = algId as PlayReadyAlgorithm;
  const checksum = xmlAttribute(node, 'CHECKSUM');
  if (checksum !== undefined) entry.checksum = Uint8Array.from(decodeBase64(checksum));
  return entry;
}

/** A base64 GUID as the KID in UUID order. */
function readGuid(text: string): Uint8Array {
  const bytes = Uint8Array.from(decodeBase64(text.trim()));
  if (bytes.length !== 16) throw badHeader(`a KID in the WRMHEADER must be 16 bytes of base64, found ${bytes.length} bytes`);
  return swapGuidBytes(bytes);
}

function utf16le(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[2 * i] = c & 0xff;
    out[2 * i + 1] = c >> 8;
  }
  return out;
}

function badHeader(message: string): SmoothpubError {
  return new SmoothpubError(ErrorCode.BAD_PLAYREADY_HEADER, `PlayReady Header: ${message}`);
}
