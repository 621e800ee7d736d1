import { ErrorCode, SmoothpubError } from '../errors.js';
import { Cursor } from './cursor.js';

/** A box located in a file or buffer; `offset` is absolute, `size` includes the header. */
export interface BoxHeader {
  type: string;
  /** 16-byte user type of a `uuid` box, as lowercase hex without dashes. */
  uuid?: string;
  offset: number;
  size: number;
  headerSize: number;
}

/** Longest possible header: size, type, largesize, uuid. */
export const MAX_BOX_HEADER = 32;

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += HEX[b];
  return s;
}

/**
 * Parse the header of the box at `c.pos`, checking it fits in `limit` (the parent's
 * end, or the file size). Leaves the cursor after the header.
 */
export function readBoxHeader(c: Cursor, limit: number, parent = 'file'): BoxHeader {
  const offset = c.offset;
  let size = c.u32();
  const type = c.fourcc();
  let headerSize = 8;
  if (size === 1) {
    size = c.u64Number();
    headerSize = 16;
  } else if (size === 0) {
    size = limit - offset; // box extends to the end of its container
  }
  let uuid: string | undefined;
  if (type === 'uuid') {
    uuid = toHex(c.bytesOf(16));
    headerSize += 16;
  }
  if (size < headerSize) {
    throw new SmoothpubError(ErrorCode.BAD_BOX_SIZE, `box '${printable(type)}' declares size ${size}, smaller than its ${headerSize}-byte header`, { offset, boxPath: `${parent}/${printable(type)}` });
  }
  if (offset + size > limit) {
    throw new SmoothpubError(
      ErrorCode.BAD_BOX_SIZE,
      `box '${printable(type)}' of ${size} bytes overruns its ${parent === 'file' ? 'file' : `parent '${parent}'`} by ${offset + size - limit} bytes`,
      { offset, boxPath: `${parent}/${printable(type)}` },
    );
  }
  return uuid === undefined ? { type, offset, size, headerSize } : { type, uuid, offset, size, headerSize };
}

/** Box types are printed in messages; keep garbage readable. */
export function printable(type: string): string {
  return /^[\x20-\x7e]{4}$/.test(type) ? type : JSON.stringify(type);
}

/** A box whose bytes are in memory: header plus a cursor over its payload. */
export interface Box extends BoxHeader {
  payload: Cursor;
}

export interface ChildBoxOptions {
  /**
   * Accept a 32-bit zero after the last child. QuickTime lets an atom list end so
   * (QTFF "Atoms"), and GStreamer's qtmux ends every video sample description's
   * extensions with one; only sample entries' child lists ask for it, so anywhere
   * else the same 4 bytes stay an error.
   */
  zeroTerminator?: boolean;
}

/** Child boxes of an in-memory container payload, in order. */
export function* childBoxes(c: Cursor, parent: string, options: ChildBoxOptions = {}): Generator<Box> {
  while (c.remaining > 0) {
    if (options.zeroTerminator === true && c.remaining === 4 && c.bytes[c.pos] === 0 && c.bytes[c.pos + 1] === 0 && c.bytes[c.pos + 2] === 0 && c.bytes[c.pos + 3] === 0) {
      c.skip(4);
      return;
    }
    if (c.remaining < 8) {
      throw new SmoothpubError(ErrorCode.TRUNCATED_BOX, `'${parent}' ends with ${c.remaining} stray bytes, too few for a box header`, { offset: c.offset, boxPath: parent });
    }
    const header = readBoxHeader(c, c.base + c.end, parent);
    const payloadSize = header.size - header.headerSize;
    const payload = c.sub(payloadSize, `${parent}/${header.type}`);
    yield { ...header, payload };
  }
}

/** The first child of the given type, or undefined. */
export function findChild(c: Cursor, parent: string, type: string): Box | undefined {
  for (const box of childBoxes(new Cursor(c.bytes, c.base, parent, c.pos, c.end), parent)) {
    if (box.type === type) return box;
  }
  return undefined;
}

export function requireChild(c: Cursor, parent: string, type: string): Box {
  const box = findChild(c, parent, type);
  if (!box) {
    throw new SmoothpubError(ErrorCode.MISSING_BOX, `'${parent}' has no '${type}' box`, { offset: c.offset, boxPath: parent });
  }
  return box;
}

export function allChildren(c: Cursor, parent: string, type: string): Box[] {
  const out: Box[] = [];
  for (const box of childBoxes(new Cursor(c.bytes, c.base, parent, c.pos, c.end), parent)) {
    if (box.type === type) out.push(box);
  }
  return out;
}
