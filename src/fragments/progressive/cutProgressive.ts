import { ErrorCode, SmoothpubError } from '../../errors.js';
import type { SampleTable, TrackIndex } from '../types.js';
import { spanFragment, type CutTrack } from './spanFragment.js';
import { PRESENTATION_TIME_SCALE as SCALE } from '../../smooth/timeScale.js';
import { presentationDelay, trackTimeline, type TrackTimeline } from './trackTimeline.js';

/** The default fragment length of plain MP4 input, seconds (what encoders' GOPs usually are). */
export const DEFAULT_FRAGMENT_DURATION = 2;

type Progressive = TrackIndex & { samples: SampleTable };

function isProgressive(t: TrackIndex): t is Progressive {
  return t.samples !== undefined && t.fragments.length === 0;
}

/**
 * Cuts every plain MP4 track into fragments (other tracks are returned as they are),
 * timed in presentation ticks (10 MHz; the cut tracks say so in `timescale`). Video
 * quality levels are one stream: they are cut together at keyframes all of them share,
 * at or after each multiple of `seconds`. Audio is cut at its own sample boundaries
 * nearest the video's cut times (or multiples of `seconds`).
 */
export function cutProgressive(tracks: TrackIndex[], seconds: number = DEFAULT_FRAGMENT_DURATION): TrackIndex[] {
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw new SmoothpubError(ErrorCode.BAD_OPTION, `fragment duration must be a positive number of seconds, got ${seconds}`);
  const video = tracks.filter((t): t is Progressive => isProgressive(t) && t.kind === 'video');
  // Every track is presented as in the source, all delayed by as much as the earliest would
  // start before 0 (AAC priming): A/V in sync, no fragment before 0.
  const delay = presentationDelay(tracks.filter(isProgressive));
  for (const t of tracks) {
    if (!isProgressive(t)) continue;
    timelines.set(t, trackTimeline(t.samples, t.timescale, delay));
    checkTrunFields(t);
  }
  const cut = new Map<TrackIndex, TrackIndex>();
  let cutTimes: number[] = [];
  if (video.length > 0) {
    cutTimes = sharedKeyframeCuts(video, seconds, delay);
    for (const t of video) cut.set(t, withFragments(t, startsOf(t, cutTimes)));
  }
  for (const t of tracks) {
    if (!isProgressive(t) || t.kind === 'video') continue;
    cut.set(t, withFragments(t, nearestCuts(t, cutTimes, seconds)));
  }
  return tracks.map((t) => cut.get(t) ?? t);
}

/** Each track's timeline, set by cutProgressive before anything is cut. */
const timelines = new WeakMap<Progressive, TrackTimeline>();

function timelineOf(t: Progressive): TrackTimeline {
  return timelines.get(t)!;
}

function withFragments(t: Progressive, starts: number[]): TrackIndex {
  const track: CutTrack = { trackId: t.trackId, table: t.samples, timeline: timelineOf(t) };
  const fragments = starts.map((from, i) => spanFragment(track, from, starts[i + 1] ?? t.samples.count, i + 1));
  return { ...t, timescale: SCALE, fragments };
}

/** The largest sample duration and composition offset a `trun` holds: 32 bits, 429 s at 10 MHz. */
const MAX_TRUN_FIELD = 0xffffffff;

/**
 * Every sample's duration and composition offset must fit its 32-bit `trun` field on the
 * presentation clock; only corrupt sample tables (a sample lasting, or shown, minutes
 * after it decodes) do not.
 */
function checkTrunFields(t: Progressive): void {
  const timeline = timelineOf(t);
  let decode = timeline.decodeTime(0);
  for (let i = 0; i < t.samples.count; i++) {
    const next = timeline.decodeTime(i + 1);
    const offset = timeline.presentationTime(i) - decode;
    if (next - decode > MAX_TRUN_FIELD || offset > MAX_TRUN_FIELD) {
      const what = next - decode > MAX_TRUN_FIELD ? `lasts ${seconds3(next - decode)}` : `is presented ${seconds3(offset)} after it decodes`;
      throw new SmoothpubError(ErrorCode.BAD_BOX, `sample ${i + 1} ${what}, more than a fragment can hold (429 s): the track's sample tables (stts, ctts) are corrupt`, {
        file: t.file,
        trackId: t.trackId,
        boxPath: 'moov/trak/mdia/minf/stbl',
      });
    }
    decode = next;
  }
}

/** Timeline decode time (presentation ticks) of sample i. */
function timeOf(t: Progressive, i: number): number {
  return timelineOf(t).decodeTime(i);
}

/**
 * Decode times of the keyframes (what fragments start at), and when the source presents
 * each (what cuts and messages go by: the presentation's delay taken off).
 */
function keyframeTimes(t: Progressive, delay: number): { decode: number[]; presented: Map<number, number> } {
  const decode: number[] = [];
  const presented = new Map<number, number>();
  const { sync, count } = t.samples;
  const timeline = timelineOf(t);
  for (let i = 0; i < count; i++) {
    if (sync !== undefined && sync[i] !== 1) continue;
    const time = timeline.decodeTime(i);
    decode.push(time);
    presented.set(time, timeline.presentationTime(i) - delay);
  }
  return { decode, presented };
}

