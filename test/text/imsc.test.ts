// What dash.js shows of smoothpub's TTML: dash.js renders TTML with imsc (npm `imsc`, the
// W3C IMSC reference renderer's library), so its intermediate synchronic documents (ISDs)
// say which text is on screen when, in which region, with which styles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { Cue } from '../../src/text/model.js';
import { colorHex } from '../../src/text/colors.js';
import { readSubtitles } from '../../src/text/readSubtitles.js';
import { regionBoxOf } from '../../src/text/placementBox.js';
import { textWindows } from '../../src/text/textWindows.js';
import { writeTtml } from '../../src/text/writeTtml.js';
import { fixture } from './helpers.js';

interface IsdNode {
  kind: string;
  text?: string;
  styleAttrs: Record<string, unknown>;
  contents?: IsdNode[];
}
interface Isd {
  contents: IsdNode[];
}
interface ImscDoc {
  getMediaTimeEvents(): number[];
}

// imsc's main module loads its HTML renderer, which needs a browser; the parser and the
// ISD generator do not.
const require = createRequire(import.meta.url);
const imscDoc = require('imsc/src/main/js/doc.js') as { fromXML(xml: string, handler: object): ImscDoc | null };
const imscIsd = require('imsc/src/main/js/isd.js') as { generateISD(doc: ImscDoc, t: number, handler: object): Isd };

const TTS = 'http://www.w3.org/ns/ttml#styling ';
const fail = { error: (e: string) => assert.fail(e), warn: (e: string) => assert.fail(e), info: () => undefined };

interface Shown {
  text: string;
  bold: boolean[];
  italic: boolean[];
  underline: boolean[];
  colors: string[];
  region: { x: number; y: number; w: number; h: number; displayAlign: unknown };
}

/** What imsc puts on screen at `t` seconds: each paragraph's text and styles, and its region. */
function shownAt(doc: ImscDoc, t: number): Shown[] {
  const out: Shown[] = [];
  for (const region of imscIsd.generateISD(doc, t, fail).contents) {
    const s = region.styleAttrs;
    const origin = s[`${TTS}origin`] as { w: { rw: number }; h: { rh: number } };
    const extent = s[`${TTS}extent`] as { w: { rw: number }; h: { rh: number } };
    const paragraphs: IsdNode[] = [];
    const findP = (n: IsdNode): void => (n.kind === 'p' ? void paragraphs.push(n) : (n.contents ?? []).forEach(findP));
    findP(region);
    for (const p of paragraphs) {
      const spans: IsdNode[] = [];
      const walk = (n: IsdNode): void => {
        if (n.kind === 'span' && n.text !== undefined) spans.push(n);
        if (n.kind === 'br') spans.push({ kind: 'br', text: '\n', styleAttrs: {} });
        for (const c of n.contents ?? []) walk(c);
      };
      walk(p);
      const texts = spans.filter((n) => n.kind === 'span');
      out.push({
        text: spans.map((n) => n.text).join(''),
        bold: texts.map((n) => n.styleAttrs[`${TTS}fontWeight`] === 'bold'),
        italic: texts.map((n) => n.styleAttrs[`${TTS}fontStyle`] === 'italic'),
        underline: texts.map((n) => (n.styleAttrs[`${TTS}textDecoration`] as string[] | undefined)?.includes('underline') === true),
        colors: texts.map((n) => `#${(n.styleAttrs[`${TTS}color`] as number[]).slice(0, 3).map((v) => v.toString(16).padStart(2, '0')).join('')}`),
        region: { x: round(origin.w.rw * 100), y: round(origin.h.rh * 100), w: round(extent.w.rw * 100), h: round(extent.h.rh * 100), displayAlign: s[`${TTS}displayAlign`] },
      });
    }
  }
  return out;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function expected(cue: Cue): Shown {
  const texts = cue.runs.filter((r): r is Exclude<typeof r, { lineBreak: true }> => !('lineBreak' in r));
  const box = regionBoxOf(cue.placement);
  return {
    text: cue.runs.map((r) => ('lineBreak' in r ? '\n' : r.text)).join(''),
    bold: texts.map((r) => r.bold === true),
    italic: texts.map((r) => r.italic === true),
    underline: texts.map((r) => r.underline === true),
    colors: texts.map((r) => (r.color === undefined ? '#ffffff' : colorHex(r.color))),
    region: { x: box.x, y: box.y, w: box.w, h: box.h, displayAlign: box.displayAlign },
  };
}

const source = readSubtitles(fixture('styled.vtt'), 'styled.vtt');

test('imsc shows every cue of a whole-track document at its times, with its text, styles and region', () => {
  const doc = imscDoc.fromXML(writeTtml({ start: 0, end: 8000, cues: source }, { language: 'en', timeBase: 'track' }), fail)!;
  // Every cue start and end is a media time event, to the millisecond.
  const events = new Set(doc.getMediaTimeEvents().map((t) => Math.round(t * 1000)));
  for (const c of source) assert.ok(events.has(c.start) && events.has(c.end), `events of cue at ${c.start}`);
  for (const cue of source) {
    // Between its start and the next event nothing else changes: only this cue (and any it overlaps) shows.
    const t = (cue.start + 1) / 1000;
    const shown = shownAt(doc, t);
    const overlapping = source.filter((c) => c.start <= cue.start + 1 && c.end > cue.start + 1);
    assert.deepEqual(shown.map((s) => s.text).sort(), overlapping.map((c) => expected(c).text).sort(), `text at ${t}`);
    assert.deepEqual(shown.find((s) => s.text === expected(cue).text), expected(cue), `cue at ${cue.start}`);
  }
  assert.deepEqual(shownAt(doc, 2.8), [], 'nothing between cues');
});

test('imsc reads a fragment document (fragment time base) relative to the fragment, cut at its end', () => {
  const [, window] = textWindows(source, [{ start: 0, end: 2000 }, { start: 2000, end: 4000 }]);
  const doc = imscDoc.fromXML(writeTtml(window!, { language: 'en', timeBase: 'fragment' }), fail)!;
  // dash.js adds the fragment's start (2 s) to these times for Smooth.
  assert.deepEqual(doc.getMediaTimeEvents().map((t) => Math.round(t * 1000)), [0, 600, 1000, 2000]);
  assert.deepEqual(shownAt(doc, 0.3).map((s) => s.text), ['Yellow across the boundary']);
  assert.deepEqual(shownAt(doc, 1.5).map((s) => s.text), ['Ça va? Très bien — 日本語の字幕 🎬\norange & <escaped>']);
});
