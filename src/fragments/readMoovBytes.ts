import { MAX_BOX_HEADER, readBoxHeader, type Box, type BoxHeader } from '../bmff/box.js';
import { Cursor } from '../bmff/cursor.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import type { ByteSource } from '../source/source.js';

export interface MoovReadLimits {
  /** A `moov` this small is read in one go (every fragmented file's, and short plain MP4s'). */
  whole: number;
  /** Bytes read at a time while walking a larger one: most of its boxes are small and adjacent. */
  window: number;
  /** A per-sample table larger than this is read only when it is parsed. */
  largeTable: number;
}

export const MOOV_READ_LIMITS: MoovReadLimits = { whole: 1024 * 1024, window: 64 * 1024, largeTable: 16 * 1024 };
/** Of a table left unread: its header and first fields (version, flags, sample_size, sample_count), which readMoov reads. */
const TABLE_HEAD = MAX_BOX_HEADER;

/** Per-sample tables: a long plain MP4's `moov` is almost all these. */
const SAMPLE_TABLES = new Set(['stsz', 'stz2', 'stco', 'co64', 'stts', 'ctts', 'stss', 'stsc', 'sdtp', 'sbgp', 'sgpd', 'subs', 'saiz', 'saio', 'stps', 'padb', 'stdp']);
/** The way to them: the container walked into inside each (so a hostile file cannot nest deeper). */
const WAY_IN: Record<string, string> = { moov: 'trak', trak: 'mdia', mdia: 'minf', minf: 'stbl' };

/** A `moov` in memory, some of its sample tables possibly not (yet). */
export interface MoovBytes {
  /** The `moov` box; the payloads of tables left unread are zeros here. */
  moov: Cursor;
  /**
   * A box's payload: from memory, or read from the source now for a table left unread,
   * into a buffer the next such read reuses: parse it before asking for another.
   */
  payloadOf(box: Box): Promise<Cursor>;
}

/**
 * The `moov` at `h`. A large one (a long plain MP4's: megabytes of sample tables) is
 * read without the payloads of its large tables; they are read one at a time as they
 * are parsed into typed arrays, so the bytes of the whole `moov` are never in memory
 * beside the tables made from them. The image keeps every box at its place (unread
 * payloads stay untouched zero pages), so offsets in messages are the file's.
 */
export async function readMoovBytes(src: ByteSource, h: BoxHeader, limits: MoovReadLimits = MOOV_READ_LIMITS): Promise<MoovBytes> {
  if (h.size <= limits.whole) {
    const moov = new Cursor(await readExactly(src, h.offset, h.size, 'moov'), h.offset, 'moov', h.headerSize, h.size);
    return { moov, payloadOf: (box) => Promise.resolve(box.payload) };
  }
  const image = new Uint8Array(h.size);
  const unread = new Set<number>();
  let largest = 0;
  const end = h.offset + h.size;
  let loadedFrom = 0;
  let loadedTo = 0;
  /** Makes [from, to) present, reading a window from `from` (or just [from, to)) unless the last one covers it. */
  const load = async (from: number, to: number, ahead = true): Promise<void> => {
    if (from >= loadedFrom && to <= loadedTo) return;
    const until = Math.min(end, Math.max(to, ahead ? from + limits.window : to));
    await readExactlyInto(src, from, image.subarray(from - h.offset, until - h.offset), 'moov');
    loadedFrom = from;
    loadedTo = until;
  };
  const walk = async (from: number, to: number, path: string, parent: string): Promise<void> => {
    for (let pos = from; pos < to; ) {
      await load(pos, Math.min(to, pos + MAX_BOX_HEADER));
      const box = readBoxHeader(new Cursor(image, h.offset, path, pos - h.offset, to - h.offset), to, path);
      const boxEnd = pos + box.size;
      if (box.type === WAY_IN[parent] && box.size > limits.window) {
        await walk(pos + box.headerSize, boxEnd, `${path}/${box.type}`, box.type);
      } else if (SAMPLE_TABLES.has(box.type) && box.size > limits.largeTable) {
        await load(pos, Math.min(boxEnd, pos + TABLE_HEAD), false);
        unread.add(pos);
        largest = Math.max(largest, box.size - box.headerSize);
      } else {
        await load(pos, boxEnd);
      }
      pos = boxEnd;
    }
  };
  await load(h.offset, h.offset + h.headerSize);
  await walk(h.offset + h.headerSize, end, 'moov', 'moov');
  let scratch: Uint8Array | undefined;
  return {
    moov: new Cursor(image, h.offset, 'moov', h.headerSize, h.size),
    async payloadOf(box) {
      if (!unread.has(box.offset)) return box.payload;
      // One buffer for every table: fresh ones would all stay allocated until the next
      // garbage collection, which parsing (typed arrays, few objects) seldom triggers.
      scratch ??= new Uint8Array(largest);
      const at = box.offset + box.headerSize;
      const bytes = scratch.subarray(0, box.size - box.headerSize);
      await readExactlyInto(src, at, bytes, box.payload.what);
      return new Cursor(bytes, at, box.payload.what);
    },
  };
}

async function readExactly(src: ByteSource, offset: number, length: number, what: string): Promise<Uint8Array> {
  const bytes = await src.read(offset, length);
  if (bytes.length < length) throw truncated(offset, length, bytes.length, what);
  return bytes;
}

/** Fills `into` from `offset`, in place when the source can, else through a read. */
async function readExactlyInto(src: ByteSource, offset: number, into: Uint8Array, what: string): Promise<void> {
  if (!src.readInto) {
    into.set(await readExactly(src, offset, into.length, what));
    return;
  }
  const got = await src.readInto(offset, into);
  if (got < into.length) throw truncated(offset, into.length, got, what);
}

function truncated(offset: number, length: number, got: number, what: string): SmoothpubError {
  return new SmoothpubError(ErrorCode.TRUNCATED_BOX, `file ends ${got} bytes into ${length} bytes of '${what}'`, { offset: offset + got, boxPath: what });
}
