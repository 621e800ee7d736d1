import { ErrorCode, SmoothpubError } from '../errors.js';

/** The timing parameters of a TTML document (`ttp:*` on `<tt>`, TTML 1 7.2). */
export interface TtmlTimeParameters {
  /** Frames per second, as the ratio frameRate * multiplier (e.g. 30 * 1000/1001). */
  frameRateNum: bigint;
  frameRateDen: bigint;
  subFrameRate: bigint;
  /** Ticks per second, as the ratio tickRateNum / tickRateDen. */
  tickRateNum: bigint;
  tickRateDen: bigint;
}

export const DEFAULT_TIME_PARAMETERS: TtmlTimeParameters = { frameRateNum: 30n, frameRateDen: 1n, subFrameRate: 1n, tickRateNum: 1n, tickRateDen: 1n };

/** From `ttp:frameRate`, `ttp:frameRateMultiplier`, `ttp:subFrameRate`, `ttp:tickRate` (undefined when absent). */
export function readTimeParameters(attr: (name: string) => string | undefined, fail: (message: string) => never): TtmlTimeParameters {
  const int = (name: string, fallback: bigint): bigint => {
    const v = attr(name)?.trim();
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || BigInt(v) === 0n) fail(`ttp:${name}="${v}" is not a positive integer`);
    return BigInt(v);
  };
  const frameRate = int('frameRate', 30n);
  let num = frameRate;
  let den = 1n;
  const mult = attr('frameRateMultiplier')?.trim();
  if (mult !== undefined) {
    const m = /^(\d+)\s+(\d+)$/.exec(mult);
    if (m === null || BigInt(m[2]!) === 0n || BigInt(m[1]!) === 0n) fail(`ttp:frameRateMultiplier="${mult}" is not two positive integers`);
    num *= BigInt(m[1]!);
    den *= BigInt(m[2]!);
  }
  const subFrameRate = int('subFrameRate', 1n);
  // TTML 1 7.2.10: without a tickRate, a tick is a sub-frame of the effective frame rate
  // (multiplier applied) when a frame rate is given, else a second.
  if (attr('tickRate') !== undefined) return { frameRateNum: num, frameRateDen: den, subFrameRate, tickRateNum: int('tickRate', 1n), tickRateDen: 1n };
  if (attr('frameRate') !== undefined) return { frameRateNum: num, frameRateDen: den, subFrameRate, tickRateNum: num * subFrameRate, tickRateDen: den };
  return { frameRateNum: num, frameRateDen: den, subFrameRate, tickRateNum: 1n, tickRateDen: 1n };
}

/** An exact rational number of seconds, kept as bigints so ticks and frames round once, at the end. */
interface Rational {
  num: bigint;
  den: bigint;
}

function decimal(s: string): Rational {
  const [int = '0', frac = ''] = s.split('.');
  return { num: BigInt(int + frac), den: 10n ** BigInt(frac.length) };
}

/** Milliseconds to the nearest (half up), from an exact number of seconds. */
function toMs(r: Rational): number {
  return Number((r.num * 1000n * 2n + r.den) / (r.den * 2n));
}

/**
 * A TTML time expression (TTML 1 10.3.1) in milliseconds: clock time `hh:mm:ss(.fff)`,
 * `hh:mm:ss:ff(.sub)` with frames, or offset time `N(.n)(h|m|s|ms|f|t)`. Computed exactly
 * and rounded once to the millisecond. Undefined when the expression is malformed.
 */
export function parseTtmlTime(expr: string, p: TtmlTimeParameters): number | undefined {
  const s = expr.trim();
  let m = /^(\d{2,}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(s);
  if (m !== null) {
    const sec = decimal(m[3]!);
    return toMs({ num: (BigInt(m[1]!) * 3600n + BigInt(m[2]!) * 60n) * sec.den + sec.num, den: sec.den });
  }
  m = /^(\d{2,}):(\d{2}):(\d{2}):(\d{2,})(?:\.(\d+))?$/.exec(s);
  if (m !== null) {
    // seconds + (frames + subframes / subFrameRate) / frameRate
    const whole = BigInt(m[1]!) * 3600n + BigInt(m[2]!) * 60n + BigInt(m[3]!);
    const frames = BigInt(m[4]!) * p.subFrameRate + BigInt(m[5] ?? '0');
    const den = p.frameRateNum * p.subFrameRate;
    return toMs({ num: whole * den + frames * p.frameRateDen, den });
  }
  m = /^(\d+(?:\.\d+)?)(h|ms|m|s|f|t)$/.exec(s);
  if (m === null) return undefined;
  const v = decimal(m[1]!);
  switch (m[2]) {
    case 'h':
      return toMs({ num: v.num * 3600n, den: v.den });
    case 'm':
      return toMs({ num: v.num * 60n, den: v.den });
    case 's':
      return toMs(v);
    case 'ms':
      return toMs({ num: v.num, den: v.den * 1000n });
    case 'f':
      return toMs({ num: v.num * p.frameRateDen, den: v.den * p.frameRateNum });
    default:
      return toMs({ num: v.num * p.tickRateDen, den: v.den * p.tickRateNum });
  }
}

export function badTime(expr: string, attribute: string, file: string, line: number | undefined): SmoothpubError {
  return new SmoothpubError(
    ErrorCode.TEXT_BAD_TIMESTAMP,
    `cannot read TTML ${attribute}="${expr}": expected a clock time (00:00:01.500, 00:00:01:12) or an offset (1.5s, 1500ms, 36f, 15000000t)`,
    line === undefined ? { file } : { file, line },
  );
}
