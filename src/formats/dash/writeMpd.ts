import { XMLBuilder } from 'fast-xml-parser';
import { ErrorCode, SmoothpubError } from '../../errors.js';
import type { Chunk, QualityLevel, StreamIndex } from '../../smooth/model.js';
import { fillUrlTemplate } from '../../smooth/url.js';
import { ratio } from '../codecs.js';
import { languageTag } from '../languageTag.js';
import type { FormatLevel, FormatPresentation } from '../model.js';
import { contentProtectionElements, PROTECTION_NAMESPACES } from './contentProtection.js';
import { initKeyWith, textFragmentKeyWith } from '../names.js';
import { formatXsDuration } from './xsDuration.js';
import { DOLBY_CHANNEL_SCHEME, DOLBY_COMPLEXITY_INDEX_SCHEME, DOLBY_EXTENSION_TYPE_SCHEME } from '../dolbySignal.js';

/** ISO/IEC 23009-1 names the MPD uses. */
export const MPD_NAMESPACE = 'urn:mpeg:dash:schema:mpd:2011';
export const LIVE_PROFILE = 'urn:mpeg:dash:profile:isoff-live:2011';
export const ROLE_SCHEME = 'urn:mpeg:dash:role:2011';
export const AUDIO_CHANNEL_SCHEME = 'urn:mpeg:dash:23003:3:audio_channel_configuration:2011';

/** DASH's template identifiers standing where the Smooth URL has its numbers. */
const BANDWIDTH = '$Bandwidth$';
const TIME = '$Time$';

/** minBufferTime's clock (100 ns) and its least value, 2 s; the longest segment when longer. */
const TICKS_PER_SECOND = 10_000_000;
const MIN_BUFFER_TICKS = 2n * BigInt(TICKS_PER_SECOND);

const MIME_TYPES = { video: 'video/mp4', audio: 'audio/mp4', text: 'application/mp4' } as const;

const ATTR = '@_';
type XmlNode = Record<string, unknown>;

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: ATTR,
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
  // Its default writes an attribute whose value is "true" bare (`segmentAlignment`): not XML.
  suppressBooleanAttributes: false,
});

/**
 * What a dynamic MPD (ISO/IEC 23009-1 5.3.1.2, `type="dynamic"`) adds to the static one:
 * when the stored segments are on the wall clock, how often to reload, how far back a
 * client may seek. Durations are in 100 ns units (the Smooth clock).
 */
export interface LiveMpdOptions {
  /**
   * The wall-clock time at which presentation time `timeOrigin` was live. It and
   * `timeOrigin` (the Period's presentationTimeOffset) must stay the same in every MPD of
   * one event: clients map segment times to the wall clock by them across reloads.
   */
  availabilityStartTime: Date;
  /** A presentation time (in the presentation timescale) mapped to availabilityStartTime; the event's first fragment's time. */
  timeOrigin: bigint;
  /** When this MPD was written. */
  publishTime: Date;
  /** How long a client may keep this MPD before reloading it: one fragment duration. */
  minimumUpdatePeriod: bigint;
  /** The DVR window: how far behind the live edge segments stay available; unbounded when absent. */
  timeShiftBufferDepth?: bigint;
  /** How far behind the live edge a client starts playing (DASH-IF IOP: a few segments). */
  suggestedPresentationDelay?: bigint;
  /**
   * Where clients read the time (ISO/IEC 23009-1 5.8.4.11 UTCTiming), e.g.
   * `urn:mpeg:dash:utc:http-head:2014` and a URL whose Date header is right. Without one
   * dash.js asks a public time server, and off line reports error 16 (and keeps its own clock).
   */
  utcTiming?: { schemeIdUri: string; value: string }[];
}

export interface WriteMpdOptions {
  /** A live presentation's dynamic MPD; the presentation must be IsLive. */
  live?: LiveMpdOptions;
}