/**
 * Cut times (presentation ticks, first sample's time first) at keyframes every video
 * level has. Levels of different timescales line up where their keyframes are at the same
 * times: equal times convert to equal ticks.
 */
function sharedKeyframeCuts(video: Progressive[], seconds: number, delay: number): number[] {
  const first = video[0]!;
  const timed = video.map((t) => keyframeTimes(t, delay));
  const keyframes = timed.map((k) => k.decode);
  const shown = (k: number, time: number): number => timed[k]!.presented.get(time)!;
  const start = keyframes[0]![0]!;
  for (let k = 1; k < video.length; k++) {
    if (keyframes[k]![0] !== start) throw misaligned(first, video[k]!, `their first samples start at ${seconds3(shown(0, start))} and ${seconds3(shown(k, keyframes[k]![0]!))}`);
  }
  const others = keyframes.slice(1).map((list) => new Set(list));
  const shared = keyframes[0]!.filter((time) => others.every((s) => s.has(time)));
  const step = seconds * SCALE;
  const cuts = [start];
  // A keyframe is a cut when it is presented at or after the next multiple of `seconds`.
  let next = (Math.floor(shown(0, start) / step) + 1) * step;
  for (const time of shared) {
    const at = shown(0, time);
    if (at < next) continue;
    cuts.push(time);
    next = (Math.floor(at / step) + 1) * step;
  }
  if (cuts.length === 1 && video.length > 1) {
    // Renditions that could each be cut but share no keyframe to cut all of them at.
    const cuttable = timed.findIndex((k) => k.decode.some((time) => k.presented.get(time)! >= shown(0, start) + step));
    if (cuttable >= 0) {
      const k = keyframes.findIndex((list, i) => i > 0 && list.slice(1, 4).join() !== keyframes[0]!.slice(1, 4).join());
      const other = video[Math.max(k, 1)]!;
      throw misaligned(
        first,
        other,
        `they share no keyframe to cut fragments at: first keyframes after the start at ${listSeconds(timed[0]!, first)} vs ${listSeconds(timed[Math.max(k, 1)]!, other)}`,
      );
    }
  }
  return cuts;
}

function startsOf(t: Progressive, cutTimes: number[]): number[] {
  const indexByTime = new Map<number, number>();
  const { sync, count } = t.samples;
  for (let i = 0; i < count; i++) if (sync === undefined || sync[i] === 1) indexByTime.set(timeOf(t, i), i);
  return cutTimes.map((time) => indexByTime.get(time)!);
}

/** Sample indexes nearest each cut time (presentation ticks), then every `seconds` to the end; always from sample 0. */
function nearestCuts(t: Progressive, cutTimes: number[], seconds: number): number[] {
  const { count } = t.samples;
  const step = seconds * SCALE;
  const end = timeOf(t, count);
  const targets = cutTimes.slice(1);
  let next = targets.length > 0 ? targets[targets.length - 1]! + step : timeOf(t, 0) + step;
  // No sliver of a last fragment (audio delayed past the video's end): it joins the one before.
  for (; next < end - step / 2; next += step) targets.push(next);
  const starts = [0];
  for (const target of targets) {
    const i = nearestSample(t, target);
    if (i > starts[starts.length - 1]! && i < count) starts.push(i);
  }
  return starts;
}

/** The sample whose start time is nearest `target` (binary search over increasing times). */
function nearestSample(t: Progressive, target: number): number {
  let lo = 0;
  let hi = t.samples.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (timeOf(t, mid) < target) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && target - timeOf(t, lo - 1) <= timeOf(t, lo) - target) return lo - 1;
  return lo;
}

function seconds3(ticks: number): string {
  return `${(ticks / SCALE).toFixed(3)} s`;
}

/** The keyframes after the first, as the source presents them. */
function listSeconds(keyframes: { decode: number[]; presented: Map<number, number> }, t: TrackIndex): string {
  const times = keyframes.decode;
  const shown = times.slice(1, 4).map((x) => seconds3(keyframes.presented.get(x)!));
  return shown.length > 0 ? `[${shown.join(', ')}${times.length > 4 ? ', ...' : ''}] in ${t.file} track ${t.trackId}` : `[none] in ${t.file} track ${t.trackId}`;
}

function misaligned(a: TrackIndex, b: TrackIndex, what: string): SmoothpubError {
  return new SmoothpubError(
    ErrorCode.MISALIGNED,
    `video renditions ${a.file} track ${a.trackId} and ${b.file} track ${b.trackId} cannot be cut into aligned fragments: ${what}. Encode all levels with keyframes at the same times (e.g. ffmpeg -force_key_frames 'expr:gte(t,n_forced*2)' -sc_threshold 0)`,
    { file: b.file, trackId: b.trackId },
  );
}
