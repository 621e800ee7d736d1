import { ErrorCode, SmoothpubError } from '../errors.js';

/**
 * Bounds-checked big-endian reader over bytes taken from a larger file.
 * `base` is the absolute file offset of bytes[0], so errors name real offsets.
 */
export class Cursor {
  readonly bytes: Uint8Array;
  readonly base: number;
  private readonly view: DataView;
  pos: number;
  readonly end: number;
  readonly what: string;

  constructor(bytes: Uint8Array, base = 0, what = 'box', start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.base = base;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
    this.end = end;
    this.what = what;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Absolute file offset of the next byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new SmoothpubError(
        ErrorCode.TRUNCATED_BOX,
        `${this.what} is truncated: needed ${n} more bytes, ${this.remaining} left`,
        { offset: this.offset, boxPath: this.what },
      );
    }
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.pos++);
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u24(): number {
    this.need(3);
    const v = (this.view.getUint8(this.pos) << 16) | this.view.getUint16(this.pos + 1);
    this.pos += 3;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }

  /** An IEEE 754 double (QuickTime sound description version 2's sample rate). */
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }

  /** A 64-bit size or offset narrowed to a safe JS number (files never reach 2^53 bytes). */
  u64Number(): number {
    this.need(8);
    const hi = this.view.getUint32(this.pos);
    const lo = this.view.getUint32(this.pos + 4);
    // Safe exactly when the high word is below 2^21. Two u32 reads, no BigInt: a co64
    // table holds one offset a sample, hundreds of thousands in a long file.
    if (hi >= 0x200000) {
      const v = (BigInt(hi) << 32n) | BigInt(lo);
      throw new SmoothpubError(ErrorCode.BAD_BOX, `${this.what}: 64-bit value ${v} is too large`, { offset: this.offset, boxPath: this.what });
    }
    this.pos += 8;
    return hi * 2 ** 32 + lo;
  }

  bytesOf(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  fourcc(): string {
    const b = this.bytesOf(4);
    return String.fromCharCode(b[0]!, b[1]!, b[2]!, b[3]!);
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** A cursor over the next n bytes, advancing this one past them. */
  sub(n: number, what: string): Cursor {
    this.need(n);
    const c = new Cursor(this.bytes, this.base, what, this.pos, this.pos + n);
    this.pos += n;
    return c;
  }
}

/** Version and flags of a FullBox. */
export function readFullBoxHeader(c: Cursor): { version: number; flags: number } {
  const version = c.u8();
  const flags = c.u24();
  return { version, flags };
}