/**
 * The static DASH MPD (ISO/IEC 23009-1, ISO live profile) of a presentation: one Period,
 * one AdaptationSet per StreamIndex in the Manifest's order, and a SegmentTemplate whose
 * `media` is the StreamIndex Url itself (`$Bandwidth$` for `{bitrate}`, `$Time$` for
 * `{start time}`) and whose SegmentTimeline is the Smooth chunk list, so that every DASH
 * segment is a Smooth fragment object, and `initialization` names the init segment beside
 * it. `bandwidth` is the Smooth bitrate, the number in those URLs.
 */
export function writeMpd(p: FormatPresentation, options: WriteMpdOptions = {}): string {
  const pres = p.presentation;
  const live = options.live;
  if (pres.isLive === true && live === undefined) throw badMpd('cannot write a static MPD for a live presentation (IsLive is TRUE)');
  if (pres.isLive !== true && live !== undefined) throw badMpd('a dynamic MPD needs a live presentation (IsLive TRUE)');
  if (pres.streams.length === 0) throw badMpd('expected at least one stream, found none');
  // Live: the Period starts at the event's origin in every MPD, however far the window slid.
  const start = live === undefined ? earliestStart(pres.streams, pres.timeScale) : { t: live.timeOrigin, timescale: pres.timeScale };
  let longest = MIN_BUFFER_TICKS;
  const audioSets = pres.streams.filter((s) => s.type === 'audio');
  const adaptationSets = pres.streams.map((s, i) => {
    const timescale = s.timeScale ?? pres.timeScale;
    for (const c of s.chunks) longest = max(longest, (c.d * BigInt(TICKS_PER_SECOND) + BigInt(timescale) - 1n) / BigInt(timescale));
    const role = s.type === 'audio' ? (audioSets[0] === s ? 'main' : 'alternate') : undefined;
    return buildAdaptationSet(s, i, timescale, start, role, p);
  });
  const root = attributes({
    xmlns: MPD_NAMESPACE,
    // Declared only when something uses them, so a clear MPD stays as it was.
    ...(p.protection === undefined ? {} : PROTECTION_NAMESPACES),
    profiles: LIVE_PROFILE,
    type: live === undefined ? 'static' : 'dynamic',
    mediaPresentationDuration: live === undefined ? formatXsDuration(pres.duration, pres.timeScale) : undefined,
    ...(live === undefined ? {} : liveAttributes(live)),
    minBufferTime: formatXsDuration(longest, TICKS_PER_SECOND),
  });
  root['Period'] = { ...attributes({ id: '0', start: 'PT0S' }), AdaptationSet: adaptationSets };
  // After the Period, as the MPD schema orders its children.
  if (live?.utcTiming !== undefined && live.utcTiming.length > 0) root['UTCTiming'] = live.utcTiming.map((u) => attributes({ schemeIdUri: u.schemeIdUri, value: u.value }));
  return builder.build({ '?xml': attributes({ version: '1.0', encoding: 'UTF-8' }), MPD: root }) as string;
}

/** MPD attributes of a dynamic presentation, in the order ISO/IEC 23009-1's schema lists them. */
function liveAttributes(live: LiveMpdOptions): Record<string, string | undefined> {
  return {
    availabilityStartTime: xsDateTime(live.availabilityStartTime, 'availabilityStartTime'),
    publishTime: xsDateTime(live.publishTime, 'publishTime'),
    minimumUpdatePeriod: formatXsDuration(live.minimumUpdatePeriod, TICKS_PER_SECOND),
    timeShiftBufferDepth: live.timeShiftBufferDepth === undefined ? undefined : formatXsDuration(live.timeShiftBufferDepth, TICKS_PER_SECOND),
    suggestedPresentationDelay: live.suggestedPresentationDelay === undefined ? undefined : formatXsDuration(live.suggestedPresentationDelay, TICKS_PER_SECOND),
  };
}

/** An xs:dateTime in UTC with milliseconds: `2026-12-07T01:30:00.000Z`. */
function xsDateTime(date: Date, what: string): string {
  if (Number.isNaN(date.getTime())) throw badMpd(`${what} is not a valid date`);
  return date.toISOString();
}

