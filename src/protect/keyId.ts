import { toHex } from '../bmff/box.js';

/**
 * Key IDs as the formats write them. DASH (`cenc:default_KID`), CPIX and `tenc` use the
 * 16 bytes in order ("UUID order": `40d02dd1-61a3-...` is bytes 40 d0 2d d1 61 a3 ...);
 * PlayReady's WRMHEADER takes a Windows GUID, whose first three fields are little-endian,
 * so the same KID is written with bytes 0-3, 4-5 and 6-7 reversed.
 */

/** `40d02dd1-61a3-4787-a155-572325d47b80` of 16 bytes. */
export function formatUuid(bytes: Uint8Array): string {
  const h = toHex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The 16 bytes of 32 hex digits, in the 8-4-4-4-12 form or without dashes; undefined when it is neither. */
export function parseUuid(text: string): Uint8Array | undefined {
  const t = text.trim();
  if (!/^[0-9a-fA-F]{32}$/.test(t) && !/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(t)) return undefined;
  return parseHex(t.replaceAll('-', ''));
}

/** Bytes of an even number of hex digits (the caller checked the alphabet). */
export function parseHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** UUID order <-> GUID order: the same swap both ways (bytes 0-3, 4-5, 6-7 reversed). */
export function swapGuidBytes(kid: Uint8Array): Uint8Array {
  const out = Uint8Array.from(kid);
  out.set([kid[3]!, kid[2]!, kid[1]!, kid[0]!, kid[5]!, kid[4]!, kid[7]!, kid[6]!], 0);
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
