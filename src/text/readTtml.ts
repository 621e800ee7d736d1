import { ErrorCode, SmoothpubError } from '../errors.js';
import type { Cue, CuePlacement, TextRun } from './model.js';
import { normalizeColor } from './colors.js';
import { finishCues } from './finishCues.js';
import { type RunStyle, RunBuilder } from './runs.js';
import { type TtmlTimeParameters, badTime, parseTtmlTime, readTimeParameters } from './ttmlTime.js';
import { type XmlElement, NS_XML, elements, qname, readXmlTree } from './xmlTree.js';

export interface ReadTtmlOptions {
  /** Milliseconds added to every time: a fragment's start when the document's times are relative to it. */
  offset?: number;
  /** Where cues with no end time end, in the document's own time (a sample's duration); an error without it. */
  defaultEnd?: number;
}

/** TTML styling this reader keeps (TTML 1 8.2), by local name of the `tts:` attribute. */
interface Styles {
  color?: string;
  fontWeight?: string;
  fontStyle?: string;
  textDecoration?: string;
  textAlign?: string;
  displayAlign?: string;
  origin?: string;
  extent?: string;
}

const STYLE_NAMES = ['color', 'fontWeight', 'fontStyle', 'textDecoration', 'textAlign', 'displayAlign', 'origin', 'extent'] as const;

interface Context {
  file: string;
  source: string;
  params: TtmlTimeParameters;
  styles: Map<string, XmlElement>;
  regions: Map<string, Styles>;
  rootExtent: [number, number] | undefined;
  offset: number;
  defaultEnd: number | undefined;
  cues: (Cue & { line?: number })[];
  /** Paragraphs read so far: the n-th `<p>` of the source is the n-th read (document order). */
  paragraphs: number;
}

/**
 * A TTML (or DFXP) document as cues: each `<p>` with its begin/end (TTML 1's parallel
 * timing: a child's times count from its parent's begin), its text with `<br/>` line
 * breaks, bold/italic/underline/color from `tts:` attributes and referenced `<style>`s,
 * and its placement from its region (`tts:origin`, `tts:extent`, `tts:displayAlign`) and
 * `tts:textAlign`. Timing inside a `<p>` (karaoke spans) is not carried: the whole
 * paragraph shows for its own time.
 */
export function readTtml(text: string, file: string, options: ReadTtmlOptions = {}): Cue[] {
  const root = readXmlTree(text, file);
  if (root.local !== 'tt') {
    throw new SmoothpubError(ErrorCode.TEXT_MALFORMED, `a TTML document's root element is <tt>, found <${root.local}>`, { file });
  }
  const fail = (message: string): never => {
    throw new SmoothpubError(ErrorCode.TEXT_MALFORMED, message, { file });
  };
  const params = readTimeParameters((name) => param(root, name), fail);
  const timeBase = param(root, 'timeBase');
  if (timeBase === 'clock') fail('ttp:timeBase="clock" (wall-clock times) cannot be placed on a media timeline; use media times');
  const ctx: Context = {
    file,
    source: text,
    params,
    styles: new Map(),
    regions: new Map(),
    rootExtent: pixels(styleAttr(root, 'extent')),
    offset: options.offset ?? 0,
    defaultEnd: options.defaultEnd,
    cues: [],
    paragraphs: 0,
  };
  const head = elements(root, 'head')[0];
  for (const styling of head === undefined ? [] : elements(head, 'styling')) {
    for (const s of elements(styling, 'style')) {
      const id = s.attributes.get(qname(NS_XML, 'id'));
      if (id !== undefined) ctx.styles.set(id, s);
    }
  }
  for (const layout of head === undefined ? [] : elements(head, 'layout')) {
    for (const r of elements(layout, 'region')) {
      const id = r.attributes.get(qname(NS_XML, 'id'));
      if (id === undefined) continue;
      // A region's own styles, then its nested <style> children (TTML 1 9.1.2).
      let styles = specifiedStyles(r, ctx);
      for (const child of elements(r, 'style')) styles = { ...styles, ...specifiedStyles(child, ctx) };
      ctx.regions.set(id, styles);
    }
  }
  const body = elements(root, 'body')[0];
  try {
    if (body !== undefined) walk(body, ctx, { begin: 0, end: undefined, styles: {}, region: undefined, preserve: false });
  } catch (e) {
    if (e instanceof RangeError) throw new SmoothpubError(ErrorCode.TEXT_MALFORMED, 'the TTML document nests elements too deeply to read', { file }, { cause: e });
    throw e;
  }
  return finishCues(ctx.cues, file);
}

interface Inherited {
  begin: number;
  end: number | undefined;
  styles: Styles;
  region: string | undefined;
  preserve: boolean;
}