/** The earliest first chunk of any stream, on that stream's timescale: the Period starts there. */
function earliestStart(streams: readonly StreamIndex[], presentationTimeScale: number): { t: bigint; timescale: number } {
  let best: { t: bigint; timescale: number } | undefined;
  for (const s of streams) {
    const first = s.chunks[0];
    const timescale = s.timeScale ?? presentationTimeScale;
    if (first === undefined) continue;
    if (best === undefined || first.t * BigInt(best.timescale) < best.t * BigInt(timescale)) best = { t: first.t, timescale };
  }
  return best ?? { t: 0n, timescale: presentationTimeScale };
}

function buildAdaptationSet(
  s: StreamIndex,
  position: number,
  timescale: number,
  start: { t: bigint; timescale: number },
  given: 'main' | 'alternate' | undefined,
  p: FormatPresentation,
): XmlNode {
  const formatLevels = p.levels;
  let role: string | undefined = given;
  if (s.qualityLevels.length === 0) throw badMpd(`stream '${s.name}' has no quality levels`);
  const levels = s.qualityLevels.map((q) => ({ q, f: formatLevelOf(formatLevels, s, q) }));
  const video = s.type === 'video';
  const pars = video ? [...new Set(levels.map(({ q, f }) => pictureAspectRatio(q, f)))] : [];
  const node = attributes({
    id: String(position),
    contentType: s.type,
    mimeType: MIME_TYPES[s.type],
    lang: languageTag(s.language),
    maxWidth: video ? (s.maxWidth ?? maxOf(levels.map(({ q }) => q.maxWidth))) : undefined,
    maxHeight: video ? (s.maxHeight ?? maxOf(levels.map(({ q }) => q.maxHeight))) : undefined,
    // One picture shape for the whole set, or none said.
    par: pars.length === 1 ? pars[0] : undefined,
    segmentAlignment: 'true',
    startWithSAP: '1',
  });
  // ISO/IEC 23009-1 orders the AdaptationSet's children: ContentProtection (of
  // RepresentationBase) before Role.
  const protection = p.protection?.tracks[s.type];
  if (p.protection !== undefined && protection !== undefined) node['ContentProtection'] = contentProtectionElements(p.protection.scheme, protection);
  // A text set (stpp): captions or subtitles as the Smooth Subtype says, its own fragments when converted.
  const text = s.type === 'text' ? levels[0]!.f.text : undefined;
  if (text?.label !== undefined) node['Label'] = { '#text': text.label };
  if (s.type === 'text') role = (text?.subtype ?? s.subtype) === 'CAPT' ? 'caption' : 'subtitle';
  if (role !== undefined) node['Role'] = attributes({ schemeIdUri: ROLE_SCHEME, value: role });
  // The presentation's earliest chunk on this stream's timescale: where the Period starts.
  const presentationTimeOffset = (start.t * BigInt(timescale)) / BigInt(start.timescale);
  // Filled with characters no XML text can hold, to see that both placeholders are there.
  const marked = fillUrlTemplate(s.url, '\u0000', '\u0001');
  if (!marked.includes('\u0000') || !marked.includes('\u0001')) {
    throw badMpd(`stream '${s.name}': its Url ${JSON.stringify(s.url)} must contain {bitrate} and {start time}, which the segment URLs are made from`);
  }
  const media = text?.converted === true ? textFragmentKeyWith(escapeDollars(s.name), BANDWIDTH, TIME, 'dash') : fillUrlTemplate(escapeDollars(s.url), BANDWIDTH, TIME);
  node['SegmentTemplate'] = {
    ...attributes({
      timescale,
      presentationTimeOffset: presentationTimeOffset > 0n ? presentationTimeOffset.toString() : undefined,
      initialization: initKeyWith(escapeDollars(s.name), BANDWIDTH),
      media,
    }),
    SegmentTimeline: { S: buildTimeline(s.chunks, s.name) },
  };
  node['Representation'] = levels.map(({ q, f }) => buildRepresentation(s, q, f));
  return node;
}

