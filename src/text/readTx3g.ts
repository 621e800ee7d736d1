import { ErrorCode, SmoothpubError } from '../errors.js';
import { normalizeColor } from './colors.js';
import { finishCues } from './finishCues.js';
import type { Cue } from './model.js';
import { RunBuilder, type RunStyle } from './runs.js';

/** A 3GPP timed text sample (`tx3g`, what ffmpeg's mov_text writes) and when it shows, in milliseconds. */
export interface Tx3gSample {
  start: number;
  end: number;
  bytes: Uint8Array;
}

/** The sample entry's default style (3GPP TS 26.245 5.16): its text color, `#rrggbb[aa]`; undefined when unreadable. */
export function tx3gDefaultColor(entry: Uint8Array): string | undefined {
  // Box header 8, SampleEntry 8, displayFlags 4, justification 2, background 4, BoxRecord 8,
  // then the StyleRecord: startChar, endChar, fontID (6), face, size (2), text color (4).
  const at = 8 + 8 + 4 + 2 + 4 + 8 + 8;
  return entry.length >= at + 4 ? rgba(entry, at) : undefined;
}

/**
 * Cues of a tx3g track: each non-empty sample is a cue from its start to its end (an empty
 * sample is the gap between cues). Text is UTF-8, or UTF-16 after a byte-order mark; `styl`
 * records (TS 26.245 5.17.1.1) give bold, italic, underline and a color other than the
 * sample entry's default over character ranges. `file` names errors.
 */
export function readTx3gCues(samples: readonly Tx3gSample[], file: string, defaultColor?: string): Cue[] {
  const cues: Cue[] = [];
  const base = defaultColor === undefined ? undefined : normalizeColor(defaultColor);
  for (const s of samples) {
    const runs = readTx3gSample(s.bytes, file, base);
    if (runs.length > 0) cues.push({ start: s.start, end: s.end, runs });
  }
  return finishCues(cues, file);
}

function readTx3gSample(bytes: Uint8Array, file: string, defaultColor: string | undefined): Cue['runs'] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 2) return [];
  const length = view.getUint16(0);
  if (2 + length > bytes.length) {
    throw new SmoothpubError(ErrorCode.TEXT_MALFORMED, `tx3g sample says ${length} bytes of text but holds ${bytes.length - 2}; the file is damaged`, { file });
  }
  const raw = bytes.subarray(2, 2 + length);
  const utf16 = raw.length >= 2 && raw[0] === 0xfe && raw[1] === 0xff;
  // Style offsets count characters: code points of the decoded text.
  const chars = [...new TextDecoder(utf16 ? 'utf-16be' : 'utf-8').decode(utf16 ? raw.subarray(2) : raw)];
  const styles: RunStyle[] = chars.map(() => ({}));
  for (let at = 2 + length; at + 8 <= bytes.length; ) {
    const size = view.getUint32(at);
    if (size < 8 || at + size > bytes.length) break;
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (type === 'styl' && size >= 10) {
      const count = view.getUint16(at + 8);
      for (let i = 0; i < count && at + 10 + (i + 1) * 12 <= at + size; i++) {
        const r = at + 10 + i * 12;
        const style: RunStyle = {};
        const face = bytes[r + 6]!;
        if (face & 1) style.bold = true;
        if (face & 2) style.italic = true;
        if (face & 4) style.underline = true;
        const color = rgba(bytes, r + 8);
        if (color !== undefined && color !== defaultColor) style.color = color;
        for (let c = view.getUint16(r); c < Math.min(view.getUint16(r + 2), chars.length); c++) styles[c] = { ...styles[c], ...style };
      }
    }
    at += size;
  }
  const runs = new RunBuilder();
  let from = 0;
  for (let c = 1; c <= chars.length; c++) {
    if (c === chars.length || JSON.stringify(styles[c]) !== JSON.stringify(styles[from])) {
      runs.text(chars.slice(from, c).join('').replace(/\r\n?/g, '\n'), styles[from]!);
      from = c;
    }
  }
  return runs.finish();
}

function rgba(bytes: Uint8Array, at: number): string | undefined {
  const hex = [...bytes.subarray(at, at + 4)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return normalizeColor(`#${hex}`);
}
