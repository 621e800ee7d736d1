import { read, readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * Reads up to `length` bytes at `offset` (into `into` when given, at least `length` long),
 * looping over short reads; fewer come back only where the file ends.
 */
export async function readAt(fh: FileHandle, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
  const buf = into ? into.subarray(0, Math.max(0, length)) : new Uint8Array(Math.max(0, length));
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, offset + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === buf.length ? buf : buf.subarray(0, got);
}

/**
 * The same over a plain descriptor of a file of `size` bytes, with callback fs: the
 * origin reads on every request, and FileHandle costs about twice as much CPU per read.
 */
export async function readFdAt(fd: number, size: number, offset: number, length: number): Promise<Uint8Array> {
  const len = Math.max(0, Math.min(length, size - offset));
  // Unzeroed: every byte is overwritten by the read (or cut off by subarray below).
  const buf = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const n = await new Promise<number>((ok, fail) => read(fd, buf, got, len - got, offset + got, (e, bytes) => (e ? fail(e) : ok(bytes))));
    if (n === 0) break;
    got += n;
  }
  return got === len ? buf : buf.subarray(0, got);
}

/** The same with a blocking read into `into` (for a thread that only writes files); returns the bytes read. */
export function readFdAtSync(fd: number, offset: number, into: Uint8Array): number {
  let got = 0;
  while (got < into.length) {
    const n = readSync(fd, into, got, into.length - got, offset + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}
