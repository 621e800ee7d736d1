/**
 * A 64-bit hash of some bytes as 16 hex digits, for entity tags of documents made in
 * memory (Manifest, MPD, playlists, init segments): a tag changes when the bytes do.
 * Not cryptographic (nothing secret or adversarial is hashed), and synchronous: Web
 * Crypto's digest is async and node:crypto does not exist on an edge runtime. Two
 * 32-bit FNV-1a lanes with different offsets, each finished with murmur3's avalanche.
 */
export function contentTag(data: Uint8Array): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ data.length;
  for (let i = 0; i < data.length; i++) {
    const byte = data[i]!;
    a = Math.imul(a ^ byte, 0x01000193);
    b = Math.imul(b ^ byte, 0x5bd1e995);
  }
  return hex8(fmix(a)) + hex8(fmix(b ^ a));
}

function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
