import { open, stat as statPath, type FileHandle } from 'node:fs/promises';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { readAt, readFdAtSync } from './readAt.js';
import type { ByteSource } from './source.js';

export interface FileSource extends ByteSource {
  readonly mtimeMs: number;
}

export interface FileSourceOptions {
  /**
   * Read with blocking calls on the caller's thread. For a batch command reading a file's
   * thousands of small `moof`s from the page cache: a blocking read of a few KiB costs a
   * few microseconds, a round trip through libuv's thread pool many times that. Never for
   * a server, where a read from a slow disk would stall every request.
   */
  blocking?: boolean;
}

/** Opens a local file for random-access reads. */
export async function openFileSource(path: string, options: FileSourceOptions = {}): Promise<FileSource> {
  let fh: FileHandle;
  try {
    // Checked before opening: opening a FIFO (a named pipe, `<(...)`) waits for a writer, and
    // a pipe cannot be read at random offsets anyway.
    if (!(await statPath(path)).isFile()) throw new SmoothpubError(ErrorCode.UNSUPPORTED_INPUT, 'not a regular file (a media source is read at random offsets: give a file, not a pipe or device)', { file: path });
    fh = await open(path, 'r');
  } catch (e) {
    if (e instanceof SmoothpubError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new SmoothpubError(ErrorCode.READ_FAILED, `cannot open: ${err.code ?? err.message}`, { file: path }, { cause: e });
  }
  const stat = await fh.stat();
  if (!stat.isFile()) {
    await fh.close();
    throw new SmoothpubError(ErrorCode.UNSUPPORTED_INPUT, 'not a regular file', { file: path });
  }
  if (options.blocking) return blockingSource(path, fh, stat.size, stat.mtimeMs);
  return {
    name: path,
    size: stat.size,
    mtimeMs: stat.mtimeMs,
    async read(offset: number, length: number): Promise<Uint8Array> {
      return readAt(fh, offset, Math.min(length, stat.size - offset));
    },
    async readInto(offset: number, into: Uint8Array): Promise<number> {
      return (await readAt(fh, offset, Math.min(into.length, stat.size - offset), into)).length;
    },
    close: () => fh.close(),
  };
}

function blockingSource(path: string, fh: FileHandle, size: number, mtimeMs: number): FileSource {
  const readSpan = (offset: number, into: Uint8Array): number => readFdAtSync(fh.fd, offset, into.subarray(0, Math.max(0, Math.min(into.length, size - offset))));
  return {
    name: path,
    size,
    mtimeMs,
    read(offset: number, length: number): Promise<Uint8Array> {
      // A plain Uint8Array, as the other reads return: Buffer's slice() would not copy.
      const buf = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      const got = readFdAtSync(fh.fd, offset, buf);
      return Promise.resolve(got === buf.length ? buf : buf.subarray(0, got));
    },
    readInto(offset: number, into: Uint8Array): Promise<number> {
      return Promise.resolve(readSpan(offset, into));
    },
    close: () => fh.close(),
  };
}
