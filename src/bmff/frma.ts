import type { Cursor } from './cursor.js';
import { type BoxInput, ByteWriter, box as makeBox } from './writer.js';

/** OriginalFormatBox (ISO/IEC 14496-12 8.12.2): the sample entry's format before `encv`/`enca`. */
export interface Frma {
  type: 'frma';
  dataFormat: string;
}

export function readFrma(c: Cursor): Frma {
  return { type: 'frma', dataFormat: c.fourcc() };
}

export function writeFrma(box: BoxInput<Frma>): Uint8Array {
  return makeBox('frma', new ByteWriter(4, 'frma').fourcc(box.dataFormat).finish());
}
