import type { Cue, CuePlacement, TextRun, TextWindow } from './model.js';
import { WEBVTT_COLOR_CLASSES } from './colors.js';
import { percent } from './placementBox.js';
import { formatClockTime } from './timestamps.js';

/** HLS's mapping of WebVTT times to media times (RFC 8216 3.5): `MPEGTS` in 90 kHz units is cue time `LOCAL` (ms). */
export interface TimestampMap {
  mpegts: number;
  local: number;
}

export interface WriteWebVttOptions {
  /**
   * Write `X-TIMESTAMP-MAP` (HLS WebVTT segments). `true` maps the window's start to
   * itself: `MPEGTS` = start x 90 (mod 2^33), `LOCAL` = start, so cue times are read on
   * the media timeline of the fMP4 video. hls.js computes a cue's time as
   * `cue + (MPEGTS - initPTS) / 90000 - LOCAL` where initPTS is the video's first
   * `tfdt` time; a map of media time to itself puts each cue at its media time.
   * Without the header hls.js shifts cues by -initPTS as well, but the HLS
   * specification says cue time 0 is then MPEG-TS time 0, which Safari follows; so
   * segments for HLS always carry it.
   */
  timestampMap?: boolean | TimestampMap;
  /**
   * Write colors outside WebVTT's eight default classes exactly, as classes a STYLE block
   * defines (`::cue(.color_ff8800) { color: #ff8800; }`): Chromium and Safari honour it
   * on native tracks, but ffmpeg 5.1 reads no cue at all from a file with a STYLE block
   * and hls.js skips the block (its cues get no CSS from it). By default such a color is
   * written as the nearest default class.
   */
  exactColors?: boolean;
}

const MPEGTS_WRAP = 2 ** 33;

/**
 * A WebVTT file, or one HLS segment when given a window: times to the millisecond,
 * `<b>`, `<i>`, `<u>`, color classes (WebVTT's eight defaults by name; any other color
 * as a class defined in a STYLE block), line breaks, and cue settings for placement.
 */
export function writeWebVtt(input: readonly Cue[] | TextWindow, options: WriteWebVttOptions = {}): string {
  const cues = 'cues' in input ? input.cues : input;
  const windowStart = 'cues' in input ? input.start : 0;
  const header = ['WEBVTT'];
  if (options.timestampMap !== undefined && options.timestampMap !== false) {
    const map = options.timestampMap === true ? { mpegts: (windowStart * 90) % MPEGTS_WRAP, local: windowStart } : options.timestampMap;
    header.push(`X-TIMESTAMP-MAP=MPEGTS:${map.mpegts},LOCAL:${formatClockTime(map.local)}`);
  }
  const exact = options.exactColors === true;
  const custom = new Set<string>();
  if (exact) for (const cue of cues) for (const r of cue.runs) if (!('lineBreak' in r) && r.color !== undefined && WEBVTT_COLOR_CLASSES[r.color] === undefined) custom.add(r.color);
  const blocks = [header.join('\n')];
  if (custom.size > 0) blocks.push(['STYLE', ...[...custom].map((c) => `::cue(.${colorClass(c)}) { color: ${c}; }`)].join('\n'));
  for (const cue of cues) {
    const timing = `${formatClockTime(cue.start)} --> ${formatClockTime(cue.end)}${settings(cue.placement)}`;
    // An id may not contain "-->" nor a line break (WebVTT 4.2.1).
    const id = cue.id === undefined || cue.id.includes('-->') || /[\r\n]/.test(cue.id) ? [] : [cue.id];
    blocks.push([...id, timing, cueText(cue.runs, exact)].join('\n'));
  }
  return `${blocks.join('\n\n')}\n`;
}

/** The default class nearest to a color (RGB distance; alpha ignored). */
export function nearestColorClass(color: string): string {
  const rgb = (hex: string): number[] => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const [r, g, b] = rgb(color);
  let best = 'white';
  let bestDistance = Infinity;
  for (const [name, hex] of Object.entries(WEBVTT_COLOR_CLASSES)) {
    const [cr, cg, cb] = rgb(hex);
    const d = (r! - cr!) ** 2 + (g! - cg!) ** 2 + (b! - cb!) ** 2;
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best;
}

function colorClass(color: string): string {
  return `color_${color.replace(/^#/, '')}`;
}

function settings(p: CuePlacement | undefined): string {
  if (p === undefined) return '';
  const s: string[] = [];
  if (p.linePercent !== undefined) s.push(`line:${percent(p.linePercent)}${p.lineAlign === undefined || p.lineAlign === 'start' ? '' : `,${p.lineAlign}`}`);
  if (p.positionPercent !== undefined) s.push(`position:${percent(p.positionPercent)}`);
  if (p.sizePercent !== undefined) s.push(`size:${percent(p.sizePercent)}`);
  if (p.align !== undefined) s.push(`align:${p.align}`);
  return s.length === 0 ? '' : ` ${s.join(' ')}`;
}

function escapeText(s: string): string {
  return s.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/** Cue text with tags nested per run; a text line may not be empty, nor contain "-->". */
function cueText(runs: readonly TextRun[], exactColors: boolean): string {
  return runs
    .map((r) => {
      if ('lineBreak' in r) return '\n';
      let t = escapeText(r.text).replace(/-->/g, '--&gt;');
      if (r.color !== undefined) t = `<c.${WEBVTT_COLOR_CLASSES[r.color] !== undefined ? r.color : exactColors ? colorClass(r.color) : nearestColorClass(r.color)}>${t}</c>`;
      if (r.underline === true) t = `<u>${t}</u>`;
      if (r.italic === true) t = `<i>${t}</i>`;
      if (r.bold === true) t = `<b>${t}</b>`;
      return t;
    })
    .join('')
    .replace(/\n{2,}/g, (m) => '\n' + '\u00a0\n'.repeat(m.length - 1)) || '\u00a0';
}
