import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { ErrorCode, SmoothpubError } from '../errors.js';
import type { FileSource } from '../source/fileSource.js';

/**
 * Opens a source whose real path was checked to lie inside the root, refusing to
 * follow a symlink put in its place since (O_NOFOLLOW), and anything but a regular file.
 */
export async function openConfinedSource(realPath: string): Promise<FileSource> {
  let fh: FileHandle;
  try {
    fh = await open(realPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    throw new SmoothpubError(ErrorCode.READ_FAILED, `cannot open: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file: realPath }, { cause: e });
  }
  const stat = await fh.stat();
  if (!stat.isFile()) {
    await fh.close();
    throw new SmoothpubError(ErrorCode.READ_FAILED, 'not a regular file', { file: realPath });
  }
  return {
    name: realPath,
    size: stat.size,
    mtimeMs: stat.mtimeMs,
    async read(offset: number, length: number): Promise<Uint8Array> {
      const len = Math.max(0, Math.min(length, stat.size - offset));
      const buf = new Uint8Array(len);
      let got = 0;
      while (got < len) {
        const { bytesRead } = await fh.read(buf, got, len - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === len ? buf : buf.subarray(0, got);
    },
    close: () => fh.close(),
  };
}
