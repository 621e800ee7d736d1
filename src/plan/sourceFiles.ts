import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ErrorCode, SmoothpubError } from '../errors.js';
import type { ObjectBody } from './plan.js';
import { localAccess, type SourceAccess } from '../source/sourceAccess.js';
import type { ByteSource } from '../source/source.js';
import { fragmentParts, type FragmentPart } from '../fragments/fragmentParts.js';
import { readFragmentBytes } from '../fragments/readFragmentBytes.js';
import type { BuiltFragment } from '../fragments/types.js';

/** Bodies at most this large are read once into memory (hash + upload); larger ones stream twice. */
export const IN_MEMORY_LIMIT = 8 * 1024 * 1024;
/** Pieces of a larger body read through a byte source (a remote one: one Range request each). */
const STREAM_CHUNK = 1024 * 1024;

/** A planned object's bytes, ready to hash and send. */
export interface LoadedBody {
  size: number;
  md5: Uint8Array;
  /** A fresh body per attempt: the bytes, or a new range stream of the source. */
  open(): Uint8Array | Readable;
}

/**
 * Reads planned bodies from their source files through one byte source per file, closed
 * after the file's last announced body: a source rendition serves thousands of
 * fragments through one descriptor, while a packaged folder (one file per object)
 * never holds more descriptors than reads in flight. Files are local paths, or whatever
 * `access` opens (the objects of a store prefix).
 */
export class SourceFiles {
  private readonly handles = new Map<string, Promise<ByteSource>>();
  private readonly uses = new Map<string, number>();

  /** Every body that will be loaded; files not announced here stay open until close(). */
  constructor(
    bodies: Iterable<ObjectBody> = [],
    private readonly access: SourceAccess = localAccess,
  ) {
    for (const b of bodies) if (b.kind === 'range') this.uses.set(b.file, (this.uses.get(b.file) ?? 0) + 1);
  }

  private async used(file: string): Promise<void> {
    const left = this.uses.get(file);
    if (left === undefined) return;
    if (left > 1) {
      this.uses.set(file, left - 1);
      return;
    }
    this.uses.delete(file);
    const fh = this.handles.get(file);
    this.handles.delete(file);
    await fh?.then((h) => h.close(), () => undefined);
  }

  private handle(file: string): Promise<ByteSource> {
    let fh = this.handles.get(file);
    if (!fh) {
      fh = this.access.open(file);
      this.handles.set(file, fh);
    }
    return fh;
  }

  async load(body: ObjectBody): Promise<LoadedBody> {
    if (body.kind === 'bytes') {
      const data = body.data;
      return { size: data.length, md5: md5(data), open: () => data };
    }
    try {
      if (body.built) return await this.loadBuilt(body.file, fragmentParts(body), body.built, body.size, body.offset);
      return await this.loadRange(body.file, body.offset, body.size);
    } finally {
      await this.used(body.file);
    }
  }

  /** A built fragment is small (one fragment's samples): always loaded into memory, a protected one encrypted there. */
  private async loadBuilt(file: string, parts: FragmentPart[], built: BuiltFragment, size: number, offset: number): Promise<LoadedBody> {
    const src = await this.handle(file);
    const data = await readFragmentBytes(parts, built, (offset, length) => src.read(offset, length));
    if (data.length < size) throw shortRead(file, offset);
    return { size, md5: md5(data), open: () => data };
  }

  private async loadRange(file: string, offset: number, size: number): Promise<LoadedBody> {
    if (size <= IN_MEMORY_LIMIT) {
      const data = await (await this.handle(file)).read(offset, size);
      if (data.length < size) throw shortRead(file, offset + data.length);
      return { size, md5: md5(data), open: () => data };
    }
    const access = this.access;
    // Each attempt opens its own reader: the upload may retry after this file's shared one is closed.
    const range = (): Readable => access.streamRange?.(file, offset, size) ?? Readable.from(readRange(access, file, offset, size), { objectMode: false });
    const hash = createHash('md5');
    let seen = 0;
    await pipeline(range(), async function* (chunks: AsyncIterable<Buffer>) {
      for await (const c of chunks) {
        seen += c.length;
        hash.update(c);
      }
      yield* [];
    });
    if (seen !== size) throw shortRead(file, offset + seen);
    return { size, md5: new Uint8Array(hash.digest()), open: range };
  }

  async close(): Promise<void> {
    for (const fh of this.handles.values()) await fh.then((h) => h.close(), () => undefined);
    this.handles.clear();
  }
}

async function* readRange(access: SourceAccess, file: string, offset: number, size: number): AsyncGenerator<Uint8Array> {
  const src = await access.open(file);
  try {
    for (let done = 0; done < size; ) {
      const piece = await src.read(offset + done, Math.min(STREAM_CHUNK, size - done));
      if (piece.length === 0) throw shortRead(file, offset + done);
      done += piece.length;
      yield piece;
    }
  } finally {
    await src.close();
  }
}

function md5(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('md5').update(data).digest());
}

function shortRead(file: string, at: number): SmoothpubError {
  return new SmoothpubError(ErrorCode.READ_FAILED, 'source ended early; was it changed after indexing?', { file, offset: at });
}
