import type { FileHandle } from 'node:fs/promises';
import type { TfraEntry } from '../bmff/tfra.js';
import { fragmentParts } from '../fragments/fragmentParts.js';
import type { TrackIndex } from '../fragments/types.js';
import { copyRange } from '../source/copyRange.js';
import { tfraTime, writeMfra } from './writeMfra.js';

export interface TrackFileIo {
  /** The open source file of the track. */
  source: FileHandle;
  /** The new file, empty, opened for writing. */
  out: FileHandle;
  /** A copy buffer, reused across fragments. */
  buffer: Uint8Array;
  signal?: AbortSignal;
  /** After each fragment, with its size. */
  onFragment?: (bytes: number) => void;
}

/**
 * Writes `init`, every fragment of `track` (its exact body: the source's `moof`+`mdat`,
 * or a built head and its sample runs) and an `mfra` indexing them. Streams: one
 * fragment part at a time through `buffer`. Returns the file's size.
 */
export async function writeTrackFile(track: TrackIndex, init: Uint8Array, io: TrackFileIo): Promise<number> {
  await writeAllAt(io.out, init, 0);
  let at = init.length;
  const entries: TfraEntry[] = [];
  for (const f of track.fragments) {
    io.signal?.throwIfAborted();
    entries.push({ time: tfraTime(f.time), moofOffset: at, trafNumber: 1, trunNumber: 1, sampleNumber: 1 });
    for (const part of fragmentParts(f)) {
      if (part instanceof Uint8Array) {
        await writeAllAt(io.out, part, at);
        at += part.length;
      } else {
        await copyRange(io.source, track.file, part.offset, part.size, io.out, io.buffer, at);
        at += part.size;
      }
    }
    io.onFragment?.(f.size);
  }
  const mfra = writeMfra(track.trackId, entries);
  await writeAllAt(io.out, mfra, at);
  return at + mfra.length;
}

/** A positioned write may land short (a full disk reports it on the next call): loop until done. */
async function writeAllAt(out: FileHandle, bytes: Uint8Array, at: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await out.write(bytes, done, bytes.length - done, at + done);
    done += bytesWritten;
  }
}
