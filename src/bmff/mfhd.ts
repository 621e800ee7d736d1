import { type Cursor, readFullBoxHeader } from './cursor.js';
import { type BoxInput, ByteWriter, fullBox } from './writer.js';

export interface Mfhd {
  type: 'mfhd';
  sequenceNumber: number;
}

export function readMfhd(c: Cursor): Mfhd {
  readFullBoxHeader(c);
  return { type: 'mfhd', sequenceNumber: c.u32() };
}

export function writeMfhd(box: BoxInput<Mfhd>): Uint8Array {
  return fullBox('mfhd', 0, 0, new ByteWriter(4, 'mfhd').u32(box.sequenceNumber, 'sequence_number').finish());
}
