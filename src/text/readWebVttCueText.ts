import type { TextRun } from './model.js';
import { normalizeColor, WEBVTT_COLOR_CLASSES } from './colors.js';
import { type RunStyle, RunBuilder } from './runs.js';

const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', nbsp: '\u00a0', lrm: '\u200e', rlm: '\u200f', quot: '"', apos: "'" };

/** `&amp;`, `&lt;`, numeric references...; an unknown one stays as written (WebVTT does the same). */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (all, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return safeCodePoint(parseInt(name.slice(2), 16)) ?? all;
    if (name.startsWith('#')) return safeCodePoint(parseInt(name.slice(1), 10)) ?? all;
    return NAMED_ENTITIES[name] ?? all;
  });
}

function safeCodePoint(n: number): string | undefined {
  return Number.isInteger(n) && n > 0 && n <= 0x10ffff && !(n >= 0xd800 && n <= 0xdfff) ? String.fromCodePoint(n) : undefined;
}

/**
 * WebVTT cue text (W3C WebVTT 4.2.2) as runs: `<b>`, `<i>`, `<u>` and color classes
 * (`<c.yellow>`, or a class a STYLE block gives a color) become styles; voice, language,
 * ruby and timestamp tags keep their text and lose the tag, as neither TTML nor smoothpub's
 * model carries them. `classColors` maps class names to canonical colors.
 */
export function readWebVttCueText(text: string, classColors: ReadonlyMap<string, string> = new Map()): TextRun[] {
  const out = new RunBuilder();
  const stack: { tag: string; style: RunStyle }[] = [];
  const current = (): RunStyle => stack[stack.length - 1]?.style ?? {};
  const tagRe = /<([^>]*)>/g;
  let last = 0;
  for (let m = tagRe.exec(text); m !== null; m = tagRe.exec(text)) {
    if (m.index > last) out.text(decodeEntities(text.slice(last, m.index)), current());
    last = m.index + m[0].length;
    const body = m[1]!.trim();
    if (body.startsWith('/')) {
      const name = body.slice(1).split(/[.\s]/)[0]!;
      const at = stack.map((s) => s.tag).lastIndexOf(name);
      if (at >= 0) stack.length = at;
      continue;
    }
    const [head = ''] = body.split(/[\s]/);
    const [name = '', ...classes] = head.split('.');
    if (!/^(b|i|u|c|v|lang|ruby|rt)$/.test(name)) continue; // timestamps and unknown tags
    const style: RunStyle = { ...current() };
    if (name === 'b') style.bold = true;
    if (name === 'i') style.italic = true;
    if (name === 'u') style.underline = true;
    for (const cls of classes) {
      const color = classColors.get(cls) ?? (WEBVTT_COLOR_CLASSES[cls] !== undefined ? cls : undefined);
      if (color !== undefined) style.color = color;
    }
    stack.push({ tag: name, style });
  }
  if (last < text.length) out.text(decodeEntities(text.slice(last)), current());
  return out.finish();
}

/**
 * Class colors from WebVTT STYLE blocks: `::cue(.name) { color: ... }` rules (the form
 * smoothpub writes for colors outside the default classes). Other CSS is ignored.
 */
export function readStyleBlockColors(css: string, into: Map<string, string>): void {
  for (const m of css.matchAll(/::cue\(\s*\.([A-Za-z0-9_-]+)\s*\)\s*\{([^}]*)\}/g)) {
    const decl = /(?:^|;)\s*color\s*:\s*([^;]+)/.exec(m[2]!);
    const color = decl === null ? undefined : normalizeColor(decl[1]!);
    if (color !== undefined) into.set(m[1]!, color);
  }
}
