import { WarningCode, type SmoothpubWarning } from '../errors.js';
import type { TrackIndex } from './types.js';

/**
 * Says where a track's fragments carry a `tfxd` that disagrees with their samples (the
 * index follows the samples, and so does the Manifest), or undefined when none does.
 */
export function tfxdWarning(track: TrackIndex): SmoothpubWarning | undefined {
  const index = track.fragments.findIndex((f) => f.tfxd !== undefined);
  const f = track.fragments[index];
  if (f?.tfxd === undefined) return undefined;
  const count = track.fragments.filter((x) => x.tfxd !== undefined).length;
  const late = track.fragments.some((x) => x.tfxd !== undefined && x.tfxd.time > x.time);
  return {
    code: WarningCode.TFXD_DISAGREES,
    message:
      `${track.file} track ${track.trackId}: the tfxd box of ${count} of ${track.fragments.length} fragments disagrees with their samples ` +
      `(first: fragment ${index} at byte ${f.offset}, tfxd time ${f.tfxd.time} duration ${f.tfxd.duration}, samples from ${f.time} for ${f.duration}, ` +
      `timescale ${track.timescale}); the Manifest follows the samples` +
      (late ? ". ffmpeg writes the keyframe's presentation time and a constant duration there: with open GOPs a keyframe decodes before the frames shown ahead of it" : ''),
    context: { file: track.file, trackId: track.trackId, offset: f.offset },
  };
}
