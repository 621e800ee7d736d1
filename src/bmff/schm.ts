import { type Cursor, readFullBoxHeader } from './cursor.js';
import { type BoxInput, ByteWriter, fullBox } from './writer.js';

/** Flag: a scheme URI follows the version. */
export const SCHM_URI_PRESENT = 0x1;

/** SchemeTypeBox (ISO/IEC 14496-12 8.12.5): 'cenc' or 'cbcs', version 0x00010000 (ISO/IEC 23001-7). */
export interface Schm {
  type: 'schm';
  flags: number;
  schemeType: string;
  schemeVersion: number;
  schemeUri?: string;
}

export function readSchm(c: Cursor): Schm {
  const { flags } = readFullBoxHeader(c);
  const box: Schm = { type: 'schm', flags, schemeType: c.fourcc(), schemeVersion: c.u32() };
  if (flags & SCHM_URI_PRESENT) {
    const rest = c.bytesOf(c.remaining);
    const end = rest.indexOf(0);
    box.schemeUri = new TextDecoder().decode(end < 0 ? rest : rest.subarray(0, end));
  }
  return box;
}

export function writeSchm(box: BoxInput<Schm>): Uint8Array {
  const uri = box.flags & SCHM_URI_PRESENT ? new TextEncoder().encode(box.schemeUri ?? '') : undefined;
  const w = new ByteWriter(8 + (uri === undefined ? 0 : uri.length + 1), 'schm').fourcc(box.schemeType).u32(box.schemeVersion, 'scheme_version');
  if (uri !== undefined) w.bytesOf(uri).u8(0);
  return fullBox('schm', 0, box.flags, w.finish());
}
