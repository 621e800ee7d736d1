import { writeHdlr } from '../bmff/hdlr.js';
import { writeMdhd } from '../bmff/mdhd.js';
import { writeStsd } from '../bmff/stsd.js';
import { writeTkhd } from '../bmff/tkhd.js';
import { writeTrex } from '../bmff/trex.js';
import { box } from '../bmff/writer.js';
import type { FragmentRef, TrackIndex } from '../fragments/types.js';
import { writeDinf, writeEmptySampleTables, writeFtyp, writeMediaHeader, writeMehd, writeMvhd } from './initBoxes.js';
import type { TrackSetup } from '../fragments/readTrackSetup.js';
import { writeSystemPssh } from '../protect/sourceProtection.js';

const HANDLERS = { video: ['vide', 'VideoHandler'], audio: ['soun', 'SoundHandler'], text: ['text', 'TextHandler'] } as const;
/** tkhd flags: track enabled, in movie. */
const TRACK_ENABLED_IN_MOVIE = 3;

/** What an init segment says of a track: a TrackIndex, or as little of one (durations only). */
export type InitTrack = Pick<TrackIndex, 'kind' | 'timescale' | 'trackId' | 'width' | 'height' | 'sampleEntry' | 'protection'> & {
  fragments: readonly Pick<FragmentRef, 'duration' | 'built'>[];
};

export interface InitOptions {
  /** ISO 639-2/T language for `mdhd`. */
  language: string;
  /** `ftyp` brands, the first the major one (default: IIS's, `isml`). */
  brands?: readonly string[];
  /**
   * Keep the source's `trex` defaults even for built fragments: right when fragments may
   * still lean on them (a `moof` with only a `tfdt` added); every built one gives each
   * sample its own duration anyway.
   */
  sourceTrex?: boolean;
}

/**
 * `ftyp` + a fragmented `moov` for one track, as IIS and ffmpeg's `-f ismv` write it (the
 * head of a remuxed `.ismv`, and with CMAF brands a DASH/HLS init segment):
 * empty sample tables, `mvex` with `mehd` and the source's `trex`. The track keeps its
 * source ID because the copied fragments name it in their `tfhd`.
 */
export function writeInitSegment(track: InitTrack, setup: TrackSetup, options: InitOptions): Uint8Array {
  const [handlerType, handlerName] = HANDLERS[track.kind];
  const duration = track.fragments.reduce((s, f) => s + f.duration, 0n);
  const stsd = setup.stsd ?? writeStsd({ entries: [track.sampleEntry] });
  const stbl = box('stbl', stsd, ...writeEmptySampleTables());
  const minf = box('minf', writeMediaHeader(track.kind), writeDinf(), stbl);
  const mdia = box('mdia', writeMdhd({ version: 1, timescale: track.timescale, duration: 0n, language: options.language }), writeHdlr({ handlerType }, handlerName), minf);
  const tkhd = writeTkhd({ version: 1, flags: TRACK_ENABLED_IN_MOVIE, trackId: track.trackId, duration: 0n, width: track.width ?? 0, height: track.height ?? 0 });
  const sourceTrex = setup.trex ?? { trackId: track.trackId, defaultSampleDescriptionIndex: 1, defaultSampleDuration: 0, defaultSampleSize: 0, defaultSampleFlags: 0 };
  // Built fragments (plain MP4, or retimed to 10 MHz) give every sample its duration, on
  // the presentation clock: a default from the source's clock would only mislead.
  const trex = writeTrex(!options.sourceTrex && track.fragments.some((f) => f.built) ? { ...sourceTrex, defaultSampleDuration: 0 } : sourceTrex);
  // An already-protected track keeps its source's encrypted sample entry (the stsd above,
  // `encv` with `sinf`) and gets its source's DRM headers as `pssh` boxes, where DASH and
  // HLS players (EME) look for them; a PIFF protection header becomes the same `pssh`.
  const pssh = (track.protection?.systems ?? []).map(writeSystemPssh);
  const moov = box('moov', writeMvhd(track.timescale, track.trackId + 1), box('trak', tkhd, mdia), box('mvex', writeMehd(duration), trex), ...pssh);
  const ftyp = writeFtyp(options.brands);
  const out = new Uint8Array(ftyp.length + moov.length);
  out.set(ftyp, 0);
  out.set(moov, ftyp.length);
  return out;
}
