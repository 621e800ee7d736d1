import type { Cursor } from './cursor.js';
import { type BoxInput, ByteWriter, box as makeBox } from './writer.js';

/**
 * PixelAspectRatioBox (ISO/IEC 14496-12 12.1.4): the shape of one pixel, hSpacing wide
 * and vSpacing high. DASH's `sar` and the display size come from it.
 */
export interface Pasp {
  type: 'pasp';
  hSpacing: number;
  vSpacing: number;
}

export function readPasp(c: Cursor): Pasp {
  return { type: 'pasp', hSpacing: c.u32(), vSpacing: c.u32() };
}

export function writePasp(box: BoxInput<Pasp>): Uint8Array {
  return makeBox('pasp', new ByteWriter(8, 'pasp').u32(box.hSpacing, 'hSpacing').u32(box.vSpacing, 'vSpacing').finish());
}
