import { type Cursor, readFullBoxHeader } from './cursor.js';
import { ByteWriter, fullBox } from './writer.js';

/**
 * Composition time to sample (ISO/IEC 14496-12 8.6.1.3): runs of `counts[i]` samples
 * whose presentation time is their decode time plus `offsets[i]`. Version 0 offsets
 * are unsigned, version 1 signed; both fit a Float64Array exactly.
 */
export interface Ctts {
  type: 'ctts';
  version: number;
  counts: Uint32Array;
  offsets: Float64Array;
}

export function readCtts(c: Cursor): Ctts {
  const { version } = readFullBoxHeader(c);
  const n = c.u32();
  c.need(n * 8);
  const counts = new Uint32Array(n);
  const offsets = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    counts[i] = c.u32();
    offsets[i] = version === 0 ? c.u32() : c.i32();
  }
  return { type: 'ctts', version, counts, offsets };
}

export function writeCtts(box: Omit<Ctts, 'type'>): Uint8Array {
  const w = new ByteWriter(4 + box.counts.length * 8, 'ctts').u32(box.counts.length, 'entry_count');
  box.counts.forEach((count, i) => {
    w.u32(count, 'sample_count');
    const off = box.offsets[i] ?? 0;
    if (box.version === 0) w.u32(off, 'sample_offset');
    else w.i32(off, 'sample_offset');
  });
  return fullBox('ctts', box.version, 0, w.finish());
}
