import { type Cursor, readFullBoxHeader } from './cursor.js';
import { UUID_PIFF_TENC } from './piff.js';
import { type BoxInput, ByteWriter, uuidBox } from './writer.js';

/** PIFF algorithm IDs: 0 clear, 1 AES-128-CTR (cenc), 2 AES-128-CBC (cbcs). */
export const PIFF_ALGORITHM = { clear: 0, aesCtr: 1, aesCbc: 2 } as const;

/** PIFF 1.1 TrackEncryptionBox (uuid 8974dbce-7be7-4c51-84f9-7148f9882554): tenc's forerunner. */
export interface PiffTrackEncryption {
  type: 'piffTenc';
  defaultAlgorithmId: number;
  defaultIvSize: number;
  defaultKid: Uint8Array;
}

export function readPiffTrackEncryption(c: Cursor): PiffTrackEncryption {
  readFullBoxHeader(c);
  return { type: 'piffTenc', defaultAlgorithmId: c.u24(), defaultIvSize: c.u8(), defaultKid: c.bytesOf(16).slice() };
}

export function writePiffTrackEncryption(box: BoxInput<PiffTrackEncryption>): Uint8Array {
  const w = new ByteWriter(20, 'PIFF TrackEncryptionBox').u24(box.defaultAlgorithmId, 'default_AlgorithmID').u8(box.defaultIvSize, 'default_IV_size').bytesOf(box.defaultKid);
  return uuidBox(UUID_PIFF_TENC, 0, 0, w.finish());
}
