import { type Cursor, readFullBoxHeader } from './cursor.js';
import { ByteWriter, fullBox } from './writer.js';

/** Chunk offsets, 32-bit (ISO/IEC 14496-12 8.7.5): absolute file offsets of each chunk. */
export interface Stco {
  type: 'stco';
  /** Float64Array so that `stco` and `co64` give the same shape. */
  offsets: Float64Array;
}

export function readStco(c: Cursor): Stco {
  readFullBoxHeader(c);
  const n = c.u32();
  c.need(n * 4);
  const offsets = new Float64Array(n);
  for (let i = 0; i < n; i++) offsets[i] = c.u32();
  return { type: 'stco', offsets };
}

export function writeStco(box: Omit<Stco, 'type'>): Uint8Array {
  const w = new ByteWriter(4 + box.offsets.length * 4, 'stco').u32(box.offsets.length, 'entry_count');
  for (const o of box.offsets) w.u32(o, 'chunk_offset');
  return fullBox('stco', 0, 0, w.finish());
}
