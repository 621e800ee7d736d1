/**
 * The one clock of every presentation smoothpub writes: 100 ns units, for the Manifest,
 * `tfxd`/`tfdt` and every `trun` duration and composition offset. MS-SSTR allows a
 * TimeScale per StreamIndex, but some clients read only the root one and then place every
 * fragment of another stream wrong; IIS, Expression Encoder and Azure Media Services always
 * wrote 10,000,000 everywhere, so this is what every Smooth client has been tested with.
 */
export const PRESENTATION_TIME_SCALE = 10_000_000;

/**
 * Converts times in `timescale` ticks to presentation ticks, each value on its own,
 * rounded to the nearest tick (halves up): within 50 ns of the exact time whatever the
 * value, so errors never accumulate. Durations are then differences of converted times
 * (never converted durations, whose roundings would add up). Exact for every safe integer.
 */
export function toPresentationTicks(timescale: number): (ticks: number) => number {
  const g = gcd(PRESENTATION_TIME_SCALE, timescale);
  const num = PRESENTATION_TIME_SCALE / g;
  const den = timescale / g;
  if (den === 1) return (ticks) => ticks * num;
  // The remainder's product below stays a safe integer for every timescale a track can
  // have but the odd 32-bit one prime to 10: those take bigints.
  if (2 * num * den + den > Number.MAX_SAFE_INTEGER) return (ticks) => Number(roundedRatio(BigInt(ticks) * BigInt(num), BigInt(den)));
  // Up to here 2 * ticks * num + den is exact: one division (hours of media at any clock).
  const direct = Math.floor(2 ** 51 / num);
  return (ticks) => {
    if (ticks <= direct && ticks >= -direct) return floorDiv(2 * ticks * num + den, 2 * den);
    // ticks = q * den + r with 0 <= r < den, so ticks * num / den = q * num + r * num / den.
    let q = Math.floor(ticks / den);
    let r = ticks - q * den;
    if (r < 0) {
      q -= 1;
      r += den;
    } else if (r >= den) {
      q += 1;
      r -= den;
    }
    return q * num + floorDiv(2 * r * num + den, 2 * den);
  };
}

/** A bigint time (a fragment's, which may exceed 2^53 in live sources) in presentation ticks, rounded as toPresentationTicks does. */
export function toPresentationTime(time: bigint, timescale: number): bigint {
  if (timescale === PRESENTATION_TIME_SCALE) return time;
  return roundedRatio(time * BigInt(PRESENTATION_TIME_SCALE), BigInt(timescale));
}

/** round(n / d), halves up, for d > 0. */
function roundedRatio(n: bigint, d: bigint): bigint {
  const a = 2n * n + d;
  const b = 2n * d;
  const q = a / b;
  return a % b < 0n ? q - 1n : q;
}

/** floor(a / b) of safe integers, b > 0, exact where the float quotient rounds to the next integer. */
function floorDiv(a: number, b: number): number {
  let k = Math.floor(a / b);
  if (k * b > a) k -= 1;
  else if ((k + 1) * b <= a) k += 1;
  return k;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
