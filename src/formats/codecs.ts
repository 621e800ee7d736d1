import type { SampleEntry } from '../bmff/stsd.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { readAudioSpecificConfig } from '../smooth/audioSpecificConfig.js';

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** RFC 6381 `codecs` of a sample entry: `avc1.64001f`, `mp4a.40.2`. */
export function codecsFor(entry: SampleEntry): string {
  if ((entry.format === 'avc1' || entry.format === 'avc3') && entry.avcC) {
    const { profile, compatibility, level } = entry.avcC;
    return `${entry.format}.${hex2(profile)}${hex2(compatibility)}${hex2(level)}`;
  }
  if (entry.format === 'mp4a' && entry.esds?.decoderSpecificInfo) {
    return `mp4a.40.${readAudioSpecificConfig(entry.esds.decoderSpecificInfo).objectType}`;
  }
  throw new SmoothpubError(ErrorCode.UNSUPPORTED_CODEC, `no DASH/HLS codecs string for sample entry '${entry.format}'`);
}

/** Frames per second as DASH writes it (`24`, `30000/1001`), from a run of samples. */
export function frameRateOf(sampleCount: number, duration: bigint, timescale: number): string | undefined {
  if (sampleCount <= 0 || duration <= 0n) return undefined;
  const fps = (sampleCount * timescale) / Number(duration);
  for (const base of [24, 30, 60]) if (Math.abs(fps - (base * 1000) / 1001) < 0.002) return `${base * 1000}/1001`;
  const rounded = Math.round(fps);
  return Math.abs(fps - rounded) < 0.002 ? String(rounded) : fps.toFixed(3);
}
