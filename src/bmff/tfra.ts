import { type Cursor, readFullBoxHeader } from './cursor.js';
import { type BoxInput, ByteWriter, fullBox } from './writer.js';

export interface TfraEntry {
  time: bigint;
  moofOffset: number;
  trafNumber: number;
  trunNumber: number;
  sampleNumber: number;
}

export interface Tfra {
  type: 'tfra';
  version: number;
  trackId: number;
  entries: TfraEntry[];
}

export function readTfra(c: Cursor): Tfra {
  const { version } = readFullBoxHeader(c);
  const trackId = c.u32();
  const sizes = c.u32();
  const lenTraf = ((sizes >> 4) & 3) + 1;
  const lenTrun = ((sizes >> 2) & 3) + 1;
  const lenSample = (sizes & 3) + 1;
  const count = c.u32();
  c.need(count * ((version === 1 ? 16 : 8) + lenTraf + lenTrun + lenSample));
  const entries: TfraEntry[] = [];
  for (let i = 0; i < count; i++) {
    const time = version === 1 ? c.u64() : BigInt(c.u32());
    const moofOffset = version === 1 ? c.u64Number() : c.u32();
    entries.push({ time, moofOffset, trafNumber: readVar(c, lenTraf), trunNumber: readVar(c, lenTrun), sampleNumber: readVar(c, lenSample) });
  }
  return { type: 'tfra', version, trackId, entries };
}

function readVar(c: Cursor, bytes: number): number {
  let v = 0;
  for (let i = 0; i < bytes; i++) v = v * 256 + c.u8();
  return v;
}

/** Uses the fewest bytes (1–4) for traf, trun and sample numbers that fit every entry. */
export function writeTfra(box: BoxInput<Tfra>): Uint8Array {
  let lenTraf = 1;
  let lenTrun = 1;
  let lenSample = 1;
  for (const e of box.entries) {
    lenTraf = Math.max(lenTraf, byteLength(e.trafNumber));
    lenTrun = Math.max(lenTrun, byteLength(e.trunNumber));
    lenSample = Math.max(lenSample, byteLength(e.sampleNumber));
  }
  const entrySize = (box.version === 1 ? 16 : 8) + lenTraf + lenTrun + lenSample;
  const w = new ByteWriter(12 + entrySize * box.entries.length, 'tfra')
    .u32(box.trackId, 'track_ID')
    .u32(((lenTraf - 1) << 4) | ((lenTrun - 1) << 2) | (lenSample - 1), 'length_size_of_*_num')
    .u32(box.entries.length, 'number_of_entry');
  for (const e of box.entries) {
    if (box.version === 1) w.u64(e.time, 'time').u64(BigInt(e.moofOffset), 'moof_offset');
    else w.u32Big(e.time, 'time').u32(e.moofOffset, 'moof_offset');
    w.uint(e.trafNumber, lenTraf, 'traf_number').uint(e.trunNumber, lenTrun, 'trun_number').uint(e.sampleNumber, lenSample, 'sample_number');
  }
  return fullBox('tfra', box.version, 0, w.finish());
}

/** Bytes needed for a non-negative integer; larger than 4 is left for the writer to reject. */
function byteLength(v: number): number {
  return v < 0x100 ? 1 : v < 0x10000 ? 2 : v < 0x1000000 ? 3 : 4;
}
