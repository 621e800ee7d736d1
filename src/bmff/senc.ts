import { type Cursor, readFullBoxHeader } from './cursor.js';
import { type SampleEncryptionEntry, readSampleEncryptionEntries, writeSampleEncryptionEntries } from './sampleEncryption.js';
import { type BoxInput, fullBox } from './writer.js';

/** SampleEncryptionBox (ISO/IEC 23001-7): each sample's IV and subsamples. */
export interface Senc {
  type: 'senc';
  /** 0x2: subsamples present (SENC_USE_SUBSAMPLES). */
  flags: number;
  samples: SampleEncryptionEntry[];
}

/** `ivSize` is the track's per-sample IV size from `tenc` (the box does not carry it). */
export function readSenc(c: Cursor, ivSize: number): Senc {
  const { flags } = readFullBoxHeader(c);
  return { type: 'senc', flags, samples: readSampleEncryptionEntries(c, flags, ivSize) };
}

export function writeSenc(box: BoxInput<Senc>): Uint8Array {
  return fullBox('senc', 0, box.flags, writeSampleEncryptionEntries(box.samples, box.flags, 'senc'));
}