function walk(e: XmlElement, ctx: Context, parent: Inherited): void {
  const here = inherit(e, ctx, parent);
  if (e.local === 'p') {
    ctx.cues.push(readParagraph(e, ctx, here));
    return;
  }
  for (const child of elements(e)) {
    if (child.local === 'div' || child.local === 'p') walk(child, ctx, here);
  }
}

function inherit(e: XmlElement, ctx: Context, parent: Inherited): Inherited {
  const begin = parent.begin + (time(e, 'begin', ctx) ?? 0);
  const endAttr = time(e, 'end', ctx);
  const dur = time(e, 'dur', ctx);
  let end = endAttr !== undefined ? parent.begin + endAttr : dur !== undefined ? begin + dur : parent.end;
  if (end !== undefined && parent.end !== undefined) end = Math.min(end, parent.end);
  const space = e.attributes.get(qname(NS_XML, 'space'));
  return {
    begin,
    end,
    styles: { ...parent.styles, ...specifiedStyles(e, ctx) },
    region: e.attributes.get('region') ?? parent.region,
    preserve: space === undefined ? parent.preserve : space === 'preserve',
  };
}

function readParagraph(p: XmlElement, ctx: Context, here: Inherited): Cue & { line?: number } {
  const nth = ctx.paragraphs++;
  const end = here.end ?? ctx.defaultEnd;
  if (end === undefined) {
    const line = lineOf(ctx.source, /<(?:[\w.-]+:)?p[\s>/]/g, nth);
    throw new SmoothpubError(ErrorCode.TEXT_BAD_TIMESTAMP, 'a TTML <p> has no end time (no end or dur on it or its parents)', line === undefined ? { file: ctx.file } : { file: ctx.file, line });
  }
  const regionStyles = here.region === undefined ? {} : (ctx.regions.get(here.region) ?? {});
  const styles: Styles = { ...regionStyles, ...here.styles };
  const pieces: Piece[] = [];
  collect(p, styles, here.preserve, ctx, pieces);
  const cue: Cue = { start: ctx.offset + here.begin, end: ctx.offset + end, runs: toRuns(pieces, here.preserve) };
  const id = p.attributes.get(qname(NS_XML, 'id'));
  if (id !== undefined) cue.id = id;
  const placement = readPlacement(styles, ctx);
  if (placement !== undefined) cue.placement = placement;
  return cue;
}

type Piece = { text: string; style: RunStyle } | 'br';

function collect(e: XmlElement, styles: Styles, preserve: boolean, ctx: Context, out: Piece[]): void {
  for (const child of e.children) {
    if ('text' in child) {
      if (child.text !== '') out.push({ text: child.text, style: runStyle(styles) });
    } else if (child.local === 'br') {
      out.push('br');
    } else if (child.local === 'span') {
      const space = child.attributes.get(qname(NS_XML, 'space'));
      collect(child, { ...styles, ...specifiedStyles(child, ctx) }, space === undefined ? preserve : space === 'preserve', ctx, out);
    }
  }
}

/**
 * XML whitespace as TTML presents it (xml:space="default"): every run of spaces, tabs
 * and newlines is one space, and none starts or ends a line. With xml:space="preserve"
 * the text stays as written and its newlines break lines.
 */
function toRuns(pieces: Piece[], preserve: boolean): TextRun[] {
  const out = new RunBuilder();
  if (preserve) {
    for (const p of pieces) {
      if (p === 'br') out.lineBreak();
      else out.text(p.text, p.style);
    }
    return out.finish();
  }
  const lines: { text: string; style: RunStyle }[][] = [[]];
  for (const p of pieces) {
    if (p === 'br') lines.push([]);
    else lines[lines.length - 1]!.push({ text: p.text.replace(/[ \t\r\n]+/g, ' '), style: p.style });
  }
  lines.forEach((line, i) => {
    if (i > 0) out.lineBreak();
    let atSpace = true; // the start of a line counts as a space
    const kept = line.map((seg) => {
      let t = seg.text;
      if (atSpace) t = t.replace(/^ /, '');
      if (t !== '') atSpace = t.endsWith(' ');
      return { text: t, style: seg.style };
    });
    for (let j = kept.length - 1; j >= 0; j--) {
      const trimmed = kept[j]!.text.replace(/ $/, '');
      kept[j]!.text = trimmed;
      if (trimmed !== '') break;
    }
    for (const seg of kept) if (seg.text !== '') out.text(seg.text, seg.style);
  });
  return out.finish();
}

