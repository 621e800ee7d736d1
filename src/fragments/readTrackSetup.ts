import { MAX_BOX_HEADER, printable, readBoxHeader, type BoxHeader } from '../bmff/box.js';
import { Cursor } from '../bmff/cursor.js';
import { readTkhd } from '../bmff/tkhd.js';
import { readTrex, type Trex } from '../bmff/trex.js';
import { ErrorCode, SmoothpubError, isSmoothpubError } from '../errors.js';
import type { ByteSource } from '../source/source.js';

/** What a track's new `moov` copies from its source beyond what the index keeps. */
export interface TrackSetup {
  /** The source's whole `stsd` box, byte for byte (keeps btrt, pasp, colr, avcC extensions). */
  stsd: Uint8Array | undefined;
  /** The source's `trex`: fragments may lean on its defaults (CMAF often does). */
  trex: Trex | undefined;
}

/** A sample description box is a few hundred bytes; more is corrupt or hostile. */
const MAX_STSD = 1024 * 1024;

/**
 * Finds `trackId`'s `stsd` and `trex` by walking box headers only: a plain MP4's `moov`
 * may hold megabytes of sample tables, and none of them is read here.
 */
export async function readTrackSetup(src: ByteSource, trackId: number): Promise<TrackSetup> {
  try {
    const moov = await findTopLevel(src, 'moov');
    const setup: TrackSetup = { stsd: undefined, trex: undefined };
    for await (const child of children(src, moov)) {
      if (child.type === 'trak' && setup.stsd === undefined) setup.stsd = await readStsdOf(src, child, trackId);
      else if (child.type === 'mvex') {
        for await (const t of children(src, child)) {
          if (t.type !== 'trex') continue;
          const trex = readTrex(await payloadOf(src, t));
          if (trex.trackId === trackId) setup.trex = trex;
        }
      }
    }
    return setup;
  } catch (e) {
    throw isSmoothpubError(e) ? e.withContext({ file: src.name, trackId }) : e;
  }
}

async function readStsdOf(src: ByteSource, trak: BoxHeader, trackId: number): Promise<Uint8Array | undefined> {
  const tkhd = await childOf(src, trak, 'tkhd');
  if (!tkhd || readTkhd(await payloadOf(src, tkhd)).trackId !== trackId) return undefined;
  let box: BoxHeader | undefined = trak;
  for (const type of ['mdia', 'minf', 'stbl', 'stsd']) {
    box = await childOf(src, box, type);
    if (!box) return undefined;
  }
  if (box.size > MAX_STSD) {
    throw new SmoothpubError(ErrorCode.BAD_BOX_SIZE, `'stsd' of ${box.size} bytes is implausibly large`, { offset: box.offset, boxPath: 'moov/trak/mdia/minf/stbl/stsd' });
  }
  return src.read(box.offset, box.size);
}

async function findTopLevel(src: ByteSource, type: string): Promise<BoxHeader> {
  for await (const h of headersIn(src, 0, src.size, 'file')) if (h.type === type) return h;
  throw new SmoothpubError(ErrorCode.MISSING_BOX, `no '${type}' box`, { offset: 0, boxPath: type });
}

async function childOf(src: ByteSource, parent: BoxHeader, type: string): Promise<BoxHeader | undefined> {
  for await (const h of children(src, parent)) if (h.type === type) return h;
  return undefined;
}

function children(src: ByteSource, parent: BoxHeader): AsyncGenerator<BoxHeader> {
  return headersIn(src, parent.offset + parent.headerSize, parent.offset + parent.size, printable(parent.type));
}

async function* headersIn(src: ByteSource, start: number, end: number, parent: string): AsyncGenerator<BoxHeader> {
  let pos = start;
  while (pos + 8 <= end) {
    const bytes = await src.read(pos, Math.min(MAX_BOX_HEADER, end - pos));
    const h = readBoxHeader(new Cursor(bytes, pos, parent), end, parent);
    yield h;
    pos += h.size;
  }
}

/** A small box's payload (tkhd, trex). */
async function payloadOf(src: ByteSource, h: BoxHeader): Promise<Cursor> {
  if (h.size > 4096) throw new SmoothpubError(ErrorCode.BAD_BOX_SIZE, `'${printable(h.type)}' of ${h.size} bytes is implausibly large`, { offset: h.offset, boxPath: h.type });
  const bytes = await src.read(h.offset, h.size);
  return new Cursor(bytes, h.offset, h.type, h.headerSize, bytes.length);
}