function buildRepresentation(s: StreamIndex, q: QualityLevel, f: FormatLevel): XmlNode {
  const video = s.type === 'video';
  const audio = s.type === 'audio';
  const node = attributes({
    id: `${s.name}-${q.bitrate}`,
    bandwidth: q.bitrate,
    codecs: f.codecs,
    width: video ? q.maxWidth : undefined,
    height: video ? q.maxHeight : undefined,
    frameRate: video ? f.frameRate : undefined,
    sar: video ? (f.sar ?? '1:1') : undefined,
    audioSamplingRate: audio ? q.samplingRate : undefined,
  });
  if (audio && f.dolby !== undefined) {
    // DASH-IF IOP: AC-3/E-AC-3 state their channels in Dolby's scheme, not 23003-3's.
    node['AudioChannelConfiguration'] = attributes({ schemeIdUri: DOLBY_CHANNEL_SCHEME, value: f.dolby.channelMask });
    if (f.dolby.jocComplexityIndex !== undefined) {
      node['SupplementalProperty'] = [
        attributes({ schemeIdUri: DOLBY_EXTENSION_TYPE_SCHEME, value: 'JOC' }),
        attributes({ schemeIdUri: DOLBY_COMPLEXITY_INDEX_SCHEME, value: f.dolby.jocComplexityIndex }),
      ];
    }
  } else if (audio && q.channels !== undefined && q.channels > 0) {
    node['AudioChannelConfiguration'] = attributes({ schemeIdUri: AUDIO_CHANNEL_SCHEME, value: q.channels });
  }
  return node;
}

/**
 * `<S>` per run of equal chunk durations (`r` counts the repeats after the first), `t` on
 * the first and wherever the timeline does not continue from the previous end.
 */
function buildTimeline(chunks: readonly Chunk[], streamName: string): XmlNode[] {
  if (chunks.length === 0) throw badMpd(`stream '${streamName}' has no chunks`);
  const out: XmlNode[] = [];
  let end: bigint | undefined;
  for (let i = 0; i < chunks.length; ) {
    const chunk = chunks[i]!;
    if (chunk.t < 0n || chunk.d <= 0n) throw badMpd(`stream '${streamName}' chunk ${i}: t must be >= 0 and d > 0, found t=${chunk.t} d=${chunk.d}`);
    let count = 1;
    for (let next = chunks[i + count]; next !== undefined && next.d === chunk.d && next.t === chunk.t + BigInt(count) * chunk.d; next = chunks[i + count]) count++;
    out.push(attributes({ t: chunk.t === end ? undefined : chunk.t.toString(), d: chunk.d.toString(), r: count > 1 ? count - 1 : undefined }));
    end = chunk.t + BigInt(count) * chunk.d;
    i += count;
  }
  return out;
}

function formatLevelOf(levels: readonly FormatLevel[], s: StreamIndex, q: QualityLevel): FormatLevel {
  const f = levels.find((l) => l.streamName === s.name && l.bitrate === q.bitrate);
  if (f === undefined) throw badMpd(`no codecs known for stream '${s.name}' at ${q.bitrate} bit/s (FormatPresentation.levels lacks it)`);
  return f;
}

/** Width x height shaped by the sample aspect ratio, in lowest terms: `16:9`. */
function pictureAspectRatio(q: QualityLevel, f: FormatLevel): string | undefined {
  if (q.maxWidth === undefined || q.maxHeight === undefined || q.maxWidth === 0 || q.maxHeight === 0) return undefined;
  const [h, v] = (f.sar ?? '1:1').split(':').map(Number);
  if (h === undefined || v === undefined || !(h > 0) || !(v > 0)) return undefined;
  return ratio(q.maxWidth * h, q.maxHeight * v);
}

/** `$` is the template escape in DASH (`$$`): a literal one must be doubled. */
function escapeDollars(text: string): string {
  return text.replaceAll('$', () => '$$');
}

function maxOf(values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/** Attribute map in insertion order, dropping undefined values. */
function attributes(values: Record<string, string | number | undefined>): XmlNode {
  const node: XmlNode = {};
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) node[ATTR + name] = String(value);
  }
  return node;
}

function badMpd(message: string): SmoothpubError {
  return new SmoothpubError(ErrorCode.BAD_MPD, `mpd: ${message}`);
}
