import { ErrorCode, SmoothpubError } from '../errors.js';

/**
 * Big-endian writer over a buffer of a size computed up front ("compute the size,
 * then fill"). Every value is range-checked: DataView would silently wrap a
 * negative or oversized number into a valid-looking but wrong box.
 */
export class ByteWriter {
  readonly bytes: Uint8Array;
  readonly what: string;
  private readonly view: DataView;
  pos = 0;

  constructor(size: number, what = 'box') {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    this.what = what;
  }

  u8(v: number, field = 'value'): this {
    this.view.setUint8(this.at(1), checkUint(v, 8, this.what, field));
    return this;
  }

  u16(v: number, field = 'value'): this {
    this.view.setUint16(this.at(2), checkUint(v, 16, this.what, field));
    return this;
  }

  u24(v: number, field = 'value'): this {
    checkUint(v, 24, this.what, field);
    const p = this.at(3);
    this.view.setUint8(p, v >>> 16);
    this.view.setUint16(p + 1, v & 0xffff);
    return this;
  }

  u32(v: number, field = 'value'): this {
    this.view.setUint32(this.at(4), checkUint(v, 32, this.what, field));
    return this;
  }

  i32(v: number, field = 'value'): this {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw outOfRange(v, 'a signed 32-bit integer', this.what, field);
    this.view.setInt32(this.at(4), v);
    return this;
  }

  /** A bigint that must fit in 32 bits (a version-0 time or duration). */
  u32Big(v: bigint, field = 'value'): this {
    if (v < 0n || v > 0xffffffffn) throw outOfRange(v, 'an unsigned 32-bit integer (use version 1 for larger values)', this.what, field);
    return this.u32(Number(v), field);
  }

  u64(v: bigint, field = 'value'): this {
    if (v < 0n || v > 0xffffffffffffffffn) throw outOfRange(v, 'an unsigned 64-bit integer', this.what, field);
    this.view.setBigUint64(this.at(8), v);
    return this;
  }

  /** Signed 64-bit value, stored as two's complement. */
  i64(v: bigint, field = 'value'): this {
    if (v < -(1n << 63n) || v >= 1n << 63n) throw outOfRange(v, 'a signed 64-bit integer', this.what, field);
    this.view.setBigInt64(this.at(8), v);
    return this;
  }

  /** An unsigned integer in `n` bytes (1–4), for variable-length fields like tfra's. */
  uint(v: number, n: number, field = 'value'): this {
    checkUint(v, n * 8, this.what, field);
    for (let i = n - 1; i >= 0; i--) this.view.setUint8(this.at(1), Math.floor(v / 2 ** (8 * i)) & 0xff);
    return this;
  }

  bytesOf(b: Uint8Array): this {
    this.bytes.set(b, this.at(b.length));
    return this;
  }

  fourcc(s: string): this {
    return this.bytesOf(cachedFourcc(s));
  }

  zeros(n: number): this {
    this.at(n); // a fresh buffer is already zero
    return this;
  }

  /** The filled bytes; throws if the size computed up front was wrong. */
  finish(): Uint8Array {
    if (this.pos !== this.bytes.length) {
      throw new SmoothpubError(ErrorCode.BAD_BOX, `writing ${this.what}: computed ${this.bytes.length} bytes, filled ${this.pos}`, { boxPath: this.what });
    }
    return this.bytes;
  }

  private at(n: number): number {
    const p = this.pos;
    if (p + n > this.bytes.length) {
      throw new SmoothpubError(ErrorCode.BAD_BOX, `writing ${this.what}: computed ${this.bytes.length} bytes, but fields need more`, { boxPath: this.what });
    }
    this.pos += n;
    return p;
  }
}

function checkUint(v: number, bits: number, what: string, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits) throw outOfRange(v, `an unsigned ${bits}-bit integer`, what, field);
  return v;
}

function outOfRange(v: number | bigint, expected: string, what: string, field: string): SmoothpubError {
  return new SmoothpubError(ErrorCode.BAD_BOX, `cannot write ${what}: ${field} must be ${expected}, got ${v}`, { boxPath: what });
}

/** The 4 bytes of a box type or FourCC; each character must be a single byte. */
export function fourccBytes(s: string): Uint8Array {
  return cachedFourcc(s).slice();
}

/** A 16-byte uuid from 32 hex digits (dashes allowed), as `readBoxHeader` reports it without them. */
export function uuidToBytes(hex: string): Uint8Array {
  return cachedUuid(hex).slice();
}

// Box types and uuids come from a handful of constants, and a plain MP4 served or packaged
// builds thousands of fragment heads from them: each is checked and converted once. The
// cached arrays never leave this module (callers above get copies).
const fourccs = new Map<string, Uint8Array>();
const uuids = new Map<string, Uint8Array>();

