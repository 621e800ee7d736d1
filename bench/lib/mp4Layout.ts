// An independent box walk over a plain MP4, so the benchmark can show what its inputs
// really are (moov before or after mdat, 32- or 64-bit chunk offsets, a 64-bit mdat size)
// without trusting the code under test to say so.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface Mp4Layout {
  /** Top-level box types in file order. */
  topLevel: string[];
  moovAtEnd: boolean;
  /** True when the (first) mdat uses the 64-bit largesize header (size field 1). */
  mdatLargeSize: boolean;
  /** The chunk offset box of each track in moov order: 'stco' or 'co64'. */
  chunkOffsetBoxes: string[];
  /** The largest chunk offset of any track. */
  maxChunkOffset: number;
  bytes: number;
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);

function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, offset);
  if (n !== length) throw new Error(`short read: ${n} of ${length} bytes at ${offset}`);
  return buf;
}

function fourcc(buf: Buffer, at: number): string {
  return buf.toString('latin1', at, at + 4);
}

export function readMp4Layout(file: string): Mp4Layout {
  const fd = openSync(file, 'r');
  try {
    const bytes = fstatSync(fd).size;
    const topLevel: string[] = [];
    let mdatLargeSize: boolean | undefined;
    let moov: Buffer | undefined;
    for (let at = 0; at + 8 <= bytes; ) {
      const head = readAt(fd, at, Math.min(16, bytes - at));
      const type = fourcc(head, 4);
      let size = head.readUInt32BE(0);
      let headerSize = 8;
      if (size === 1) {
        size = Number(head.readBigUInt64BE(8));
        headerSize = 16;
      } else if (size === 0) {
        size = bytes - at;
      }
      if (size < headerSize) throw new Error(`${file}: bad box size ${size} at ${at}`);
      topLevel.push(type);
      if (type === 'mdat' && mdatLargeSize === undefined) mdatLargeSize = headerSize === 16;
      if (type === 'moov') moov = readAt(fd, at + headerSize, size - headerSize);
      at += size;
    }
    if (!moov) throw new Error(`${file}: no moov`);
    const chunkOffsetBoxes: string[] = [];
    let maxChunkOffset = 0;
    const walk = (buf: Buffer): void => {
      for (let at = 0; at + 8 <= buf.length; ) {
        let size = buf.readUInt32BE(at);
        const type = fourcc(buf, at + 4);
        let headerSize = 8;
        if (size === 1) {
          size = Number(buf.readBigUInt64BE(at + 8));
          headerSize = 16;
        }
        const payload = buf.subarray(at + headerSize, at + size);
        if (CONTAINERS.has(type)) walk(payload);
        if (type === 'stco' || type === 'co64') {
          chunkOffsetBoxes.push(type);
          const count = payload.readUInt32BE(4);
          for (let i = 0; i < count; i++) {
            const offset = type === 'stco' ? payload.readUInt32BE(8 + 4 * i) : Number(payload.readBigUInt64BE(8 + 8 * i));
            if (offset > maxChunkOffset) maxChunkOffset = offset;
          }
        }
        at += size;
      }
    };
    walk(moov);
    const moovIndex = topLevel.indexOf('moov');
    return { topLevel, moovAtEnd: moovIndex > topLevel.indexOf('mdat'), mdatLargeSize: mdatLargeSize ?? false, chunkOffsetBoxes, maxChunkOffset, bytes };
  } finally {
    closeSync(fd);
  }
}
