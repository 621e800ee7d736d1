import { ErrorCode, SmoothpubError } from '../errors.js';
import type { FragmentRef, TrackIndex } from '../fragments/types.js';
import type { Chunk } from '../smooth/model.js';

/**
 * The time a fragment is announced and named by: its source time, except that a
 * negative first time (ffmpeg's AAC priming: tfxd −213333 while tfra says 0) is
 * announced as 0, with its duration stretched to end where the source says.
 * Both dash.js and GStreamer take times from the Manifest and the URL, not from
 * tfxd, and a URL cannot carry a sign (MS-SSTR 2.2.6: unsigned integers).
 */
export function announcedChunks(track: TrackIndex): Chunk[] {
  return track.fragments.map((f, i) => announce(track, f, i));
}

function announce(track: TrackIndex, f: FragmentRef, i: number): Chunk {
  if (f.time >= 0n) return { t: f.time, d: f.duration };
  const end = f.time + f.duration;
  if (i !== 0 || end <= 0n) {
    throw new SmoothpubError(
      ErrorCode.UNSUPPORTED_INPUT,
      `fragment ${i} starts at negative time ${f.time} and ${i === 0 ? 'ends before 0' : 'is not the first'}; only a first fragment may start before 0 (codec priming)`,
      { file: track.file, trackId: track.trackId, offset: f.offset },
    );
  }
  return { t: 0n, d: end };
}

/**
 * Quality levels of one stream must share one fragment timeline: a client switching
 * levels asks for the same start time at another bitrate.
 */
export function checkAligned(tracks: TrackIndex[], streamName: string): void {
  const [first, ...rest] = tracks;
  if (!first) return;
  for (const other of rest) {
    if (other.timescale !== first.timescale) {
      throw misaligned(streamName, first, other, `timescales differ: ${first.timescale} vs ${other.timescale}`, other.fragments[0]?.offset);
    }
    const n = Math.max(first.fragments.length, other.fragments.length);
    for (let i = 0; i < n; i++) {
      const a = first.fragments[i];
      const b = other.fragments[i];
      if (!a || !b) {
        throw misaligned(streamName, first, other, `fragment counts differ: ${first.fragments.length} vs ${other.fragments.length}`, (a ?? b)?.offset);
      }
      if (a.time !== b.time) {
        const said = (a.tfxd?.time ?? a.time) === (b.tfxd?.time ?? b.time) && (a.tfxd ?? b.tfxd) !== undefined;
        if (said) {
          throw misaligned(
            streamName,
            first,
            other,
            `fragment ${i}'s samples decode from ${a.time} in the first and from ${b.time} in the second, though both fragments' tfxd say ${a.tfxd?.time ?? a.time}: open GOPs, with a different number of frames shown ahead of the keyframe in each level, and clients place every level's samples at the one time the Manifest gives`,
            b.offset,
            'Encode all levels with closed GOPs (x264: -x264-params open-gop=0) or with the same frame types in every level (x264: b-adapt=0)',
          );
        }
        throw misaligned(streamName, first, other, `fragment ${i} starts at ${a.time} in the first and at ${b.time} in the second`, b.offset);
      }
    }
  }
}

const SAME_GOP = 'Encode all levels with the same fixed GOP (e.g. ffmpeg -g 48 -keyint_min 48 -sc_threshold 0)';

function misaligned(stream: string, a: TrackIndex, b: TrackIndex, what: string, offset: number | undefined, advice = SAME_GOP): SmoothpubError {
  const ctx = offset === undefined ? { file: b.file, trackId: b.trackId } : { file: b.file, trackId: b.trackId, offset };
  return new SmoothpubError(ErrorCode.MISALIGNED, `quality levels of stream '${stream}' are not aligned: ${a.file} track ${a.trackId} vs ${b.file} track ${b.trackId}: ${what}. ${advice}`, ctx);
}
