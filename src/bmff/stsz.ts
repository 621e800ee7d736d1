import { type Cursor, readFullBoxHeader } from './cursor.js';
import { ByteWriter, fullBox } from './writer.js';

/**
 * Sample sizes (ISO/IEC 14496-12 8.7.3.2). A non-zero `sampleSize` is every sample's
 * size and `sizes` is then empty (PCM audio, for example).
 */
export interface Stsz {
  type: 'stsz';
  sampleSize: number;
  sampleCount: number;
  sizes: Uint32Array;
}

export function readStsz(c: Cursor): Stsz {
  readFullBoxHeader(c);
  const sampleSize = c.u32();
  const sampleCount = c.u32();
  if (sampleSize !== 0) return { type: 'stsz', sampleSize, sampleCount, sizes: new Uint32Array(0) };
  c.need(sampleCount * 4);
  const sizes = new Uint32Array(sampleCount);
  for (let i = 0; i < sampleCount; i++) sizes[i] = c.u32();
  return { type: 'stsz', sampleSize, sampleCount, sizes };
}

export function writeStsz(box: Omit<Stsz, 'type'>): Uint8Array {
  const table = box.sampleSize === 0 ? box.sizes.length : 0;
  const w = new ByteWriter(8 + table * 4, 'stsz').u32(box.sampleSize, 'sample_size').u32(box.sampleCount, 'sample_count');
  if (table > 0) for (const s of box.sizes) w.u32(s, 'entry_size');
  return fullBox('stsz', 0, 0, w.finish());
}
