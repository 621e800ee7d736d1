import { readFileSync } from 'node:fs';
import type { Cue } from '../../src/text/model.js';
import { plainText } from '../../src/text/runs.js';

export const FIXTURES = 'test/fixtures/text';

export function fixture(name: string): Uint8Array {
  return readFileSync(`${FIXTURES}/${name}`);
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Times and plain text of cues: what a round trip must keep. */
export function timesAndText(cues: readonly Cue[]): [number, number, string][] {
  return cues.map((c) => [c.start, c.end, plainText(c.runs)]);
}

/** Cues without their ids (TTML's xml:id must be an XML name; WebVTT ids need not be). */
export function withoutIds(cues: readonly Cue[]): Cue[] {
  return cues.map((c) => {
    const copy = { ...c };
    delete copy.id;
    return copy;
  });
}
