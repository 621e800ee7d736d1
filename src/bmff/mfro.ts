import { type Cursor, readFullBoxHeader } from './cursor.js';
import { type BoxInput, ByteWriter, fullBox } from './writer.js';

/** Movie fragment random access offset: the size of the enclosing 'mfra', at the file's end. */
export interface Mfro {
  type: 'mfro';
  mfraSize: number;
}

export function readMfro(c: Cursor): Mfro {
  readFullBoxHeader(c);
  return { type: 'mfro', mfraSize: c.u32() };
}

export function writeMfro(box: BoxInput<Mfro>): Uint8Array {
  return fullBox('mfro', 0, 0, new ByteWriter(4, 'mfro').u32(box.mfraSize, 'size').finish());
}
