import { type Cursor, readFullBoxHeader } from './cursor.js';
import { ByteWriter, fullBox } from './writer.js';

/** Sync samples (ISO/IEC 14496-12 8.6.2): 1-based numbers of the keyframes, increasing. Absent box: every sample is one. */
export interface Stss {
  type: 'stss';
  sampleNumbers: Uint32Array;
}

export function readStss(c: Cursor): Stss {
  readFullBoxHeader(c);
  const n = c.u32();
  c.need(n * 4);
  const sampleNumbers = new Uint32Array(n);
  for (let i = 0; i < n; i++) sampleNumbers[i] = c.u32();
  return { type: 'stss', sampleNumbers };
}

export function writeStss(box: Omit<Stss, 'type'>): Uint8Array {
  const w = new ByteWriter(4 + box.sampleNumbers.length * 4, 'stss').u32(box.sampleNumbers.length, 'entry_count');
  for (const s of box.sampleNumbers) w.u32(s, 'sample_number');
  return fullBox('stss', 0, 0, w.finish());
}
