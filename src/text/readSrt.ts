import { ErrorCode, SmoothpubError } from '../errors.js';
import type { Cue, TextRun } from './model.js';
import { normalizeColor } from './colors.js';
import { finishCues } from './finishCues.js';
import { type RunStyle, RunBuilder } from './runs.js';
import { parseSrtTimestamp } from './timestamps.js';

/**
 * A SubRip (.srt) file as cues: blocks of a cue number (optional: many tools omit or
 * misnumber it, and players ignore it), a timing line and text lines, separated by
 * blank lines. A block with no timing line is an error naming its line, since its text
 * belongs to no cue.
 */
export function readSrt(text: string, file: string): Cue[] {
  const lines = text.split(/\r\n|\r|\n/);
  const cues: (Cue & { line: number })[] = [];
  let i = 0;
  while (i < lines.length) {
    if (lines[i]!.trim() === '') {
      i++;
      continue;
    }
    const blockStart = i;
    let timingAt = i;
    if (/^\d+\s*$/.test(lines[i]!) && lines[i + 1]?.includes('-->') === true) timingAt = i + 1;
    const timing = lines[timingAt]!;
    if (!timing.includes('-->')) {
      throw new SmoothpubError(ErrorCode.TEXT_MALFORMED, `expected a cue number and a timing line ("00:00:01,000 --> 00:00:02,000"), found ${JSON.stringify(timing.slice(0, 60))}`, { file, line: timingAt + 1 });
    }
    const m = /^\s*(\S+)\s*-->\s*(\S+)/.exec(timing);
    const start = m === null ? undefined : parseSrtTimestamp(m[1]!);
    const end = m === null ? undefined : parseSrtTimestamp(m[2]!);
    if (start === undefined || end === undefined) {
      throw new SmoothpubError(ErrorCode.TEXT_BAD_TIMESTAMP, `cannot read the cue timing ${JSON.stringify(timing.slice(0, 80))}: SRT times are hh:mm:ss,mmm`, { file, line: timingAt + 1 });
    }
    i = timingAt + 1;
    const textLines: string[] = [];
    // A missing blank line before the next cue is a common authoring slip: a cue number
    // followed by a timing line (or a timing line alone) starts the next cue anyway.
    while (i < lines.length && lines[i]!.trim() !== '' && !startsCue(lines, i)) textLines.push(lines[i++]!);
    const cue: Cue & { line: number } = { start, end, runs: readSrtCueText(textLines.join('\n')), line: timingAt + 1 };
    if (timingAt > blockStart) cue.id = lines[blockStart]!.trim();
    cues.push(cue);
  }
  return finishCues(cues, file);
}

const TIMING = /^\s*\d+:\d{1,2}:\d{1,2}[,.]\d{1,3}\s*-->/;

function startsCue(lines: readonly string[], i: number): boolean {
  return TIMING.test(lines[i]!) || (/^\d+\s*$/.test(lines[i]!) && TIMING.test(lines[i + 1] ?? ''));
}

/**
 * SRT cue text: the HTML-like tags players honour (`<b>`, `<i>`, `<u>`, `<font color>`,
 * and `{b}`-style braces); ASS override codes (`{\an8}`) are removed. Anything else is
 * text: SRT has no escaping, so a `<` that opens no known tag stays as written.
 */
export function readSrtCueText(text: string): TextRun[] {
  const out = new RunBuilder();
  const stack: { tag: string; style: RunStyle }[] = [];
  const current = (): RunStyle => stack[stack.length - 1]?.style ?? {};
  const tagRe = /<\s*(\/?)\s*(b|i|u|font)\b([^>]*)>|\{(\/?)(b|i|u)\}|\{\\[^}]*\}/gi;
  let last = 0;
  for (let m = tagRe.exec(text); m !== null; m = tagRe.exec(text)) {
    if (m.index > last) out.text(text.slice(last, m.index), current());
    last = m.index + m[0].length;
    const closing = (m[1] ?? m[4]) === '/';
    const name = (m[2] ?? m[5])?.toLowerCase();
    if (name === undefined) continue; // an ASS override code
    if (closing) {
      const at = stack.map((s) => s.tag).lastIndexOf(name);
      if (at >= 0) stack.length = at;
      continue;
    }
    const style: RunStyle = { ...current() };
    if (name === 'b') style.bold = true;
    if (name === 'i') style.italic = true;
    if (name === 'u') style.underline = true;
    if (name === 'font') {
      const color = /color\s*=\s*["']?([^"'\s>]+)/i.exec(m[3] ?? '');
      const c = color === null ? undefined : normalizeColor(color[1]!);
      if (c !== undefined) style.color = c;
    }
    stack.push({ tag: name, style });
  }
  if (last < text.length) out.text(text.slice(last), current());
  return out.finish();
}
