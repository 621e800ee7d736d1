import { ErrorCode, SmoothpubError } from '../errors.js';
import type { EncryptionScheme } from './model.js';

/**
 * Widevine's `pssh` data: the protobuf message WidevinePsshData, of which smoothpub
 * writes key_id (field 2, bytes, once per KID), provider (3, string), content_id (4,
 * bytes) and protection_scheme (9, uint32: the scheme's fourcc as a big-endian number,
 * 'cenc' = 0x63656e63), the fields a Widevine license server needs to find the keys.
 */
export interface WidevinePsshData {
  kids: Uint8Array[];
  provider?: string;
  contentId?: Uint8Array;
  protectionScheme?: EncryptionScheme | string;
}

const KEY_ID = 2;
const PROVIDER = 3;
const CONTENT_ID = 4;
const PROTECTION_SCHEME = 9;

export function writeWidevinePsshData(data: WidevinePsshData): Uint8Array {
  const parts: number[] = [];
  for (const kid of data.kids) bytesField(parts, KEY_ID, kid);
  if (data.provider !== undefined) bytesField(parts, PROVIDER, new TextEncoder().encode(data.provider));
  if (data.contentId !== undefined) bytesField(parts, CONTENT_ID, data.contentId);
  if (data.protectionScheme !== undefined) {
    const s = data.protectionScheme;
    if (s.length !== 4) throw new SmoothpubError(ErrorCode.BAD_PROTECTION, `Widevine protection_scheme must be a fourcc such as cenc or cbcs, found ${JSON.stringify(s)}`);
    varint(parts, (PROTECTION_SCHEME << 3) | 0);
    varint(parts, ((s.charCodeAt(0) << 24) | (s.charCodeAt(1) << 16) | (s.charCodeAt(2) << 8) | s.charCodeAt(3)) >>> 0);
  }
  return Uint8Array.from(parts);
}

/** The fields above of a WidevinePsshData; others are skipped by their wire type. */
export function readWidevinePsshData(bytes: Uint8Array): WidevinePsshData {
  const out: WidevinePsshData = { kids: [] };
  let at = 0;
  const readVarint = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      if (at >= bytes.length || shift > 63) throw bad(`a varint runs past the end at byte ${at}`);
      const b = bytes[at++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
  };
  while (at < bytes.length) {
    const tag = readVarint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) {
      const v = readVarint();
      if (field === PROTECTION_SCHEME) out.protectionScheme = String.fromCharCode((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    } else if (wire === 2) {
      const n = readVarint();
      if (at + n > bytes.length) throw bad(`field ${field} of ${n} bytes runs past the end`);
      const value = bytes.slice(at, at + n);
      at += n;
      if (field === KEY_ID) out.kids.push(value);
      else if (field === PROVIDER) out.provider = new TextDecoder().decode(value);
      else if (field === CONTENT_ID) out.contentId = value;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else throw bad(`wire type ${wire} of field ${field} is not protobuf's`);
  }
  return out;
}

function bytesField(out: number[], field: number, value: Uint8Array): void {
  varint(out, (field << 3) | 2);
  varint(out, value.length);
  for (const b of value) out.push(b);
}

function varint(out: number[], v: number): void {
  let n = v;
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

function bad(message: string): SmoothpubError {
  return new SmoothpubError(ErrorCode.BAD_PROTECTION, `Widevine pssh data: ${message}`);
}
