import { open, stat as statPath, type FileHandle } from 'node:fs/promises';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { readAt } from './readAt.js';
import type { ByteSource } from './source.js';

export interface FileSource extends ByteSource {
  readonly mtimeMs: number;
}

/** Opens a local file for random-access reads. */
export async function openFileSource(path: string): Promise<FileSource> {
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
