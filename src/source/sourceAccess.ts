import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { openFileSource } from './fileSource.js';
import type { ByteSource } from './source.js';

/**
 * Where a presentation's files are read from: local paths, or the keys of a store prefix
 * (objectSource.ts). Indexing, the `.ism` and the bodies a plan uploads all read through
 * one access, so a remote presentation is read as the same object versions throughout.
 */
export interface SourceAccess {
  /** A small text file (a `.ism` server manifest), whole. */
  readText(file: string): Promise<string>;
  /** The file for random-access reads; close it after use. */
  open(file: string): Promise<ByteSource>;
  /**
   * A fresh stream of `size` bytes at `offset`, where the access has a faster way than reads
   * through `open` (a local file: the kernel's read-ahead, no promise per chunk). Optional.
   */
  streamRange?(file: string, offset: number, size: number): Readable;
}

/** Local files by path: the default everywhere. */
export const localAccess: SourceAccess = {
  async readText(file) {
    try {
      return await readFile(file, 'utf8');
    } catch (e) {
      throw new SmoothpubError(ErrorCode.READ_FAILED, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file }, { cause: e });
    }
  },
  open: (file) => openFileSource(file),
  streamRange: (file, offset, size) => createReadStream(file, { start: offset, end: offset + size - 1 }),
};

/**
 * Local files read with blocking calls (openFileSource `blocking`): for a command that
 * only indexes and then writes, never for a server.
 */
export const blockingLocalAccess: SourceAccess = { ...localAccess, open: (file) => openFileSource(file, { blocking: true }) };
