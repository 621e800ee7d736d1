const NANOS = 1_000_000_000n;

/**
 * A segment's duration in seconds as `EXTINF` writes it: `ticks / timescale` with at least
 * 3 decimals and up to 9, rounded half up at the 9th. A Smooth timescale (10 MHz, or any
 * power of ten up to 1 GHz) comes out exact, so a client adding EXTINF values up never
 * drifts from the fragments' own times; 3 decimals alone would lose 0.33 ms on every
 * 2.1333333 s AAC chunk, 0.6 s an hour.
 */
export function formatSegmentDuration(ticks: bigint, timescale: number): string {
  if (ticks < 0n) throw new RangeError(`segment duration must not be negative, found ${ticks}`);
  if (!Number.isSafeInteger(timescale) || timescale <= 0) throw new RangeError(`timescale must be a positive integer, found ${timescale}`);
  const scale = BigInt(timescale);
  const nanos = (ticks * NANOS * 2n + scale) / (2n * scale);
  const whole = nanos / NANOS;
  const fraction = (nanos % NANOS).toString().padStart(9, '0').replace(/0{1,6}$/, '');
  return `${whole}.${fraction.padEnd(3, '0')}`;
}

/**
 * RFC 8216 4.3.3.1: a segment's `EXTINF` duration rounded to the nearest integer (halves
 * up) must not exceed `EXT-X-TARGETDURATION`. Takes the duration as written, since that is
 * what a client compares.
 */
export function roundedSeconds(extinf: string | number): number {
  const seconds = typeof extinf === 'number' ? extinf : Number(extinf);
  return Math.floor(seconds + 0.5);
}

/** The smallest `EXT-X-TARGETDURATION` that every written duration satisfies (at least 1). */
export function targetDurationFor(extinfs: Iterable<string>): number {
  let target = 1;
  for (const d of extinfs) target = Math.max(target, roundedSeconds(d));
  return target;
}
