/** Bit rates of one media playlist, bits per second, rounded up. */
export interface SegmentBitrates {
  /** RFC 8216 4.3.4.2's peak segment bit rate (see `measureBitrates`). */
  peak: number;
  /** All bytes over the whole duration. */
  average: number;
}

/**
 * The peak and average bit rates of a playlist's segments from their sizes (bytes) and
 * durations (seconds). The peak is RFC 8216's: the highest rate of any run of consecutive
 * segments lasting 0.5 to 1.5 target durations. With Smooth's 2 s fragments and a target
 * of 2 that is the highest single fragment's rate; a short last fragment (a keyframe and a
 * few frames) is weighed together with the one before it instead of inflating the peak by
 * its own tiny duration. When no run qualifies the highest single rate stands in (it is an
 * upper bound of every run's rate). The peak is never below the average.
 */
export function measureBitrates(sizes: ArrayLike<number>, seconds: ArrayLike<number>, targetDuration: number): SegmentBitrates {
  if (sizes.length !== seconds.length) throw new RangeError(`${sizes.length} segment sizes for ${seconds.length} durations`);
  const low = targetDuration / 2;
  const high = targetDuration * 1.5;
  let peak = 0;
  let single = 0;
  let totalBytes = 0;
  let totalSeconds = 0;
  for (let i = 0; i < sizes.length; i++) {
    totalBytes += sizes[i]!;
    totalSeconds += seconds[i]!;
    if (seconds[i]! > 0) single = Math.max(single, (sizes[i]! * 8) / seconds[i]!);
    let bytes = 0;
    let duration = 0;
    for (let j = i; j < sizes.length; j++) {
      bytes += sizes[j]!;
      duration += seconds[j]!;
      if (duration > high) break;
      if (duration >= low && duration > 0) peak = Math.max(peak, (bytes * 8) / duration);
    }
  }
  if (peak === 0) peak = single;
  const average = totalSeconds > 0 ? (totalBytes * 8) / totalSeconds : 0;
  // The qualifying runs can leave out the heaviest stretch (a short last segment, which
  // joins no run within 1.5 targets): never announce a peak below the average.
  return { peak: Math.ceil(Math.max(peak, average)), average: Math.ceil(average) };
}
