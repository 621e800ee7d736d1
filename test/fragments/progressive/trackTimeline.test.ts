import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SampleTable } from '../../../src/fragments/types.js';
import { presentationDelay, presentationLead, trackTimeline, type TrackTimeline } from '../../../src/fragments/progressive/trackTimeline.js';

function table(times: number[], offsets: number[] | undefined, mediaTime: number, delay = 0): SampleTable {
  const count = times.length - 1;
  return {
    count,
    offsets: new Float64Array(count),
    sizes: new Uint32Array(count),
    times: Float64Array.from(times),
    ...(offsets ? { compositionOffsets: Int32Array.from(offsets) } : {}),
    mediaTime,
    delay,
  };
}

const decodeTimes = (tl: TrackTimeline, count: number): number[] => Array.from({ length: count + 1 }, (_, i) => tl.decodeTime(i));
/** Ticks of a 30000 or 48000 timescale in presentation ticks (10 MHz), rounded to the nearest (these have no halves). */
const at30k = (ticks: number[]): number[] => ticks.map((x) => Math.round((x * 1000) / 3));
const at48k = (ticks: number[]): number[] => ticks.map((x) => Math.round((x * 625) / 3));
const presented = (tl: TrackTimeline, count: number): number[] => Array.from({ length: count }, (_, i) => tl.decodeTime(i) + tl.compositionOffset(i));

// ffmpeg/x264 at 29.97 fps with a B-pyramid: decode order I0 P4 B2 b1 b3 ..., ctts v0,
// edit list media_time 2002 (the 2-frame reorder delay).
const f = 1001;
const ffmpeg = table([0, f, 2 * f, 3 * f, 4 * f, 5 * f, 6 * f], [2 * f, 5 * f, 2 * f, 0, f, 2 * f], 2 * f);

test('B-frame video is presented as the source presents it, from 0, with unsigned offsets', () => {
  const tl = trackTimeline(ffmpeg, 30000, 0);
  assert.deepEqual(presented(tl, 6), at30k([0, 4 * f, 2 * f, f, 3 * f, 5 * f]), 'the source\'s presentation times (edit list applied), each converted to 10 MHz');
  // The first three samples would decode before 0: they decode between 0 and the next sample's time instead.
  assert.deepEqual(decodeTimes(tl, 6), at30k([0, 333, 667, f, 2 * f, 3 * f, 6 * f]));
  for (let i = 0; i < 6; i++) assert.ok(tl.compositionOffset(i) >= 0, `sample ${i}: offset ${tl.compositionOffset(i)}`);
  assert.equal(tl.decodeTime(6) - tl.decodeTime(0), 2002000, 'the track lasts as long as the source, 6 frames of 29.97 fps (the last sample takes up the 2 frames)');
  assert.equal(presentationLead(ffmpeg), 0, 'nothing presented before 0: no delay');
});

test('signed offsets (ctts v1, no edit) give the same timeline', () => {
  const v1 = table([0, f, 2 * f, 3 * f, 4 * f, 5 * f, 6 * f], [0, 3 * f, 0, -2 * f, -f, 0], 0);
  assert.deepEqual(decodeTimes(trackTimeline(v1, 30000, 0), 6), decodeTimes(trackTimeline(ffmpeg, 30000, 0), 6));
  assert.deepEqual(presented(trackTimeline(v1, 30000, 0), 6), presented(trackTimeline(ffmpeg, 30000, 0), 6));
});

test('an open GOP (first presented frame second in decode order) never decodes after it is presented', () => {
  const open = table([0, f, 2 * f, 3 * f, 4 * f], [2 * f, -f, -f, 2 * f], 0);
  const tl = trackTimeline(open, 30000, 0);
  const dts = decodeTimes(tl, 4);
  assert.deepEqual(presented(tl, 4), at30k([2 * f, 0, f, 5 * f]));
  for (let i = 0; i < 4; i++) {
    assert.ok(dts[i + 1]! >= dts[i]!, `decode times never go back (${dts.join()})`);
    assert.ok(tl.compositionOffset(i) >= 0, `sample ${i} decodes by its presentation (${dts.join()})`);
  }
});

test('frames the edit list hides delay the whole presentation instead of decoding before 0', () => {
  // media_time 3003 hides the frame presented first (at 2002 in media time): it would present at -1001.
  const hidden = table([0, f, 2 * f, 3 * f], [2 * f, 2 * f, 2 * f], 3 * f);
  assert.equal(presentationLead(hidden), f);
  const delay = presentationDelay([{ samples: hidden, timescale: 30000 }]);
  assert.equal(delay, 333667, 'the lead, converted and rounded as any time is');
  const tl = trackTimeline(hidden, 30000, delay);
  assert.deepEqual(presented(tl, 3), [0, 333667, 667334], 'rounding -333666.67 and the delay 333667 gives 0; the next frames as the source, delayed');
  assert.equal(tl.decodeTime(0), 0);
});

test('AAC priming (the edit\'s media_time) is audio\'s lead: delayed by it, the priming decodes at 0 and the sound where the source\'s is, plus it', () => {
  const aac = table([0, 1024, 2048, 3072], undefined, 1024);
  assert.equal(presentationLead(aac), 1024);
  const delay = presentationDelay([{ samples: aac, timescale: 48000 }, { samples: ffmpeg, timescale: 30000 }]);
  assert.equal(delay, 213333, '1024/48000 s in 100 ns, rounded');
  assert.deepEqual(decodeTimes(trackTimeline(aac, 48000, delay), 3), [0, 213333, 426666, 640000]);
  assert.deepEqual(decodeTimes(trackTimeline(aac, 48000, 0), 3), at48k([-1024, 0, 1024, 2048]), 'undelayed, the priming would start before 0');
  assert.equal(trackTimeline(aac, 48000, 0).compositionOffset(0), 0);
  // Video in the same presentation is delayed as much: the source's sync.
  assert.deepEqual(presented(trackTimeline(ffmpeg, 30000, delay), 6), at30k([0, 4 * f, 2 * f, f, 3 * f, 5 * f]).map((x) => x + delay));
  assert.equal(presentationLead(table([0, 1024, 2048], undefined, 1024, 1024)), 0, 'a leading empty edit as long as the priming: no lead');
});
