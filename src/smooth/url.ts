import { ErrorCode, SmoothpubError } from '../errors.js';
import type { QualityLevel, StreamIndex } from './model.js';
import { parseDecimal, parseDecimalNumber } from './parseDecimal.js';

/** What a path under `<name>.ism/` asks for (MS-SSTR 2.2.3). */
export type SmoothUrl =
  | { kind: 'manifest' }
  | { kind: 'fragment' | 'fragmentInfo'; bitrate: number; streamName: string; time: bigint };

export const MAX_STREAM_NAME_LENGTH = 128;
const MAX_BITRATE = 0xffffffff;
const MAX_TIME = (1n << 63n) - 1n;

// Placeholders as IIS writes them and as GStreamer matches them (`\{[Bb]itrate\}`, `\{start[ _]time\}`).
const BITRATE_PLACEHOLDER = /\{[Bb]itrate\}/g;
const TIME_PLACEHOLDER = /\{start[ _]time\}/g;

/** Fills a StreamIndex Url template: `QualityLevels({bitrate})/Fragments(video={start time})`. */
export function formatFragmentUrl(template: string, bitrate: number, time: bigint): string {
  if (!Number.isSafeInteger(bitrate) || bitrate < 0 || bitrate > MAX_BITRATE) {
    throw new SmoothpubError(ErrorCode.BAD_URL, `fragment url: bitrate must be an integer 0..${MAX_BITRATE}, found ${bitrate}`);
  }
  if (time < 0n || time > MAX_TIME) {
    throw new SmoothpubError(ErrorCode.BAD_URL, `fragment url: start time must be 0..2^63-1, found ${time}`);
  }
  if (!template.match(BITRATE_PLACEHOLDER) || !template.match(TIME_PLACEHOLDER)) {
    throw new SmoothpubError(ErrorCode.BAD_URL, `fragment url: template must contain {bitrate} and {start time}, found ${JSON.stringify(template)}`);
  }
  return fillUrlTemplate(template, String(bitrate), time.toString());
}

/**
 * A StreamIndex Url template with its placeholders replaced by any text: the numbers of
 * one fragment, or another format's placeholders for the same URL (DASH `$Bandwidth$`).
 */
export function fillUrlTemplate(template: string, bitrate: string, time: string): string {
  return template.replace(BITRATE_PLACEHOLDER, () => bitrate).replace(TIME_PLACEHOLDER, () => time);
}

/** The object key (path under `.ism/`) of one fragment. */
export function fragmentKey(stream: StreamIndex, level: QualityLevel, time: bigint): string {
  return formatFragmentUrl(stream.url, level.bitrate, time);
}

const FRAGMENT_PATH = new RegExp(
  `^QualityLevels\\(([0-9]{1,10})\\)/(Fragments|FragmentInfo)\\(([A-Za-z0-9_.-]{1,${MAX_STREAM_NAME_LENGTH}})=([0-9]{1,20})\\)$`,
  'i',
);

/**
 * Parses a decoded path relative to the `.ism/` root. Keywords match case-insensitively
 * (as IIS does); numbers must be canonical unsigned decimals in range. Anything else,
 * including leading slashes, query strings and extra segments, is null.
 */
export function parseSmoothUrl(path: string): SmoothUrl | null {
  if (path.length > 300) return null;
  if (/^manifest$/i.test(path)) return { kind: 'manifest' };
  const m = FRAGMENT_PATH.exec(path);
  if (m === null) return null;
  const [, bitrateText = '', keyword = '', streamName = '', timeText = ''] = m;
  const bitrate = parseDecimalNumber(bitrateText, MAX_BITRATE, { canonical: true });
  const time = parseDecimal(timeText, { maxDigits: 20, canonical: true });
  if (bitrate === undefined || time === undefined || time > MAX_TIME) return null;
  // '.' and '..' are harmless inside parentheses, but never a real stream name.
  if (/^\.+$/.test(streamName)) return null;
  return { kind: keyword.toLowerCase() === 'fragments' ? 'fragment' : 'fragmentInfo', bitrate, streamName, time };
}
