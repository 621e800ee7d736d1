import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cue } from '../../src/text/model.js';
import { mergeCues } from '../../src/text/mergeCues.js';
import { textWindows } from '../../src/text/textWindows.js';

const cue = (start: number, end: number, text: string): Cue => ({ start, end, runs: [{ text }] });
const bounds = [{ start: 0, end: 2000 }, { start: 2000, end: 4000 }, { start: 4000, end: 6000 }];

test('a cue spanning a boundary goes into every window it overlaps, cut at the boundaries', () => {
  const windows = textWindows([cue(1500, 4500, 'long'), cue(100, 200, 'short'), cue(4000, 4100, 'at the boundary')], bounds);
  assert.deepEqual(windows.map((w) => w.cues.map((c) => [c.start, c.end, (c.runs[0] as { text: string }).text])), [
    [[100, 200, 'short'], [1500, 2000, 'long']],
    [[2000, 4000, 'long']],
    [[4000, 4500, 'long'], [4000, 4100, 'at the boundary']],
  ]);
  assert.deepEqual(windows.map((w) => [w.start, w.end]), bounds.map((b) => [b.start, b.end]));
});

test('a cue ending exactly at a window start is not in that window; an empty window stays', () => {
  const windows = textWindows([cue(1000, 2000, 'a')], bounds);
  assert.deepEqual(windows.map((w) => w.cues.length), [1, 0, 0]);
});

test('mergeCues joins the pieces textWindows cut, and keeps separate cues apart', () => {
  const cues = [cue(1500, 4500, 'long'), cue(100, 200, 'short'), cue(300, 400, 'short')];
  const pieces = textWindows(cues, bounds).flatMap((w) => w.cues);
  assert.deepEqual(mergeCues(pieces), [cue(100, 200, 'short'), cue(300, 400, 'short'), cue(1500, 4500, 'long')]);
});

test('many cues and windows: every cue time is covered exactly once after merging', () => {
  const cues = Array.from({ length: 2000 }, (_, i) => cue(i * 997, i * 997 + 1500 + (i % 7) * 300, `cue ${i}`));
  const windows = textWindows(cues, Array.from({ length: 1100 }, (_, i) => ({ start: i * 2000, end: (i + 1) * 2000 })));
  for (const w of windows) for (const c of w.cues) assert.ok(c.start >= w.start && c.end <= w.end && c.end > c.start);
  assert.deepEqual(mergeCues(windows.flatMap((w) => w.cues)), cues);
});
