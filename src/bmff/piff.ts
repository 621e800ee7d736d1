/** PIFF 1.1 uuid box user types, as lowercase hex (the key `readBoxHeader` gives). */
export const UUID_TFXD = '6d1d9b0542d544e680e2141daff757b2';
export const UUID_TFRF = 'd4807ef2ca3946958e5426cb9e46a79f';
/** The live server manifest box an encoder pushes before the `moov` (a SMIL document: each track's bitrate and name). */
export const UUID_LIVE_SERVER_MANIFEST = 'a5d40b30e81411ddba2f0800200c9a66';

export function uuidBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}
/** PIFF 1.1 SampleEncryptionBox: the same payload as `senc`, for clients older than Common Encryption. */
export const UUID_PIFF_SENC = 'a2394f525a9b4f14a2446c427c648df4';
/** PIFF 1.1 TrackEncryptionBox: `tenc` before Common Encryption (algorithm, IV size, KID). */
export const UUID_PIFF_TENC = '8974dbce7be74c5184f97148f9882554';
/** PIFF 1.1 ProtectionSystemSpecificHeaderBox: a DRM system's header (`pssh` version 0's content). */
export const UUID_PIFF_PROTECTION_HEADER = 'd08a4f1810f34a82b6c832d8aba183d3';
