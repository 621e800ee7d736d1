import { type Cursor, readFullBoxHeader } from './cursor.js';

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
