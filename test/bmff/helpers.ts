import { Cursor } from '../../src/bmff/cursor.js';
import { type BoxHeader, readBoxHeader } from '../../src/bmff/box.js';
import { SmoothpubError } from '../../src/errors.js';

/** The bytes of a four-character code, for readable literal arrays: `...ascii('tfhd')`. */
export function ascii(s: string): number[] {
  return [...s].map((ch) => ch.charCodeAt(0));
}

/**
 * Reads a complete box as a file would: header first, then the reader over the
 * payload. `base` pretends the box sits at that file offset.
 */
export function readBack<T>(bytes: Uint8Array, read: (c: Cursor) => T, base = 0): { header: BoxHeader; box: T; left: number } {
  const c = new Cursor(bytes, base);
  const header = readBoxHeader(c, base + bytes.length);
  const payload = c.sub(header.size - header.headerSize, header.type);
  const box = read(payload);
  return { header, box, left: payload.remaining };
}

/** Runs `read` over the payload of `bytes` with its last `cut` bytes missing. */
export function readTruncated<T>(bytes: Uint8Array, read: (c: Cursor) => T, cut: number, base: number): T {
  const c = new Cursor(bytes, base);
  const header = readBoxHeader(c, base + bytes.length);
  return read(new Cursor(bytes, base, header.type, header.headerSize, bytes.length - cut));
}

/** An assert.throws matcher for a SmoothpubError with this code (and absolute offset). */
export function smoothpubError(code: string, offset?: number): (e: unknown) => boolean {
  return (e: unknown) => {
    if (!(e instanceof SmoothpubError)) return false;
    if (e.code !== code) throw new Error(`expected code ${code}, got ${e.code}: ${e.message}`);
    if (offset !== undefined && e.context.offset !== offset) throw new Error(`expected offset ${offset}, got ${e.context.offset}: ${e.message}`);
    return true;
  };
}
