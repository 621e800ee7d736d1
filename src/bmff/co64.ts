import { type Cursor, readFullBoxHeader } from './cursor.js';
import { ByteWriter, fullBox } from './writer.js';

/** Chunk offsets, 64-bit (ISO/IEC 14496-12 8.7.5): files over 4 GB. Offsets beyond 2^53 are refused. */
export interface Co64 {
  type: 'co64';
  offsets: Float64Array;
}

export function readCo64(c: Cursor): Co64 {
  readFullBoxHeader(c);
  const n = c.u32();
  c.need(n * 8);
  const offsets = new Float64Array(n);
  for (let i = 0; i < n; i++) offsets[i] = c.u64Number();
  return { type: 'co64', offsets };
}

export function writeCo64(box: Omit<Co64, 'type'>): Uint8Array {
  const w = new ByteWriter(4 + box.offsets.length * 8, 'co64').u32(box.offsets.length, 'entry_count');
  for (const o of box.offsets) w.u64(BigInt(o), 'chunk_offset');
  return fullBox('co64', 0, 0, w.finish());
}
