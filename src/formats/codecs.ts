import type { SampleEntry } from '../bmff/stsd.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { readAudioSpecificConfig } from '../smooth/audioSpecificConfig.js';
import { clearEntry, fourCCFor } from '../smooth/fourCCFor.js';
import { hevcCodecs } from './hevcCodecs.js';

/** MPEG-4 Audio in `esds` (ISO/IEC 14496-1 table 5); 0x66/0x67 are MPEG-2 AAC Main and LC. */
const MPEG4_AUDIO = 0x40;

/**
 * The RFC 6381 `codecs` parameter of a sample entry, as DASH `codecs` and HLS `CODECS`
 * state it: H.264 `avc1.PPCCLL` (`avc3.` for an avc3 entry) from the avcC's profile,
 * profile compatibility and level bytes; HEVC `hvc1.`/`hev1.` from the hvcC (hevcCodecs); AAC `mp4a.40.<audioObjectType>` from the
 * AudioSpecificConfig (explicitly signalled HE-AAC and HE-AACv2 give 5 and 29), MPEG-2
 * AAC `mp4a.66`/`mp4a.67`; AC-3 and E-AC-3 `ac-3`/`ec-3`. The entry must be one smoothpub
 * packages: anything else throws UNSUPPORTED_CODEC naming its format, as the Smooth
 * Manifest's FourCC does.
 */
export function codecsFor(given: SampleEntry): string {
  const entry = clearEntry(given);
  // One judge of what is supported for all three formats.
  const fourCC = fourCCFor(entry);
  if ((fourCC === 'HVC1' || fourCC === 'HEV1') && entry.hvcC !== undefined) return hevcCodecs(entry.format, entry.hvcC);
  // ETSI TS 102 366 annex F: the sample entry's own code, `ac-3` or `ec-3`.
  if (fourCC === 'AC-3' || fourCC === 'EC-3') return entry.format;
  if (fourCC !== 'AACL') {
    const avcC = entry.avcC;
    if (avcC === undefined) {
      throw new SmoothpubError(ErrorCode.MISSING_BOX, `H.264: expected an avcC box in ${entry.format}, found none`, { boxPath: `stsd/${entry.format}` });
    }
    return `${entry.format}.${hex2(avcC.profile)}${hex2(avcC.compatibility)}${hex2(avcC.level)}`;
  }
  const esds = entry.esds;
  if (esds === undefined) throw new SmoothpubError(ErrorCode.MISSING_BOX, 'AAC: expected an esds box, found none', { boxPath: 'stsd/mp4a' });
  const oti = esds.objectTypeIndication;
  if (oti !== MPEG4_AUDIO) return `mp4a.${hex2(oti)}`;
  return `mp4a.40.${readAudioSpecificConfig(esds.decoderSpecificInfo).objectType}`;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** Frame rates that are not integers: the NTSC family (n x 1000/1001). */
const NTSC_RATES = [24, 30, 48, 60, 120].map((n) => ({ num: BigInt(n * 1000), den: 1001n }));
const INTEGER_RATES = Array.from({ length: 240 }, (_, i) => ({ num: BigInt(i + 1), den: 1n }));

/**
 * A video track's frame rate in DASH's `frameRate` form (`24`, `25`, `30000/1001`): the
 * integer or NTSC rate that `sampleCount` frames of `duration` ticks at `timescale` make
 * when every frame's duration was rounded to a whole tick (at 10 MHz, 24 fps frames last
 * 416666 or 416667 ticks), the nearest if several do; else the exact reduced fraction.
 * Undefined when there are no frames or no duration.
 */
export function frameRateOf(sampleCount: number, duration: bigint, timescale: number): string | undefined {
  if (!Number.isSafeInteger(sampleCount) || sampleCount <= 0 || duration <= 0n || !Number.isSafeInteger(timescale) || timescale <= 0) return undefined;
  const n = BigInt(sampleCount);
  const ts = BigInt(timescale);
  let best: { num: bigint; den: bigint; error: bigint } | undefined;
  for (const rate of [...INTEGER_RATES, ...NTSC_RATES]) {
    // |duration - n * timescale / rate| <= n ticks, compared in integers (times rate.num).
    const error = abs(duration * rate.num - n * ts * rate.den);
    if (error <= n * rate.num && (best === undefined || error * best.num < best.error * rate.num)) best = { ...rate, error };
  }
  if (best !== undefined) return best.den === 1n ? best.num.toString() : `${best.num}/${best.den}`;
  const num = n * ts;
  const g = gcd(num, duration);
  const reduced = { num: num / g, den: duration / g };
  return reduced.den === 1n ? reduced.num.toString() : `${reduced.num}/${reduced.den}`;
}

/**
 * The sample (pixel) aspect ratio as DASH's `sar` writes it, `1:1` or `16:15`, from the
 * entry's `pasp`; square pixels when it has none (or a `pasp` with a zero side).
 */
export function sarOf(entry: SampleEntry): string {
  const pasp = entry.pasp;
  if (pasp === undefined || pasp.hSpacing === 0 || pasp.vSpacing === 0) return '1:1';
  return ratio(pasp.hSpacing, pasp.vSpacing);
}

/** `a:b` in lowest terms (DASH's RatioType), for `sar` and `par`. */
export function ratio(a: number, b: number): string {
  const g = gcd(BigInt(a), BigInt(b));
  return `${BigInt(a) / g}:${BigInt(b) / g}`;
}

function abs(n: bigint): bigint {
  return n < 0n ? -n : n;
}

function gcd(a: bigint, b: bigint): bigint {
  a = abs(a);
  b = abs(b);
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}
