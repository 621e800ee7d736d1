import { ErrorCode, SmoothpubError, WarningCode, type SmoothpubWarning } from '../../errors.js';
import type { SampleTable, TrackIndex } from '../types.js';
import { spanFragment, type CutTrack } from './spanFragment.js';
import { PRESENTATION_TIME_SCALE as SCALE } from '../../smooth/timeScale.js';
import { alignTimeline, canAlign, type TimelineAnchor } from './alignTimeline.js';
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
 * quality levels are one stream: they are cut together at keyframes all of them present
 * at the same time, at or after each multiple of `seconds`, and their fragments there
 * start to decode at one time (see alignTimeline). Audio is cut at its own sample
 * boundaries nearest the video's cut times (or multiples of `seconds`). Fragments far
 * longer than `seconds` (the renditions share few keyframes) add a warning to `warnings`.
 */
export function cutProgressive(tracks: TrackIndex[], seconds: number = DEFAULT_FRAGMENT_DURATION, warnings: SmoothpubWarning[] = []): TrackIndex[] {
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
    const anchors = sharedKeyframeCuts(video, seconds, delay);
    // The last anchor of each level is its end, not a cut.
    cutTimes = anchors[0]!.slice(0, -1).map((a) => a.decodeTime);
    video.forEach((t, k) => {
      timelines.set(t, alignTimeline(timelineOf(t), anchors[k]!));
      cut.set(t, withFragments(t, anchors[k]!.slice(0, -1).map((a) => a.index)));
    });
    const long = fragmentDurationWarning(video.map((t) => cut.get(t)!), seconds);
    if (long) warnings.push(long);
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

/** A keyframe: its sample, when it decodes, and when the source presents it (the presentation's delay taken off). */
interface Keyframe {
  index: number;
  decode: number;
  presented: number;
}

function keyframesOf(t: Progressive, delay: number): Keyframe[] {
  const out: Keyframe[] = [];
  const { sync, count } = t.samples;
  const timeline = timelineOf(t);
  for (let i = 0; i < count; i++) {
    if (sync !== undefined && sync[i] !== 1) continue;
    const decode = timeline.decodeTime(i);
    out.push({ index: i, decode, presented: timeline.presentationTime(i) - delay });
  }
  return out;
}

/**
 * Where each video level is cut (`result[level][cut]`): at keyframes every level presents
 * at the same time, the first sample first, and last the end of the track (one past its
 * last sample). Renditions of one source with open GOPs or different B-frame counts
 * decode such keyframes at different times: each cut's `decodeTime` is the earliest of
 * them, where every level's fragment will start, and the end the earliest end, so that
 * every level's last fragment lasts as long as the Manifest says.
 */
function sharedKeyframeCuts(video: Progressive[], seconds: number, delay: number): TimelineAnchor[][] {
  const first = video[0]!;
  const timed = video.map((t) => keyframesOf(t, delay));
  const starts = timed.map((list) => list[0]!);
  const start = starts[0]!;
  for (let k = 1; k < video.length; k++) {
    if (starts[k]!.presented !== start.presented) throw misaligned(first, video[k]!, `their first samples start at ${seconds3(start.presented)} and ${seconds3(starts[k]!.presented)}`);
  }
  const byTime = timed.map((list) => new Map(list.map((kf) => [kf.presented, kf])));
  const anchorsOf = (kfs: Keyframe[]): TimelineAnchor[] => {
    const decodeTime = Math.min(...kfs.map((kf) => kf.decode));
    return kfs.map((kf) => ({ index: kf.index, decodeTime }));
  };
  const cuts = [anchorsOf(starts)];
  const step = seconds * SCALE;
  // A keyframe is a cut when it is presented at or after the next multiple of `seconds`.
  let next = (Math.floor(start.presented / step) + 1) * step;
  for (const kf of timed[0]!) {
    if (kf.presented < next) continue;
    const same = byTime.map((m) => m.get(kf.presented));
    if (same.some((x) => x === undefined)) continue;
    const here = anchorsOf(same as Keyframe[]);
    const previous = cuts[cuts.length - 1]!;
    if (!video.every((t, k) => canAlign(timelineOf(t), previous[k]!, here[k]!))) continue;
    cuts.push(here);
    next = (Math.floor(kf.presented / step) + 1) * step;
  }
  if (cuts.length === 1 && video.length > 1) {
    // Renditions that could each be cut but share no keyframe to cut all of them at.
    const cuttable = timed.some((list) => list.some((kf) => kf.presented >= start.presented + step));
    if (cuttable) {
      const k = timed.findIndex((list, i) => i > 0 && shownList(list) !== shownList(timed[0]!));
      const other = Math.max(k, 1);
      throw misaligned(
        first,
        video[other]!,
        `they share no keyframe presented at the same time to cut fragments at: first keyframes after the start at ${listSeconds(timed[0]!, first)} vs ${listSeconds(timed[other]!, video[other]!)}`,
      );
    }
  }
  const ends = video.map((t) => ({ index: t.samples.count, decodeTime: timelineOf(t).decodeTime(t.samples.count) }));
  const end = anchorsOf(ends.map((e) => ({ index: e.index, decode: e.decodeTime, presented: 0 })));
  // A last fragment too short to end with the others joins the one before.
  while (cuts.length > 1 && !video.every((t, k) => canAlign(timelineOf(t), cuts[cuts.length - 1]![k]!, end[k]!))) cuts.pop();
  return video.map((_, k) => [...cuts.map((c) => c[k]!), end[k]!]);
}

/** Video fragments (but the last) far longer than asked for: say how long, and why. */
function fragmentDurationWarning(video: TrackIndex[], seconds: number): SmoothpubWarning | undefined {
  const t = video[0]!;
  const lengths = t.fragments.slice(0, -1).map((f) => Number(f.duration) / t.timescale);
  const long = lengths.filter((l) => l > seconds * LONG_FRAGMENT);
  if (long.length === 0) return undefined;
  const at = lengths.findIndex((l) => l > seconds * LONG_FRAGMENT);
  const from = t.fragments[at]!;
  const files = video.map((v) => `${v.file} track ${v.trackId}`).join(', ');
  return {
    code: WarningCode.FRAGMENT_DURATION,
    message:
      `video fragments last up to ${Math.max(...long).toFixed(3)} s (${long.length} of ${t.fragments.length} longer than ${LONG_FRAGMENT} x the fragment duration of ${seconds} s; ` +
      `the first from ${seconds3(Number(from.time))}): ${files} ${video.length > 1 ? 'present keyframes at the same time' : 'has keyframes'} only that far apart. ` +
      `Long fragments make clients start, seek and switch levels late; encode ${video.length > 1 ? 'every rendition ' : ''}with a keyframe every ${seconds} s (e.g. ffmpeg -g <fps x ${seconds}> -keyint_min <fps x ${seconds}> -sc_threshold 0)`,
    context: { file: t.file, trackId: t.trackId },
  };
}

/** How much longer than `--fragment-duration` a fragment may be before it is worth a warning. */
const LONG_FRAGMENT = 1.5;

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
function listSeconds(keyframes: Keyframe[], t: TrackIndex): string {
  const shown = keyframes.slice(1, 4).map((kf) => seconds3(kf.presented));
  return shown.length > 0 ? `[${shown.join(', ')}${keyframes.length > 4 ? ', ...' : ''}] in ${t.file} track ${t.trackId}` : `[none] in ${t.file} track ${t.trackId}`;
}

/** The first few keyframes' presentation times, to tell renditions apart. */
function shownList(keyframes: Keyframe[]): string {
  return keyframes.slice(1, 4).map((kf) => kf.presented).join();
}

function misaligned(a: TrackIndex, b: TrackIndex, what: string): SmoothpubError {
  return new SmoothpubError(
    ErrorCode.MISALIGNED,
    `video renditions ${a.file} track ${a.trackId} and ${b.file} track ${b.trackId} cannot be cut into aligned fragments: ${what}. Encode all levels with keyframes at the same times (e.g. ffmpeg -force_key_frames 'expr:gte(t,n_forced*2)' -sc_threshold 0)`,
    { file: b.file, trackId: b.trackId },
  );
}
