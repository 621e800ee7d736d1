import { ErrorCode, SmoothpubError } from '../errors.js';

/**
 * The largest subtitle file smoothpub reads: 16 MiB. A feature film's SRT is about 100 KB
 * and a heavily styled TTML a few MB; anything near this is not captions, and reading it
 * whole (cues are held in memory) would cost hundreds of MB. Check a file's size against
 * it before reading the file.
 */
export const MAX_SUBTITLE_BYTES = 16 * 1024 * 1024;

/**
 * The text of a subtitle file: UTF-8 with or without a BOM, or UTF-16 (either byte order)
 * with a BOM. WebVTT is UTF-8 only, but SRT and TTML files from captioning tools come in
 * UTF-16 too, always with a BOM. Anything else (Latin-1, UTF-16 without a BOM) is a
 * typed error naming the first byte that is not UTF-8: guessing a legacy code page
 * would put wrong characters on screen without anyone noticing.
 */
export function decodeText(bytes: Uint8Array, file: string): string {
  if (bytes.length > MAX_SUBTITLE_BYTES) {
    throw new SmoothpubError(
      ErrorCode.TEXT_TOO_LARGE,
      `subtitle file of ${bytes.length} bytes is larger than the ${MAX_SUBTITLE_BYTES} bytes smoothpub reads; split it, or check it is a subtitle file`,
      { file },
    );
  }
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return decode('utf-8', bytes.subarray(3), file, 3);
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return decode('utf-16le', bytes.subarray(2), file, 2);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return decode('utf-16be', bytes.subarray(2), file, 2);
  const nul = bytes.indexOf(0);
  if (nul >= 0 && nul < 4096) {
    throw new SmoothpubError(
      ErrorCode.TEXT_BAD_ENCODING,
      `subtitle file has a zero byte at byte ${nul}: UTF-16 without a byte order mark? Save it as UTF-8 (or UTF-16 with a BOM)`,
      { file, offset: nul },
    );
  }
  return decode('utf-8', bytes, file, 0);
}

function decode(encoding: 'utf-8' | 'utf-16le' | 'utf-16be', bytes: Uint8Array, file: string, base: number): string {
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const at = base + firstBadByte(encoding, bytes);
    throw new SmoothpubError(
      ErrorCode.TEXT_BAD_ENCODING,
      `subtitle file is not valid ${encoding.toUpperCase()} at byte ${at} (a Latin-1 or Windows code page file?); save it as UTF-8`,
      { file, offset: at },
    );
  }
}

/** Where decoding fails: found by halving, since TextDecoder does not say. */
function firstBadByte(encoding: string, bytes: Uint8Array): number {
  const ok = (n: number): boolean => {
    try {
      new TextDecoder(encoding, { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ok(mid)) lo = mid;
    else hi = mid - 1;
  }
  // A lead byte whose sequence is broken by the next byte: name the lead byte.
  for (let k = 0; k < 3 && lo > 0 && !complete(encoding, bytes.subarray(0, lo)); k++) lo--;
  return lo;
}

function complete(encoding: string, bytes: Uint8Array): boolean {
  try {
    new TextDecoder(encoding, { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
