import { type Cursor, readFullBoxHeader } from './cursor.js';
import { type BoxInput, ByteWriter, fullBox } from './writer.js';

export interface Mdhd {
  type: 'mdhd';
  version: number;
  timescale: number;
  duration: bigint;
  /** ISO 639-2/T code, e.g. 'eng'; 'und' when unset. */
  language: string;
}

export function readMdhd(c: Cursor): Mdhd {
  const { version } = readFullBoxHeader(c);
  c.skip(version === 1 ? 16 : 8);
  const timescale = c.u32();
  const duration = version === 1 ? c.u64() : BigInt(c.u32());
  const packed = c.u16();
  return { type: 'mdhd', version, timescale, duration, language: unpackLanguage(packed) };
}

/** ISO 639-2/T packed as three 5-bit letters offset by 0x60. */
export function unpackLanguage(packed: number): string {
  if (packed === 0 || packed === 0x7fff) return 'und';
  const chars = [(packed >> 10) & 31, (packed >> 5) & 31, packed & 31].map((v) => String.fromCharCode(v + 0x60));
  const lang = chars.join('');
  return /^[a-z]{3}$/.test(lang) ? lang : 'und';
}

export function packLanguage(lang: string): number {
  const l = /^[a-z]{3}$/.test(lang) ? lang : 'und';
  return ((l.charCodeAt(0) - 0x60) << 10) | ((l.charCodeAt(1) - 0x60) << 5) | (l.charCodeAt(2) - 0x60);
}

/** Creation and modification times are written as 0. */
export function writeMdhd(box: BoxInput<Mdhd>): Uint8Array {
  const v1 = box.version === 1;
  const w = new ByteWriter(v1 ? 32 : 20, 'mdhd');
  w.zeros(v1 ? 16 : 8).u32(box.timescale, 'timescale');
  if (v1) w.u64(box.duration, 'duration');
  else w.u32Big(box.duration, 'duration');
  w.u16(packLanguage(box.language), 'language').u16(0); // pre_defined
  return fullBox('mdhd', box.version, 0, w.finish());
}
