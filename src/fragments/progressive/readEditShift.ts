import { findChild } from '../../bmff/box.js';
import type { Cursor } from '../../bmff/cursor.js';
import { readElst } from '../../bmff/elst.js';
import type { SampleTable } from '../types.js';

/**
 * What a `trak`'s edit list does to its timeline, in the track timescale: leading empty
 * edits delay the track; the first real edit's `media_time` skips the B-frame delay of
 * video or the AAC priming of audio. Later edits (cuts inside the media) are ignored:
 * Smooth has no way to express them.
 */
export function readEditShift(trak: Cursor, timescales: { movie: number; track: number }): Pick<SampleTable, 'mediaTime' | 'delay'> {
  const edts = findChild(trak, 'moov/trak', 'edts');
  const elstBox = edts && findChild(edts.payload, 'moov/trak/edts', 'elst');
  if (!elstBox) return { mediaTime: 0, delay: 0 };
  let delayMovie = 0n;
  for (const e of readElst(elstBox.payload).entries) {
    if (e.mediaTime === -1n) {
      delayMovie += e.segmentDuration;
      continue;
    }
    const delay = timescales.movie > 0 ? Number((delayMovie * BigInt(timescales.track)) / BigInt(timescales.movie)) : 0;
    return { mediaTime: Number(e.mediaTime), delay };
  }
  return { mediaTime: 0, delay: 0 };
}
