import { ErrorCode, SmoothpubError } from '../errors.js';
import { decodeBase64 } from '../util/base64.js';
import { equalBytes, formatUuid, parseUuid } from './keyId.js';
import type { KeyAssignment, KeyTrackType } from './model.js';

const TRACK_TYPES: readonly KeyTrackType[] = ['video', 'audio', 'text'];

/**
 * One `--key` value: `[video=|audio=|text=]<kid>:<key>`, each 16 bytes as 32 hex digits
 * (the KID may be a dashed UUID) or base64 (22 characters, or 24 with `==`). Errors name
 * the part that is wrong but never hold the key: the value is a secret and error messages
 * end up in logs and `--json` output.
 */
export function parseKeyOption(value: string): KeyAssignment {
  let rest = value.trim();
  let trackType: KeyTrackType | undefined;
  const prefix = /^([a-z]+)=/.exec(rest);
  if (prefix !== null) {
    const type = prefix[1] as KeyTrackType;
    if (!TRACK_TYPES.includes(type)) throw badKey(`the track type before '=' must be video, audio or text, found ${JSON.stringify(prefix[1])}`);
    trackType = type;
    rest = rest.slice(prefix[0].length);
  }
  const parts = rest.split(':');
  if (parts.length !== 2) throw badKey(`expected <kid>:<key> (with an optional video=, audio= or text= before it), found ${parts.length === 1 ? 'no ":"' : `${parts.length - 1} ":"`}`);
  const kid = parseUuid(parts[0]!) ?? parseBase64Bytes(parts[0]!);
  if (kid === undefined) throw badKey(`the KID must be 16 bytes as 32 hex digits (dashes allowed) or base64 (22 or 24 characters), found ${describeShape(parts[0]!)}`);
  const keyText = parts[1]!.trim();
  const key = /^[0-9a-fA-F]{32}$/.test(keyText) ? parseUuid(keyText) : parseBase64Bytes(keyText);
  if (key === undefined) throw badKey(`the key for KID ${formatUuid(kid)} must be 16 bytes as 32 hex digits or base64 (22 or 24 characters), found ${describeShape(keyText)}`);
  const out: KeyAssignment = { key: { kid, key } };
  if (trackType !== undefined) out.trackType = trackType;
  return out;
}

/**
 * The key of each track type to encrypt: a key given for that type, else the one key
 * given for all. Refuses two keys for one type (or two for all), one KID with two
 * different keys, and a type to encrypt that no key covers.
 */
export function keysForTracks(assignments: readonly KeyAssignment[], types: readonly KeyTrackType[]): Map<KeyTrackType, KeyAssignment> {
  checkAssignments(assignments);
  const out = new Map<KeyTrackType, KeyAssignment>();
  const all = assignments.find((a) => a.trackType === undefined);
  for (const type of types) {
    const chosen = assignments.find((a) => a.trackType === type) ?? all;
    if (chosen === undefined) {
      const given = assignments.map((a) => a.trackType ?? 'all').join(', ');
      throw new SmoothpubError(ErrorCode.MISSING_KEY, `no key for the ${type} tracks: keys were given for ${given === '' ? 'nothing' : given}; add --key ${type}=<kid>:<key>, or one --key without a track type for every track`);
    }
    out.set(type, chosen);
  }
  return out;
}

/** Duplicate or contradicting assignments, named by track type and KID (never by key). */
export function checkAssignments(assignments: readonly KeyAssignment[]): void {
  const seen = new Set<string>();
  for (const a of assignments) {
    const type = a.trackType ?? 'all';
    if (seen.has(type)) {
      throw new SmoothpubError(ErrorCode.KEY_CONFLICT, type === 'all' ? 'two keys are given for all tracks: give one, or one per track type (video=, audio=, text=)' : `two keys are given for the ${type} tracks: give one`);
    }
    seen.add(type);
    for (const b of assignments) {
      if (a !== b && equalBytes(a.key.kid, b.key.kid) && !equalBytes(a.key.key, b.key.key)) {
        throw new SmoothpubError(ErrorCode.KEY_CONFLICT, `KID ${formatUuid(a.key.kid)} is given with two different keys: one KID names one key`);
      }
    }
  }
}

/** 16 bytes of standard or URL-safe base64, 22 characters or 24 with `==`; undefined otherwise. */
export function parseBase64Bytes(text: string): Uint8Array | undefined {
  const t = text.trim().replaceAll('-', '+').replaceAll('_', '/');
  if (!/^[A-Za-z0-9+/]{22}(==)?$/.test(t)) return undefined;
  const bytes = Uint8Array.from(decodeBase64(t.length === 22 ? `${t}==` : t));
  return bytes.length === 16 ? bytes : undefined;
}

/** What a wrong value looks like without saying it: its length and whether its characters are hex, base64 or neither. */
function describeShape(text: string): string {
  const t = text.trim();
  const alphabet = /^[0-9a-fA-F-]*$/.test(t) ? 'hex' : /^[A-Za-z0-9+/_=-]*$/.test(t) ? 'base64' : 'characters outside hex and base64';
  return t === '' ? 'nothing' : `${t.length} characters (${alphabet})`;
}

function badKey(message: string): SmoothpubError {
  return new SmoothpubError(ErrorCode.BAD_KEY, `--key: ${message}`);
}