function runStyle(s: Styles): RunStyle {
  const style: RunStyle = {};
  if (s.fontWeight === 'bold') style.bold = true;
  if (s.fontStyle === 'italic' || s.fontStyle === 'oblique') style.italic = true;
  if (s.textDecoration !== undefined && /(^|\s)underline(\s|$)/.test(s.textDecoration)) style.underline = true;
  const color = s.color === undefined ? undefined : normalizeColor(s.color);
  if (color !== undefined && color !== 'white') style.color = color;
  return style;
}

/** Styles an element specifies: its referenced `<style>`s in order, then its own `tts:` attributes. */
function specifiedStyles(e: XmlElement, ctx: Context, seen: Set<string> = new Set()): Styles {
  let styles: Styles = {};
  for (const ref of (e.attributes.get('style') ?? '').split(/\s+/).filter((r) => r !== '')) {
    const s = ctx.styles.get(ref);
    if (s === undefined || seen.has(ref)) continue;
    seen.add(ref);
    styles = { ...styles, ...specifiedStyles(s, ctx, seen) };
  }
  for (const name of STYLE_NAMES) {
    const v = styleAttr(e, name);
    if (v !== undefined) styles[name] = v.trim();
  }
  return styles;
}

/** Placement from the region's origin and extent (percentages, or pixels of the root extent) and textAlign. */
function readPlacement(s: Styles, ctx: Context): CuePlacement | undefined {
  const p: CuePlacement = {};
  // Center is where WebVTT and SRT players put cues anyway: only other alignments are kept.
  const align = s.textAlign;
  if (align === 'start' || align === 'end' || align === 'left' || align === 'right') p.align = align;
  const origin = percentPair(s.origin, ctx.rootExtent);
  const extent = percentPair(s.extent, ctx.rootExtent);
  if (origin !== undefined && extent !== undefined) {
    const [x, y] = origin;
    const [w, h] = extent;
    if (!(x === 0 && w === 100)) {
      p.sizePercent = w;
      const a = p.align ?? 'center';
      p.positionPercent = round(a === 'center' ? x + w / 2 : a === 'start' || a === 'left' ? x : x + w);
    }
    const display = s.displayAlign ?? 'before';
    if (!(y === 0 && h === 100 && display === 'after')) {
      if (display === 'after') {
        p.linePercent = round(y + h);
        p.lineAlign = 'end';
      } else if (display === 'center') {
        p.linePercent = round(y + h / 2);
        p.lineAlign = 'center';
      } else {
        p.linePercent = y;
      }
    }
  }
  return Object.keys(p).length > 0 ? p : undefined;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function percentPair(v: string | undefined, root: [number, number] | undefined): [number, number] | undefined {
  if (v === undefined) return undefined;
  const pct = /^(-?\d+(?:\.\d+)?)%\s+(-?\d+(?:\.\d+)?)%$/.exec(v);
  if (pct !== null) return [Number(pct[1]), Number(pct[2])];
  const px = pixels(v);
  if (px !== undefined && root !== undefined) return [round((px[0] / root[0]) * 100), round((px[1] / root[1]) * 100)];
  return undefined;
}

function pixels(v: string | undefined): [number, number] | undefined {
  const m = v === undefined ? null : /^(\d+(?:\.\d+)?)px\s+(\d+(?:\.\d+)?)px$/.exec(v.trim());
  return m === null || Number(m[1]) === 0 || Number(m[2]) === 0 ? undefined : [Number(m[1]), Number(m[2])];
}

/** A `tts:` attribute whatever its prefix; TTML 1 and the DFXP drafts name the namespace differently. */
function styleAttr(e: XmlElement, local: string): string | undefined {
  for (const [k, v] of e.attributes) {
    if (k.endsWith(`}${local}`) && /#styl(e|ing)\}/.test(k)) return v;
  }
  return undefined;
}

function param(e: XmlElement, local: string): string | undefined {
  for (const [k, v] of e.attributes) {
    if (k.endsWith(`}${local}`) && k.includes('#parameter}')) return v;
  }
  return undefined;
}

function time(e: XmlElement, attr: 'begin' | 'end' | 'dur', ctx: Context): number | undefined {
  const v = e.attributes.get(attr);
  if (v === undefined) return undefined;
  const ms = parseTtmlTime(v, ctx.params);
  if (ms === undefined) throw badTime(v, attr, ctx.file, lineOf(ctx.source, new RegExp(`\\b${attr}\\s*=\\s*["']${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']`)));
  return ms;
}

/** The 1-based line of the n-th match (the first for a non-global RegExp): fast-xml-parser keeps no positions. */
function lineOf(source: string, re: RegExp, nth = 0): number | undefined {
  let m = re.exec(source);
  for (let i = 0; i < nth && m !== null && re.global; i++) m = re.exec(source);
  return m === null ? undefined : source.slice(0, m.index).split('\n').length;
}
