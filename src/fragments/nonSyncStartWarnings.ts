import { describeContext, WarningCode, type SmoothpubWarning } from '../errors.js';
import type { TrackIndex } from './types.js';

/**
 * One warning for each source fragment of `track` that starts at a non-sync sample:
 * joined to the fragment before it, or (with `unmergedOnly`, only these) left as it is.
 */
export function nonSyncStartWarnings(track: TrackIndex, options: { unmergedOnly?: boolean } = {}): SmoothpubWarning[] {
  const seconds = (t: bigint): string => `${(Number(t) / track.timescale).toFixed(3)} s`;
  return (track.nonSyncStarts ?? [])
    .filter((n) => options.unmergedOnly !== true || n.mergedInto === undefined)
    .map((n) => {
      const what = `fragment at ${seconds(n.time)} (t=${n.time}) starts at a non-sync sample, where no client can start or switch quality levels`;
      const outcome =
        n.mergedInto !== undefined
          ? `: joined to the fragment before it, at ${seconds(n.mergedInto)} (t=${n.mergedInto}), into one fragment that starts at a keyframe`
          : `, and is left as it is because ${n.notMerged ?? 'it cannot be joined'}: a client starting or switching there shows damaged pictures until the next keyframe. Re-encode or re-mux with fragments cut at keyframes (ffmpeg -c copy -f ismv cuts there)`;
      const context = { file: track.file, offset: n.offset, trackId: track.trackId };
      return { code: WarningCode.NON_SYNC_START, message: what + outcome + describeContext(context), context };
    });
}