function cachedFourcc(s: string): Uint8Array {
  let bytes = fourccs.get(s);
  if (bytes === undefined) {
    if (s.length !== 4 || [...s].some((ch) => ch.charCodeAt(0) > 0xff)) {
      throw new SmoothpubError(ErrorCode.BAD_BOX, `cannot write box type ${JSON.stringify(s)}: expected 4 one-byte characters`);
    }
    bytes = Uint8Array.of(s.charCodeAt(0), s.charCodeAt(1), s.charCodeAt(2), s.charCodeAt(3));
    if (fourccs.size < 1024) fourccs.set(s, bytes);
  }
  return bytes;
}

function cachedUuid(hex: string): Uint8Array {
  let bytes = uuids.get(hex);
  if (bytes === undefined) {
    const digits = hex.replace(/-/g, '');
    if (!/^[0-9a-fA-F]{32}$/.test(digits)) {
      throw new SmoothpubError(ErrorCode.BAD_BOX, `cannot write uuid box: expected 32 hex digits, got ${JSON.stringify(hex)}`);
    }
    bytes = Uint8Array.from(digits.match(/../g)!, (h) => parseInt(h, 16));
    if (uuids.size < 1024) uuids.set(hex, bytes);
  }
  return bytes;
}

const MAX_U32 = 0xffffffff;

/**
 * What a `writeX` takes: the object its reader returns, `type` optional so callers
 * can write `writeMfhd({ sequenceNumber: 1 })`.
 */
export type BoxInput<T extends { type: string }> = Omit<T, 'type'> & { type?: T['type'] };

export interface BoxHeaderOptions {
  /** Write a 64-bit largesize even when the size fits in 32 bits. */
  largesize?: boolean;
  /** For `uuid` boxes: the user type as 32 hex digits. */
  uuid?: string;
}

/** The header size boxHeader writes for a box (not a `uuid`) of `payloadSize` bytes: 8, or 16 with a 64-bit largesize. */
export function plainHeaderSize(payloadSize: number): number {
  return 8 + payloadSize > MAX_U32 ? 16 : 8;
}

/**
 * The header of a box whose payload is `payloadSize` bytes (e.g. an `mdat` whose
 * body is streamed from elsewhere). Switches to a 64-bit largesize when needed.
 */
export function boxHeader(type: string, payloadSize: number, options: BoxHeaderOptions = {}): Uint8Array {
  const typeBytes = cachedFourcc(type);
  const uuid = options.uuid === undefined ? undefined : cachedUuid(options.uuid);
  if ((type === 'uuid') !== (uuid !== undefined)) {
    throw new SmoothpubError(ErrorCode.BAD_BOX, `cannot write box '${type}': a user type is given exactly for 'uuid' boxes`);
  }
  const rest = uuid === undefined ? 0 : 16;
  const large = options.largesize === true || plainHeaderSize(rest + payloadSize) === 16;
  const headerSize = (large ? 16 : 8) + rest;
  const size = headerSize + payloadSize;
  if (!Number.isSafeInteger(size) || payloadSize < 0) {
    throw new SmoothpubError(ErrorCode.BAD_BOX, `cannot write box '${type}': payload size ${payloadSize} is invalid`);
  }
  const w = new ByteWriter(headerSize, type);
  w.u32(large ? 1 : size, 'size').bytesOf(typeBytes);
  if (large) w.u64(BigInt(size), 'largesize');
  if (uuid !== undefined) w.bytesOf(uuid);
  return w.finish();
}

function concat(parts: Uint8Array[], total: number, first: Uint8Array): Uint8Array {
  const out = new Uint8Array(first.length + total);
  out.set(first, 0);
  let p = first.length;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

function totalLength(parts: Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}

/** A complete box: header (size computed from the payloads) followed by the payloads. */
export function box(type: string, ...payloads: Uint8Array[]): Uint8Array {
  const n = totalLength(payloads);
  return concat(payloads, n, boxHeader(type, n));
}

/** Version (8 bits) and flags (24 bits) of a FullBox. */
export function versionAndFlags(version: number, flags: number, what = 'box'): Uint8Array {
  return new ByteWriter(4, what).u8(version, 'version').u24(flags, 'flags').finish();
}

/** A complete FullBox: header, version, flags, payloads. */
export function fullBox(type: string, version: number, flags: number, ...payloads: Uint8Array[]): Uint8Array {
  return box(type, versionAndFlags(version, flags, type), ...payloads);
}

/** A complete `uuid` FullBox, as PIFF's tfxd and tfrf are. */
export function uuidBox(uuidHex: string, version: number, flags: number, ...payloads: Uint8Array[]): Uint8Array {
  const all = [versionAndFlags(version, flags, 'uuid'), ...payloads];
  const n = totalLength(all);
  return concat(all, n, boxHeader('uuid', n, { uuid: uuidHex }));
}

/** A value the box's flags promise; a missing one is the caller's mistake, named here. */
export function required<T>(value: T | undefined, what: string, field: string): T {
  if (value === undefined) {
    throw new SmoothpubError(ErrorCode.BAD_BOX, `cannot write ${what}: its flags call for ${field}, which is missing`, { boxPath: what });
  }
  return value;
}
