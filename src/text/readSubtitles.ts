import { ErrorCode, SmoothpubError } from '../errors.js';
import type { Cue, SubtitleFormat } from './model.js';
import { decodeText } from './decodeText.js';
import { readSrt } from './readSrt.js';
import { readTtml } from './readTtml.js';
import { readWebVtt } from './readWebVtt.js';

const EXTENSIONS: Readonly<Record<string, SubtitleFormat>> = {
  vtt: 'webvtt',
  webvtt: 'webvtt',
  srt: 'srt',
  ttml: 'ttml',
  dfxp: 'ttml',
  xml: 'ttml',
};

/**
 * The cues of a subtitle file: WebVTT, SRT or TTML/DFXP, the format taken from `format`,
 * else the file's extension, else its content. Bytes are UTF-8 (BOM or not) or UTF-16
 * with a BOM, at most MAX_SUBTITLE_BYTES. Every problem is a SmoothpubError with a
 * `text.*` code naming the file (and the line where there is one).
 */
export function readSubtitles(bytes: Uint8Array, file: string, format?: SubtitleFormat): Cue[] {
  const text = decodeText(bytes, file);
  const f = format ?? formatFromName(file) ?? formatFromContent(text);
  if (f === undefined) {
    throw new SmoothpubError(
      ErrorCode.TEXT_UNKNOWN_FORMAT,
      'cannot tell the subtitle format: the name ends in none of .vtt, .srt, .ttml, .dfxp, .xml and the content starts like none of them; name the format',
      { file },
    );
  }
  if (f === 'webvtt') return readWebVtt(text, file);
  if (f === 'srt') return readSrt(text, file);
  return readTtml(text, file);
}

/** The format an extension names, if any. */
export function formatFromName(file: string): SubtitleFormat | undefined {
  const m = /\.([A-Za-z]+)$/.exec(file);
  return m === null ? undefined : EXTENSIONS[m[1]!.toLowerCase()];
}

/** The format the first characters show: `WEBVTT`, an XML document with `<tt`, or a cue number and an SRT timing line. */
export function formatFromContent(text: string): SubtitleFormat | undefined {
  const head = text.slice(0, 4096).replace(/^\uFEFF/, '');
  if (/^WEBVTT(?:[ \t\r\n]|$)/.test(head)) return 'webvtt';
  if (/^\s*</.test(head) && /<(?:\w+:)?tt[\s>]/.test(head)) return 'ttml';
  if (/^\s*(?:\d+\s*\r?\n)?\s*\d+:\d{1,2}:\d{1,2}[,.]\d{1,3}\s*-->/.test(head)) return 'srt';
  return undefined;
}
