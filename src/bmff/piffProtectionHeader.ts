import { toHex } from './box.js';
import { type Cursor, readFullBoxHeader } from './cursor.js';
import { UUID_PIFF_PROTECTION_HEADER } from './piff.js';
import { type BoxInput, ByteWriter, uuidBox, uuidToBytes } from './writer.js';

/**
 * PIFF 1.1 ProtectionSystemSpecificHeaderBox (uuid d08a4f18-10f3-4a82-b6c8-32d8aba183d3):
 * `pssh` version 0 under PIFF's name (SystemID, DataSize, Data), in the `moov` of
 * PlayReady-protected ISMV.
 */
export interface PiffProtectionHeader {
  type: 'piffPssh';
  /** The DRM system's ID as 32 lowercase hex digits. */
  systemId: string;
  data: Uint8Array;
}

export function readPiffProtectionHeader(c: Cursor): PiffProtectionHeader {
  readFullBoxHeader(c);
  const systemId = toHex(c.bytesOf(16));
  return { type: 'piffPssh', systemId, data: c.bytesOf(c.u32()).slice() };
}

export function writePiffProtectionHeader(box: BoxInput<PiffProtectionHeader>): Uint8Array {
  const w = new ByteWriter(20 + box.data.length, 'PIFF ProtectionSystemSpecificHeaderBox').bytesOf(uuidToBytes(box.systemId)).u32(box.data.length, 'DataSize').bytesOf(box.data);
  return uuidBox(UUID_PIFF_PROTECTION_HEADER, 0, 0, w.finish());
}
