/**
 * Stand-ins for the text layer's API (src/text/, being written on another branch) with
 * its announced signatures: replaced by imports from src/text/ once it is merged.
 */
import { ErrorCode, SmoothpubError } from '../errors.js';
import type { Cue, SubtitleFormat, TextWindow, TtmlTimeBase } from '../text/model.js';

function notYet(what: string): never {
  throw new SmoothpubError(ErrorCode.BAD_OPTION, `text: ${what} is not available yet`);
}

export function readSubtitles(_bytes: Uint8Array, _file: string, _format?: SubtitleFormat): Cue[] {
  return notYet('readSubtitles');
}

export function textWindows(_cues: readonly Cue[], _bounds: readonly { start: number; end: number }[]): TextWindow[] {
  return notYet('textWindows');
}

export function writeTtml(_window: TextWindow, _options: { language: string; timeBase: TtmlTimeBase }): string {
  return notYet('writeTtml');
}

export function writeWebVtt(_window: TextWindow): string {
  return notYet('writeWebVtt');
}

export interface TtmlFragmentOptions {
  trackId: number;
  sequenceNumber: number;
  time: bigint;
  duration: bigint;
  timescale: number;
  tfxd: boolean;
  tfdt: boolean;
}

export function ttmlFragment(_document: string, _options: TtmlFragmentOptions): Uint8Array {
  return notYet('ttmlFragment');
}

export function textInitSegment(_options: { trackId: number; timescale: number; language: string; duration?: bigint }): Uint8Array {
  return notYet('textInitSegment');
}
