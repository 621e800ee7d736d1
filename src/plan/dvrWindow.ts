import { ErrorCode, SmoothpubError } from '../errors.js';
import type { Chunk } from '../smooth/model.js';

/** Which of a live stream's stored chunks its documents name, and which may be deleted. */
export interface DvrWindow {
  /** Index of the first chunk the Manifest, MPD and playlists name (the window's start). */
  first: number;
  /**
   * How many chunks from the start may be deleted from the store: they left the window at
   * least the safety margin ago, so no document still being read names them. Never more
   * than `first`.
   */
  removable: number;
}

export interface DvrWindowOptions {
  /** The stream's stored chunks, in time order (the oldest first). */
  chunks: readonly Chunk[];
  /** The live edge: the end of the newest fragment of the presentation, on the chunks' clock. */
  edge: bigint;
  /** `--dvr`: how far behind the edge a client may seek, on the chunks' clock; undefined: unbounded. */
  window: bigint | undefined;
  /**
   * How long a chunk that left the window stays stored: clients that loaded a document
   * naming it just before (documents may be cached for their max-age), or that are
   * downloading it, still ask for it.
   */
  margin: bigint;
}

/**
 * The DVR window of a live stream (MS-SSTR DVRWindowLength, DASH timeShiftBufferDepth): a
 * chunk stays named while any of it is within `window` of the edge, and the newest chunk
 * always is. A chunk whose end fell behind the window start by `margin` or more may be
 * deleted: documents stop naming it first, the objects go later, so no client that read
 * a document naming a chunk finds it gone.
 */
export function planDvrWindow(o: DvrWindowOptions): DvrWindow {
  if (o.window !== undefined && o.window <= 0n) throw new SmoothpubError(ErrorCode.BAD_OPTION, `the DVR window must be longer than 0, found ${o.window}`);
  if (o.margin < 0n) throw new SmoothpubError(ErrorCode.BAD_OPTION, `the DVR safety margin must not be negative, found ${o.margin}`);
  if (o.window === undefined || o.chunks.length === 0) return { first: 0, removable: 0 };
  const start = o.edge - o.window;
  let first = 0;
  while (first < o.chunks.length - 1 && end(o.chunks[first]!) <= start) first++;
  let removable = 0;
  while (removable < first && end(o.chunks[removable]!) <= start - o.margin) removable++;
  return { first, removable };
}

function end(c: Chunk): bigint {
  return c.t + c.d;
}
