// A tiny ISO BMFF box walker for tests, independent of src/bmff (so a bug there cannot hide
// itself), and byte patching helpers. Meant for well-formed fixtures: it stops at the first
// box that does not fit.

export interface RawBox {
  type: string;
  path: string;
  start: number;
  headerSize: number;
  end: number;
}

/** Containers and the bytes of fields before their first child box. */
const CONTAINERS: Record<string, number> = {
  moov: 0, trak: 0, mdia: 0, minf: 0, stbl: 0, mvex: 0, edts: 0, dinf: 0, udta: 0,
  moof: 0, traf: 0, mfra: 0, sinf: 0,
  stsd: 8, // version/flags, entry_count
  avc1: 78, // VisualSampleEntry fields
  mp4a: 28, // AudioSampleEntry (version 0) fields
};

export function u32(b: Uint8Array, at: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at);
}

export function typeAt(b: Uint8Array, at: number): string {
  return String.fromCharCode(...b.subarray(at + 4, at + 8));
}

/** Header of the box at `at` as the spec defines it, or undefined if it does not fit in `end`. */
export function rawHeader(b: Uint8Array, at: number, end: number): { size: number; headerSize: number } | undefined {
  if (at + 8 > end) return undefined;
  let size = u32(b, at);
  let headerSize = 8;
  if (size === 1) {
    if (at + 16 > end) return undefined;
    size = Number(new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(at + 8));
    headerSize = 16;
  } else if (size === 0) {
    size = end - at;
  }
  if (typeAt(b, at) === 'uuid') headerSize += 16;
  if (size < headerSize || at + size > end) return undefined;
  return { size, headerSize };
}

export function walkBoxes(b: Uint8Array, start = 0, end = b.length, parent = '', out: RawBox[] = []): RawBox[] {
  let pos = start;
  while (pos < end) {
    const h = rawHeader(b, pos, end);
    if (!h) break;
    const type = typeAt(b, pos);
    const box = { type, path: `${parent}${type}`, start: pos, headerSize: h.headerSize, end: pos + h.size };
    out.push(box);
    const skip = CONTAINERS[type];
    if (skip !== undefined) walkBoxes(b, pos + h.headerSize + skip, box.end, `${box.path}/`, out);
    pos = box.end;
  }
  return out;
}


export function setU32(b: Uint8Array, at: number, v: number): void {
  if (at >= 0 && at + 4 <= b.length) new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(at, v >>> 0);
}

export function setU64(b: Uint8Array, at: number, v: bigint): void {
  if (at >= 0 && at + 8 <= b.length) new DataView(b.buffer, b.byteOffset, b.byteLength).setBigUint64(at, BigInt.asUintN(64, v));
}
