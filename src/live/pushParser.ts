import { printable, toHex } from '../bmff/box.js';
import { UUID_LIVE_SERVER_MANIFEST } from '../bmff/piff.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { concatBytes } from '../util/concatBytes.js';

/** One whole top-level box of a push, with its place in the request body. */
export interface PushedBox {
  /** `ftyp`, `moov`, `moof`, `mdat`, `mfra`, or `liveManifest` (the live server manifest `uuid` box). */
  type: string;
  /** Byte offset in the request body. */
  offset: number;
  /** The whole box, header included. */
  bytes: Uint8Array;
}

/** 64 MiB: a 2-second fragment at 250 Mbit/s; more is a fault or an attack. */
export const DEFAULT_MAX_BOX_SIZE = 64 * 1024 * 1024;

/** Top-level boxes a live push may carry, in the order the protocol sends them. */
const KNOWN = new Set(['ftyp', 'moov', 'moof', 'mdat', 'mfra', 'free', 'skip', 'styp', 'sidx']);

/**
 * Cuts a fragmented-MP4 live push into whole top-level boxes as its bytes arrive in any
 * chunks (ffmpeg writes its 32 KiB buffer, not fragments). A box is held in memory until it
 * is whole, so each is bounded by `maxBoxSize`; anything that is not a box of a live push
 * (an unknown type, a size that cannot be) throws `live.bad-push` naming the stream and the
 * byte offset, and the caller drops the stream.
 */
export class PushParser {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** Body offset of the first pending byte. */
  private offset = 0;
  /** The size of the box being received, once its header is read. */
  private expected: number | undefined;

  constructor(
    private readonly stream: string,
    private readonly maxBoxSize = DEFAULT_MAX_BOX_SIZE,
  ) {}

  /** The boxes `chunk` completes, in order. */
  push(chunk: Uint8Array): PushedBox[] {
    if (chunk.length === 0) return [];
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const boxes: PushedBox[] = [];
    for (;;) {
      const size = (this.expected ??= this.nextBoxSize());
      if (size === undefined || this.pendingBytes < size) break;
      this.expected = undefined;
      const joined = this.pending.length === 1 ? this.pending[0]! : concatBytes(this.pending);
      const bytes = joined.subarray(0, size);
      boxes.push({ type: boxType(bytes), offset: this.offset, bytes: Uint8Array.from(bytes) });
      const rest = joined.subarray(size);
      this.pending = rest.length > 0 ? [rest] : [];
      this.pendingBytes = rest.length;
      this.offset += size;
    }
    return boxes;
  }

  /** The request ended: a box cut short is an error (the encoder stopped mid-box). */
  end(): void {
    if (this.pendingBytes > 0) {
      throw this.bad(`the push ended inside a box: ${this.pendingBytes} bytes of an unfinished box`, this.offset);
    }
  }

  /** Bytes taken so far, whole boxes only. */
  get consumed(): number {
    return this.offset;
  }

  /** The size of the box at the head of the pending bytes, undefined while its header is incomplete. */
  private nextBoxSize(): number | undefined {
    // A 32-bit size is known after 8 bytes; a 64-bit one after 16.
    if (this.pendingBytes < 8) return undefined;
    const head = this.head(Math.min(this.pendingBytes, 16));
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    let size = view.getUint32(0);
    const type = String.fromCharCode(head[4]!, head[5]!, head[6]!, head[7]!);
    if (size === 1) {
      if (head.length < 16) return undefined;
      const big = view.getBigUint64(8);
      size = big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
    } else if (size === 0) {
      throw this.bad(`box '${printable(type)}' declares size 0 (to the end of the file): a live push must give every box's size`, this.offset);
    }
    if (type !== 'uuid' && !KNOWN.has(type)) {
      throw this.bad(`expected a top-level box of a live push (ftyp, the live server manifest, moov, moof, mdat, mfra), found '${printable(type)}': not a fragmented MP4 push, or bytes lost`, this.offset);
    }
    if (size < 8) throw this.bad(`box '${printable(type)}' declares size ${size}, smaller than its header`, this.offset);
    if (size > this.maxBoxSize) {
      throw this.bad(`box '${printable(type)}' of ${size} bytes is larger than --max-fragment-size (${this.maxBoxSize} bytes)`, this.offset);
    }
    return size;
  }

  /** The first `n` pending bytes (joining only the chunks they span). */
  private head(n: number): Uint8Array {
    const first = this.pending[0]!;
    if (first.length >= n) return first.subarray(0, n);
    const spanned: Uint8Array[] = [];
    for (let got = 0, i = 0; got < n; i++) {
      spanned.push(this.pending[i]!);
      got += this.pending[i]!.length;
    }
    return concatBytes(spanned).subarray(0, n);
  }

  private bad(message: string, offset: number): SmoothpubError {
    return new SmoothpubError(ErrorCode.LIVE_BAD_PUSH, `stream ${this.stream}: ${message}`, { file: this.stream, offset });
  }
}

/** A pushed box's type; the live server manifest `uuid` box as `liveManifest`. */
function boxType(bytes: Uint8Array): string {
  const type = String.fromCharCode(bytes[4]!, bytes[5]!, bytes[6]!, bytes[7]!);
  if (type !== 'uuid') return type;
  const large = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0) === 1;
  const start = large ? 16 : 8;
  return toHex(bytes.subarray(start, start + 16)) === UUID_LIVE_SERVER_MANIFEST ? 'liveManifest' : 'uuid';
}
