import type { LiveMpdOptions } from '../formats/dash/writeMpd.js';
import type { LiveHlsOptions } from '../formats/hls/writePlaylists.js';
import { MPD_KEY } from '../formats/names.js';
import { CMAF_TRACK_ID, type Format, type FormatLevel, type FormatPresentation } from '../formats/model.js';
import { cmafInitSegment, formatLevel } from '../plan/formatObjects.js';
import { withTfdt } from '../plan/insertTfdt.js';
import type { Presentation } from '../smooth/model.js';
import { PRESENTATION_TIME_SCALE } from '../smooth/timeScale.js';
import type { LevelSource, LiveLevel, LiveStream } from './liveLevel.js';

/** Whether `--formats` asks for DASH or HLS beside Smooth (init segments, a tfdt in every fragment, the MPD and playlists). */
export function addsFormats(formats: readonly Format[] | undefined): boolean {
  return formats !== undefined && formats.some((f) => f !== 'smooth');
}

/**
 * The pushed `moof`+`mdat` with a `tfdt` in its `moof` (withTfdt, as `package` gives
 * fragments for DASH and HLS) and track CMAF_TRACK_ID, as the level's init segment says:
 * DASH and HLS players place samples by it; Smooth clients take times from the Manifest
 * and `tfxd` and play it as they play packaged fragments. `t` is on the stream's clock,
 * which is the track's: the tfdt is on it too.
 */
export function withDecodeTime(bytes: Uint8Array, t: bigint, d: bigint, trexDefaultDuration: number): Uint8Array {
  const moofSize = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  const moof = withTfdt(bytes.subarray(0, moofSize), 0, { time: t, duration: d, trexDefaultDuration });
  if (moof === undefined) return bytes;
  const out = new Uint8Array(moof.length + bytes.length - moofSize);
  out.set(moof);
  out.set(bytes.subarray(moofSize), moof.length);
  return out;
}

/** A level's init segment for DASH and HLS (what `package` writes at initKey), from the pushed `moov`. */
export function liveInitSegment(source: LevelSource): Uint8Array {
  return cmafInitSegment({ kind: source.kind, timescale: source.timescale, trackId: source.trackId, width: source.width ?? 0, height: source.height ?? 0, sampleEntry: source.sampleEntry, fragments: [] }, { stsd: undefined, trex: source.trex }, source.language);
}

/** The track ID a level's stored fragments name: CMAF_TRACK_ID once withDecodeTime made them. */
export function storedTrackId(source: LevelSource, formats: readonly Format[] | undefined): number {
  return addsFormats(formats) ? CMAF_TRACK_ID : source.trackId;
}

/**
 * The DASH and HLS view of the Manifest's presentation: only the levels whose init segment
 * is stored (a level read back after a restart has no pushed `moov` until an encoder feeds
 * it again), each chunk's size at that level (0 where it has none).
 */
export function liveFormatPresentation(p: Presentation, streams: readonly LiveStream[], name: string): FormatPresentation | undefined {
  const levels: FormatLevel[] = [];
  const out: Presentation = { ...p, streams: [] };
  for (const s of p.streams) {
    const live = streams.find((x) => x.name === s.name);
    if (live === undefined) continue;
    const ready = live.levels.filter((l): l is LiveLevel & { source: LevelSource } => l.initStored === true && l.source !== undefined);
    if (ready.length === 0) continue;
    out.streams.push({ ...s, qualityLevels: ready.map((l, index) => ({ index, ...l.quality, bitrate: l.bitrate })) });
    for (const l of ready) {
      const sizes = s.chunks.map((c) => l.stored.get(c.t)?.size ?? 0);
      levels.push(formatLevel(l.streamName, l.bitrate, { kind: l.source.kind, sampleEntry: l.source.sampleEntry, file: name, trackId: l.source.trackId }, sizes, undefined));
    }
  }
  return out.streams.length === 0 ? undefined : { presentation: out, levels };
}

/** Where the live MPD and playlists put the event on the wall clock; fixed for the event once chosen. */
export interface LiveOrigin {
  /** The event's first time, presentation clock (the MPD's presentationTimeOffset). */
  timeOrigin: bigint;
  /** The wall clock of timeOrigin as clients see it. */
  at: Date;
}

/**
 * Chosen when the first documents are written: the newest listed chunk's end is available
 * now, so timeOrigin was "live" `edge - timeOrigin` ago. Fragments are stored one fragment
 * after they end (the tfrf hold-back), and this puts availabilityStartTime that much later
 * than the encoder's clock, as a dynamic MPD must (a segment is available at
 * availabilityStartTime + its end).
 */
export function liveOrigin(p: Presentation, edge: bigint, now: Date): LiveOrigin {
  let timeOrigin = edge;
  for (const s of p.streams) {
    const first = s.chunks[0];
    if (first === undefined) continue;
    const t = (first.t * BigInt(PRESENTATION_TIME_SCALE)) / BigInt(s.timeScale ?? p.timeScale);
    if (t < timeOrigin) timeOrigin = t;
  }
  return { timeOrigin, at: new Date(now.getTime() - Number((edge - timeOrigin) / 10_000n)) };
}

/** The longest chunk of the newest ones, 100 ns units: how often the documents change. */
export function fragmentDuration(p: Presentation): bigint {
  let d = 0n;
  for (const s of p.streams) {
    const last = s.chunks[s.chunks.length - 1];
    if (last === undefined) continue;
    const scaled = (last.d * BigInt(PRESENTATION_TIME_SCALE)) / BigInt(s.timeScale ?? p.timeScale);
    if (scaled > d) d = scaled;
  }
  return d > 0n ? d : 20_000_000n;
}

/** The dynamic MPD's and sliding playlists' options at `now`. */
export function liveDocumentOptions(p: Presentation, origin: LiveOrigin, now: Date, dvrWindow: bigint | undefined, mediaSequence: (stream: string) => number, ended: boolean): { mpd: LiveMpdOptions; hls: LiveHlsOptions } {
  const fragment = fragmentDuration(p);
  const mpd: LiveMpdOptions = { availabilityStartTime: origin.at, timeOrigin: origin.timeOrigin, publishTime: now, minimumUpdatePeriod: fragment, suggestedPresentationDelay: 3n * fragment, utcTiming: liveUtcTiming(now) };
  if (dvrWindow !== undefined && dvrWindow > 0n) mpd.timeShiftBufferDepth = dvrWindow;
  return { mpd, hls: { mediaSequence, programDateTime: { at: origin.at, timeOrigin: origin.timeOrigin }, ...(ended && { ended: true }) } };
}

/**
 * Where DASH clients read the time (without any, dash.js asks a public time server and,
 * off line, reports error 16). First the Date header of a HEAD of the MPD itself (a relative
 * URL: clients resolve it against the MPD's location, so it works from any store, CDN or
 * `serve`; across origins the store must expose `Date` to scripts, as `publish --cors` and
 * `serve` do), then the time this MPD was written: never later than the real time, so a
 * client that falls back to it (an MPD cached for its max-age, a store that hides Date) only
 * plays a little further behind the edge, never asks for a segment early.
 */
export function liveUtcTiming(now: Date): { schemeIdUri: string; value: string }[] {
  return [
    { schemeIdUri: 'urn:mpeg:dash:utc:http-head:2014', value: MPD_KEY },
    { schemeIdUri: 'urn:mpeg:dash:utc:direct:2014', value: now.toISOString() },
  ];
}
