import { type Cursor, readFullBoxHeader } from './cursor.js';
import { ByteWriter, fullBox } from './writer.js';

/**
 * Sample to chunk (ISO/IEC 14496-12 8.7.4): from chunk `firstChunks[i]` (1-based) on,
 * each chunk holds `samplesPerChunk[i]` samples, until the next entry's first chunk.
 */
export interface Stsc {
  type: 'stsc';
  firstChunks: Uint32Array;
  samplesPerChunk: Uint32Array;
  sampleDescriptionIndexes: Uint32Array;
}

export function readStsc(c: Cursor): Stsc {
  readFullBoxHeader(c);
  const n = c.u32();
  c.need(n * 12);
  const firstChunks = new Uint32Array(n);
  const samplesPerChunk = new Uint32Array(n);
  const sampleDescriptionIndexes = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    firstChunks[i] = c.u32();
    samplesPerChunk[i] = c.u32();
    sampleDescriptionIndexes[i] = c.u32();
  }
  return { type: 'stsc', firstChunks, samplesPerChunk, sampleDescriptionIndexes };
}

export function writeStsc(box: Omit<Stsc, 'type'>): Uint8Array {
  const w = new ByteWriter(4 + box.firstChunks.length * 12, 'stsc').u32(box.firstChunks.length, 'entry_count');
  box.firstChunks.forEach((first, i) => {
    w.u32(first, 'first_chunk').u32(box.samplesPerChunk[i] ?? 0, 'samples_per_chunk').u32(box.sampleDescriptionIndexes[i] ?? 0, 'sample_description_index');
  });
  return fullBox('stsc', 0, 0, w.finish());
}
