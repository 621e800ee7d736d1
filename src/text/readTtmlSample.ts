import { childBoxes } from '../bmff/box.js';
import { Cursor } from '../bmff/cursor.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { readTfdt } from '../bmff/tfdt.js';
import { readTfhd } from '../bmff/tfhd.js';
import { UUID_TFXD } from '../bmff/piff.js';
import { readTfxd } from '../bmff/tfxd.js';
import { readTrun } from '../bmff/trun.js';
import type { Cue, TtmlTimeBase } from './model.js';
import { decodeText } from './decodeText.js';
import { readTtml } from './readTtml.js';

export interface TtmlSampleTiming {
  /** The sample's start and duration in `timescale` units. */
  time: bigint;
  duration: bigint;
  timescale: number;
  /** How the document states its times: relative to the sample (Smooth) or on the track timeline (DASH stpp). */
  timeBase: TtmlTimeBase;
}

function ms(t: bigint, timescale: number): number {
  const scale = BigInt(timescale);
  return Number((t * 1000n * 2n + scale) / (scale * 2n));
}

/**
 * The cues of one TTML sample of an ISMV/fMP4 text track (`stpp`, `dfxp`), on the track
 * timeline in milliseconds and clipped to the sample's span: what a player shows while
 * that sample is current. A `<p>` with no end lasts to the sample's end.
 */
export function readTtmlSample(sample: Uint8Array, file: string, timing: TtmlSampleTiming): Cue[] {
  const start = ms(timing.time, timing.timescale);
  const end = ms(timing.time + timing.duration, timing.timescale);
  const offset = timing.timeBase === 'fragment' ? start : 0;
  const cues = readTtml(decodeText(sample, file), file, { offset, defaultEnd: end - offset });
  return cues.filter((c) => c.end > start && c.start < end).map((c) => ({ ...c, start: Math.max(c.start, start), end: Math.min(c.end, end) }));
}

export interface ReadTtmlFragmentOptions {
  timescale: number;
  timeBase: TtmlTimeBase;
  /** Where the fragment's time comes from when it has both (Smooth: tfxd; DASH: tfdt). */
  timeFrom?: 'tfxd' | 'tfdt';
  /** The track's trex default sample duration, for fragments whose trun and tfhd give none. */
  defaultSampleDuration?: number;
}

/**
 * The cues of one text fragment (`moof` + `mdat`, as ttmlFragment writes it or as IIS,
 * ffmpeg-era tools and Shaka Packager do): each sample of its single track read by
 * readTtmlSample. The fragment's time is its tfxd or tfdt.
 */
export function readTtmlFragment(bytes: Uint8Array, file: string, options: ReadTtmlFragmentOptions): Cue[] {
  const c = new Cursor(bytes, 0, 'fragment');
  let moofAt = -1;
  let traf: Cursor | undefined;
  const out: Cue[] = [];
  for (const top of childBoxes(c, 'file')) {
    if (top.type === 'moof') {
      moofAt = top.offset;
      traf = undefined;
      for (const child of childBoxes(top.payload, 'moof')) if (child.type === 'traf') traf = child.payload;
    } else if (top.type === 'mdat') {
      if (traf === undefined) throw new SmoothpubError(ErrorCode.MISSING_BOX, "a text fragment's 'mdat' has no 'moof/traf' before it", { file, offset: top.offset });
      out.push(...readTraf(traf, bytes, moofAt, file, options));
    }
  }
  return out;
}

function readTraf(traf: Cursor, bytes: Uint8Array, moofAt: number, file: string, options: ReadTtmlFragmentOptions): Cue[] {
  let tfdt: bigint | undefined;
  let tfxd: bigint | undefined;
  let defaultDuration = options.defaultSampleDuration;
  let defaultSize: number | undefined;
  let base = moofAt;
  const runs: ReturnType<typeof readTrun>[] = [];
  for (const b of childBoxes(traf, 'traf')) {
    if (b.type === 'tfhd') {
      const h = readTfhd(b.payload);
      if (h.baseDataOffset !== undefined) base = Number(h.baseDataOffset);
      defaultDuration = h.defaultSampleDuration ?? defaultDuration;
      defaultSize = h.defaultSampleSize;
    } else if (b.type === 'tfdt') {
      tfdt = readTfdt(b.payload).baseMediaDecodeTime;
    } else if (b.type === 'uuid' && b.uuid === UUID_TFXD) {
      tfxd = readTfxd(b.payload).time;
    } else if (b.type === 'trun') {
      runs.push(readTrun(b.payload));
    }
  }
  let time = options.timeFrom === 'tfdt' ? (tfdt ?? tfxd) : options.timeFrom === 'tfxd' ? (tfxd ?? tfdt) : (tfxd ?? tfdt);
  if (time === undefined) throw new SmoothpubError(ErrorCode.MISSING_BOX, "a text fragment has neither 'tfdt' nor a PIFF 'tfxd' to give its time", { file, offset: moofAt });
  const cues: Cue[] = [];
  for (const run of runs) {
    let at = base + (run.dataOffset ?? 0);
    for (let i = 0; i < run.sampleCount; i++) {
      const s = run.samples[i];
      const duration = s?.duration ?? defaultDuration;
      const size = s?.size ?? defaultSize;
      if (duration === undefined || size === undefined || at < 0 || at + size > bytes.length) {
        throw new SmoothpubError(ErrorCode.BAD_BOX, `text sample ${i} of the fragment has no duration or size, or lies outside the fragment`, { file, offset: moofAt });
      }
      cues.push(...readTtmlSample(bytes.subarray(at, at + size), file, { time, duration: BigInt(duration), timescale: options.timescale, timeBase: options.timeBase }));
      at += size;
      time += BigInt(duration);
    }
  }
  return cues;
}
