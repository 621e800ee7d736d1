import { ErrorCode, SmoothpubError } from '../../errors.js';

/** Digits after the point: 100 ns, the Smooth clock, so a 10 MHz time is written exactly. */
const FRACTION_DIGITS = 7;

/**
 * `ticks / timescale` seconds as an xs:duration in seconds only (`PT8S`, `PT600.0213334S`),
 * which every DASH client parses. Rounded up at 100 ns, so that a presentation never
 * ends before its last sample.
 */
export function formatXsDuration(ticks: bigint, timescale: number): string {
  if (ticks < 0n || !Number.isSafeInteger(timescale) || timescale <= 0) {
    throw new SmoothpubError(ErrorCode.BAD_MPD, `mpd: a duration must be a non-negative time on a positive timescale, found ${ticks} at ${timescale}`);
  }
  const scale = 10n ** BigInt(FRACTION_DIGITS);
  const ts = BigInt(timescale);
  const units = (ticks * scale + ts - 1n) / ts; // ceil
  const whole = units / scale;
  const fraction = (units % scale).toString().padStart(FRACTION_DIGITS, '0').replace(/0+$/, '');
  return `PT${whole}${fraction === '' ? '' : `.${fraction}`}S`;
}

const XS_DURATION = /^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d*)?|\.\d+)S)?)?$/;

/**
 * An xs:duration (`PT1H2M3.5S`, `P1DT2H`) in seconds, or undefined when `text` is not
 * one. Years and months have no fixed length, so only zero ones are accepted.
 */
export function parseXsDuration(text: string): number | undefined {
  const m = XS_DURATION.exec(text.trim());
  if (m === null || text.trim().endsWith('T') || text.trim() === 'P') return undefined;
  const [, sign, years, months, days, hours, minutes, seconds] = m;
  if (Number(years ?? 0) !== 0 || Number(months ?? 0) !== 0) return undefined;
  const total = Number(days ?? 0) * 86400 + Number(hours ?? 0) * 3600 + Number(minutes ?? 0) * 60 + Number(seconds ?? 0);
  if (!Number.isFinite(total)) return undefined;
  return sign === '-' ? -total : total;
}
