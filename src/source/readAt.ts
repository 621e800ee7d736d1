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
