import type { Cue, TextRun, TextWindow, TtmlTimeBase } from './model.js';
import { colorHex } from './colors.js';
import { escapeXml } from './escapeXml.js';
import { type RegionBox, percent, regionBoxOf } from './placementBox.js';
import { formatClockTime } from './timestamps.js';

export interface WriteTtmlOptions {
  /** BCP 47 language of the text (`xml:lang`), e.g. `en`. */
  language: string;
  /**
   * `fragment`: times relative to the window's start, as IIS and Azure Media Services
   * wrote Smooth text fragments and dash.js's Smooth support reads them; `track`: times
   * on the track's timeline, as DASH `stpp` (ISO/IEC 14496-30) wants.
   */
  timeBase: TtmlTimeBase;
}

export const TTML_NS = 'http://www.w3.org/ns/ttml';

/**
 * One TTML document for one fragment window (give the whole track as one window for a
 * sidecar file). Every cue is a `<p>` with clock times to the millisecond; styling is
 * written inline on `<span>`s (`tts:fontWeight`, `tts:fontStyle`, `tts:textDecoration`,
 * `tts:color`), which every TTML renderer resolves; each distinct placement is a region.
 * A cue without placement goes to the default region: the whole video, text at the
 * bottom, centered, which is where WebVTT and SRT players put it (TTML's own default
 * is the top left).
 */
export function writeTtml(window: TextWindow, options: WriteTtmlOptions): string {
  const base = options.timeBase === 'fragment' ? window.start : 0;
  const regions = new Map<string, { id: string; box: RegionBox }>();
  regions.set(JSON.stringify(regionBoxOf(undefined)), { id: 'default', box: regionBoxOf(undefined) });
  const regionOf = (cue: Cue): string => {
    const box = regionBoxOf(cue.placement);
    const key = JSON.stringify(box);
    let r = regions.get(key);
    if (r === undefined) {
      r = { id: `r${regions.size}`, box };
      regions.set(key, r);
    }
    return r.id;
  };
  const paragraphs = window.cues.map((cue) => {
    const region = regionOf(cue);
    const attrs = [`begin="${formatClockTime(cue.start - base)}"`, `end="${formatClockTime(cue.end - base)}"`];
    if (cue.id !== undefined) attrs.push(`xml:id="${escapeXml(xmlId(cue.id))}"`);
    // Each <p> names its region: TTML 1 9.3.3 leaves out of a region everything under an
    // ancestor that names another, so a region on <body> would hide every placed cue.
    attrs.push(`region="${region}"`);
    if (cue.placement?.align !== undefined && cue.placement.align !== 'center') attrs.push(`tts:textAlign="${cue.placement.align}"`);
    return `      <p ${attrs.join(' ')}>${writeRuns(cue.runs)}</p>`;
  });
  const regionLines = [...regions.values()].map(({ id, box }) =>
    `      <region xml:id="${id}" tts:origin="${percent(box.x)} ${percent(box.y)}" tts:extent="${percent(box.w)} ${percent(box.h)}" tts:displayAlign="${box.displayAlign}" tts:textAlign="center"/>`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<tt xmlns="${TTML_NS}" xmlns:ttp="${TTML_NS}#parameter" xmlns:tts="${TTML_NS}#styling" ttp:timeBase="media" xml:lang="${escapeXml(options.language)}">`,
    '  <head>',
    '    <layout>',
    ...regionLines,
    '    </layout>',
    '  </head>',
    '  <body>',
    '    <div>',
    ...paragraphs,
    '    </div>',
    '  </body>',
    '</tt>',
    '',
  ].join('\n');
}

/** xml:id must be an XML name: WebVTT ids ("1", "intro line") often are not. */
function xmlId(id: string): string {
  const name = id.replace(/[^A-Za-z0-9_.-]/g, '_');
  return /^[A-Za-z_]/.test(name) ? name : `c${name}`;
}

function writeRuns(runs: readonly TextRun[]): string {
  return runs
    .map((r) => {
      if ('lineBreak' in r) return '<br/>';
      const attrs: string[] = [];
      if (r.bold === true) attrs.push('tts:fontWeight="bold"');
      if (r.italic === true) attrs.push('tts:fontStyle="italic"');
      if (r.underline === true) attrs.push('tts:textDecoration="underline"');
      if (r.color !== undefined) attrs.push(`tts:color="${colorHex(r.color)}"`);
      const text = escapeXml(r.text);
      return attrs.length === 0 ? `<span>${text}</span>` : `<span ${attrs.join(' ')}>${text}</span>`;
    })
    .join('');
}
