import { type Cursor, readFullBoxHeader } from './cursor.js';
import { ByteWriter, fullBox } from './writer.js';

/** Decoding time to sample (ISO/IEC 14496-12 8.6.1.2): runs of `counts[i]` samples lasting `deltas[i]` each. */
export interface Stts {
  type: 'stts';
  counts: Uint32Array;
  deltas: Uint32Array;
}

export function readStts(c: Cursor): Stts {
  readFullBoxHeader(c);
  const n = c.u32();
  // Check the table fits before allocating: a corrupt count must not allocate gigabytes.
  c.need(n * 8);
  const counts = new Uint32Array(n);
  const deltas = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    counts[i] = c.u32();
    deltas[i] = c.u32();
  }
  return { type: 'stts', counts, deltas };
}

export function writeStts(box: Omit<Stts, 'type'>): Uint8Array {
  const w = new ByteWriter(4 + box.counts.length * 8, 'stts').u32(box.counts.length, 'entry_count');
  box.counts.forEach((count, i) => w.u32(count, 'sample_count').u32(box.deltas[i] ?? 0, 'sample_delta'));
  return fullBox('stts', 0, 0, w.finish());
}
