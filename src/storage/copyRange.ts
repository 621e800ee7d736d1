import type { FileHandle } from 'node:fs/promises';
import { ErrorCode, SmoothpubError } from '../errors.js';

const CHUNK = 1024 * 1024;

/**
 * Copies `size` bytes at `offset` of `from` to the start of `to` through one reused
 * buffer: memory stays bounded whatever the fragment size.
 */
export async function copyRange(from: FileHandle, fromName: string, offset: number, size: number, to: FileHandle, buffer: Uint8Array = new Uint8Array(Math.min(CHUNK, size))): Promise<void> {
  let done = 0;
  while (done < size) {
    const want = Math.min(buffer.length, size - done);
    const { bytesRead } = await from.read(buffer, 0, want, offset + done);
    if (bytesRead === 0) {
      throw new SmoothpubError(ErrorCode.READ_FAILED, `source ended at byte ${offset + done}, expected ${size - done} more bytes; was it changed during the run?`, { file: fromName, offset: offset + done });
    }
    let written = 0;
    while (written < bytesRead) {
      const { bytesWritten } = await to.write(buffer, written, bytesRead - written);
      written += bytesWritten;
    }
    done += bytesRead;
  }
}
