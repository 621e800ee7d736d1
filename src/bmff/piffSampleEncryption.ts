import { type Cursor, readFullBoxHeader } from './cursor.js';
import { UUID_PIFF_SENC } from './piff.js';
import { PIFF_OVERRIDE_TRACK_ENCRYPTION, type SampleEncryptionEntry, readSampleEncryptionEntries, writeSampleEncryptionEntries } from './sampleEncryption.js';
import { type BoxInput, ByteWriter, required, uuidBox } from './writer.js';

/**
 * PIFF 1.1 SampleEncryptionBox (uuid a2394f52-5a9b-4f14-a244-6c427c648df4): `senc`'s
 * entries under PIFF's name, which Smooth clients older than Common Encryption read.
 * Flag 0x1 adds the algorithm, IV size and KID, overriding the track's.
 */
export interface PiffSampleEncryption {
  type: 'piffSenc';
  flags: number;
  override?: { algorithmId: number; ivSize: number; kid: Uint8Array };
  samples: SampleEncryptionEntry[];
}

/** `ivSize`: the track's (from `tenc`); the box's own override wins when flag 0x1 is set. */
export function readPiffSampleEncryption(c: Cursor, ivSize: number): PiffSampleEncryption {
  const box: PiffSampleEncryption = { ...readPiffSampleEncryptionHead(c), samples: [] };
  box.samples = readSampleEncryptionEntries(c, box.flags, box.override?.ivSize ?? ivSize);
  return box;
}

/** The box up to its sample_count: flags and, with flag 0x1, the override (the IV size entries are read with). */
export function readPiffSampleEncryptionHead(c: Cursor): Omit<PiffSampleEncryption, 'samples'> {
  const { flags } = readFullBoxHeader(c);
  const head: Omit<PiffSampleEncryption, 'samples'> = { type: 'piffSenc', flags };
  if (flags & PIFF_OVERRIDE_TRACK_ENCRYPTION) head.override = { algorithmId: c.u24(), ivSize: c.u8(), kid: c.bytesOf(16).slice() };
  return head;
}

export function writePiffSampleEncryption(box: BoxInput<PiffSampleEncryption>): Uint8Array {
  const parts: Uint8Array[] = [];
  if (box.flags & PIFF_OVERRIDE_TRACK_ENCRYPTION) {
    const o = required(box.override, 'PIFF SampleEncryptionBox', 'override');
    parts.push(new ByteWriter(20, 'PIFF SampleEncryptionBox').u24(o.algorithmId, 'AlgorithmID').u8(o.ivSize, 'IV_size').bytesOf(kid16(o.kid)).finish());
  }
  parts.push(writeSampleEncryptionEntries(box.samples, box.flags, 'PIFF SampleEncryptionBox'));
  return uuidBox(UUID_PIFF_SENC, 0, box.flags, ...parts);
}

function kid16(kid: Uint8Array): Uint8Array {
  return new ByteWriter(16, 'KID').bytesOf(kid).finish();
}
