import { ErrorCode, SmoothpubError } from '../errors.js';
import type { Cue, CuePlacement } from './model.js';
import { readStyleBlockColors, readWebVttCueText } from './readWebVttCueText.js';
import { finishCues } from './finishCues.js';
import { parseWebVttTimestamp } from './timestamps.js';

interface Line {
  text: string;
  /** 1-based. */
  number: number;
}

/**
 * A WebVTT file (W3C WebVTT) as cues. Where a browser silently drops what it cannot
 * read, this throws a typed error naming the line (a bad timestamp, a missing header):
 * a caption that silently disappears is the worse outcome for a published title.
 * NOTE and REGION blocks are skipped (regions are not carried: TTML's are rebuilt from
 * each cue's own line/position/size); STYLE blocks give class colors.
 */
export function readWebVtt(text: string, file: string): Cue[] {
  const lines = text.split(/\r\n|\r|\n/).map((t, i): Line => ({ text: t, number: i + 1 }));
  const header = lines[0]?.text ?? '';
  if (!/^WEBVTT(?:[ \t].*)?$/.test(header)) {
    throw new SmoothpubError(ErrorCode.TEXT_MALFORMED, `a WebVTT file must start with "WEBVTT", found ${JSON.stringify(header.slice(0, 40))}`, { file, line: 1 });
  }
  const classColors = new Map<string, string>();
  const cues: Cue[] = [];
  const blocks = splitBlocks(lines);
  blocks.shift(); // the header block (WEBVTT line and its metadata headers)
  for (let b = 0; b < blocks.length; b++) {
    const block = blocks[b]!;
    const first = block[0]!;
    if (/^NOTE(?:[ \t]|$)/.test(first.text) || /^REGION(?:[ \t]|$)/.test(first.text)) continue;
    if (/^STYLE(?:[ \t]|$)/.test(first.text)) {
      readStyleBlockColors(block.slice(1).map((l) => l.text).join('\n'), classColors);
      continue;
    }
    const timingAt = first.text.includes('-->') ? 0 : block[1]?.text.includes('-->') === true ? 1 : -1;
    if (timingAt < 0) {
      throw new SmoothpubError(ErrorCode.TEXT_MALFORMED, `expected a cue timing line ("00:00:01.000 --> 00:00:02.000"), found ${JSON.stringify(first.text.slice(0, 60))}`, { file, line: first.number });
    }
    // A line with "-->" in cue text ends the cue and starts the next (WebVTT 6.1, as
    // browsers and hls.js parse it): a missing blank line loses no cue.
    const next = block.findIndex((l, k) => k > timingAt && l.text.includes('-->'));
    if (next > 0) blocks.splice(b + 1, 0, block.splice(next));
    const timing = block[timingAt]!;
    const cue = readTiming(timing, file);
    if (timingAt === 1) cue.id = first.text;
    cue.runs = readWebVttCueText(block.slice(timingAt + 1).map((l) => l.text).join('\n'), classColors);
    cues.push(cue);
  }
  return finishCues(cues, file);
}

/** Blocks of non-empty lines, separated by empty ones. */
function splitBlocks(lines: Line[]): Line[][] {
  const blocks: Line[][] = [];
  let current: Line[] = [];
  for (const line of lines) {
    if (line.text.trim() === '') {
      if (current.length > 0) blocks.push(current);
      current = [];
    } else {
      current.push(line);
    }
  }
  if (current.length > 0) blocks.push(current);
  return blocks;
}

function readTiming(line: Line, file: string): Cue & { line: number } {
  const m = /^\s*(\S+)[ \t]+-->[ \t]+(\S+)(.*)$/.exec(line.text);
  const start = m === null ? undefined : parseWebVttTimestamp(m[1]!);
  const end = m === null ? undefined : parseWebVttTimestamp(m[2]!);
  if (m === null || start === undefined || end === undefined) {
    throw new SmoothpubError(
      ErrorCode.TEXT_BAD_TIMESTAMP,
      `cannot read the cue timing ${JSON.stringify(line.text.slice(0, 80))}: WebVTT times are [hh:]mm:ss.ttt (three fraction digits, a dot)`,
      { file, line: line.number },
    );
  }
  const cue: Cue & { line: number } = { start, end, runs: [], line: line.number };
  const placement = readSettings(m[3]!);
  if (placement !== undefined) cue.placement = placement;
  return cue;
}

const PERCENT = /^(\d+(?:\.\d+)?)%$/;

/** Cue settings (WebVTT 4.4); line numbers (not percentages), position alignment, vertical and region are dropped. */
function readSettings(settings: string): CuePlacement | undefined {
  const p: CuePlacement = {};
  for (const setting of settings.trim().split(/[ \t]+/)) {
    const [name, value = ''] = setting.split(':', 2);
    const [first = '', second] = value.split(',');
    if (name === 'align') {
      const align = first === 'middle' ? 'center' : first;
      if (align === 'start' || align === 'center' || align === 'end' || align === 'left' || align === 'right') p.align = align;
    } else if (name === 'line' || name === 'position' || name === 'size') {
      const pct = PERCENT.exec(first);
      if (pct === null) continue;
      const n = Number(pct[1]);
      if (n > 100) continue;
      if (name === 'line') {
        p.linePercent = n;
        if (second === 'center' || second === 'end') p.lineAlign = second;
      }
      else if (name === 'position') p.positionPercent = n;
      else p.sizePercent = n;
    }
  }
  return Object.keys(p).length > 0 ? p : undefined;
}
