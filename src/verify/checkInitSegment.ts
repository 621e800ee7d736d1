import { childBoxes } from '../bmff/box.js';
import { Cursor } from '../bmff/cursor.js';
import type { Trex } from '../bmff/trex.js';
import { isSmoothpubError } from '../errors.js';
import { readMoov } from '../fragments/readMoov.js';
import type { FragmentProblem } from './checkFragment.js';
import { VerifyCode } from './problem.js';

/** What a DASH or HLS player takes from an init segment to play the fragments after it. */
export interface InitSegment {
  trackId: number;
  /** `mdhd` timescale: the clock of every `tfdt` and sample duration of the track. */
  timescale: number;
  /** `hdlr` handler type: `vide`, `soun`, ... */
  handlerType: string;
  /** The track's `trex`: durations and flags of samples whose fragment gives none. */
  trex: Trex;
  /** An encrypted track's per-sample IV size (`tenc`), which every fragment's `senc` must use. */
  ivSize?: number;
}

/** Boxes that carry media; an initialization segment holds none (ISO/IEC 23009-1 6.3.3). */
const MEDIA_BOXES = new Set(['moof', 'mdat']);

/**
 * Checks an init segment body as DASH and HLS (CMAF) players need it: `ftyp` first, a
 * `moov` with `mvex` (so the file is fragmented) holding exactly one track with a sample
 * description and a `trex`, and no media. Returns the track's facts, or its problems.
 */
export function checkInitSegment(body: Uint8Array): { init: InitSegment } | { problems: FragmentProblem[] } {
  const fail = (message: string): { problems: FragmentProblem[] } => ({ problems: [{ code: VerifyCode.INIT_SEGMENT, message }] });
  const types: string[] = [];
  let moov: Cursor | undefined;
  try {
    for (const box of childBoxes(new Cursor(body, 0, 'init segment'), 'init segment')) {
      types.push(box.type);
      if (box.type === 'moov' && moov === undefined) moov = box.payload;
    }
  } catch (e) {
    if (!isSmoothpubError(e)) throw e;
    return fail(`not an ISO BMFF file of ${body.length} bytes: ${e.message}`);
  }
  if (types[0] !== 'ftyp') return fail(`expected an 'ftyp' box first, found ${types[0] === undefined ? 'nothing' : `'${types[0]}'`} (boxes: ${types.join(', ') || 'none'})`);
  if (moov === undefined) return fail(`no 'moov' box (boxes: ${types.join(', ')})`);
  const media = types.filter((t) => MEDIA_BOXES.has(t));
  if (media.length > 0) return fail(`holds media ('${media.join("', '")}'): an init segment is ftyp + moov, the media comes in the segments`);
  let parsed: ReturnType<typeof readMoov>;
  try {
    parsed = readMoov(moov);
  } catch (e) {
    if (!isSmoothpubError(e)) throw e;
    return fail(`bad moov: ${e.message}`);
  }
  if (!parsed.fragmented) return fail("the moov has no 'mvex': players cannot take fragments after it");
  if (parsed.tracks.length !== 1) return fail(`expected one track, found ${parsed.tracks.length}: each quality level's init segment describes its own track`);
  const track = parsed.tracks[0]!;
  if (track.sampleEntry === undefined) return fail(`track ${track.trackId} has no sample description (stsd): players cannot set up a decoder`);
  if (track.trex === undefined) return fail(`the mvex has no 'trex' for track ${track.trackId} (ISO/IEC 14496-12 8.8.3: one for every track)`);
  const init: InitSegment = { trackId: track.trackId, timescale: track.timescale, handlerType: track.handlerType, trex: track.trex };
  if (track.protection) init.ivSize = track.protection.ivSize;
  return { init };
}
