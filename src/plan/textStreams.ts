import { ErrorCode, SmoothpubError, WarningCode, isSmoothpubError, type SmoothpubWarning } from '../errors.js';
import { readTrackSetup } from '../fragments/readTrackSetup.js';
import { readTx3gCues, tx3gDefaultColor, type Tx3gSample } from '../text/readTx3g.js';
import type { FragmentRef, TrackIndex } from '../fragments/types.js';
import { CMAF_TRACK_ID } from '../formats/model.js';
import { languageTag } from '../formats/languageTag.js';
import type { Chunk, StreamIndex } from '../smooth/model.js';
import { PRESENTATION_TIME_SCALE } from '../smooth/timeScale.js';
import type { Cue, SubtitleFormat, TextSubtype } from '../text/model.js';
import type { BuiltPresentation, LevelBinding } from './buildPresentation.js';
import type { SelectedTrack } from './selectTracks.js';
import { announcedChunks } from './timeline.js';
import type { TextWindow } from '../text/model.js';
import { readTtmlFragment } from '../text/readTtmlSample.js';

export type { TextLevel } from './textLevel.js';
import type { InputEntry } from './selectTracks.js';
import type { SourceAccess } from '../source/sourceAccess.js';
import { readSubtitles } from '../text/readSubtitles.js';
import { MAX_SUBTITLE_BYTES } from '../text/decodeText.js';
import { textInitSegment } from '../text/textInitSegment.js';
import { textWindows } from '../text/textWindows.js';
import { ttmlFragment } from '../text/ttmlFragment.js';
import { writeTtml } from '../text/writeTtml.js';
import { writeWebVtt } from '../text/writeWebVtt.js';
import { concatBytes } from '../util/concatBytes.js';
import { contentTag } from '../util/contentTag.js';

/** A subtitle file beside the media (`--text file:lang[:name]`, a `.ism` `<textstream>`). */
export interface TextInput {
  file: string;
  /** The language as given (ISO 639-2 `eng` as IIS wrote it, or BCP 47 `en`). */
  language: string;
  /** What players list it as (DASH `Label`, HLS `NAME`); default the language's name. */
  label?: string;
  /** Smooth `Subtype` and DASH `Role`: subtitles (SUBT, the default) or captions (CAPT). */
  subtype?: TextSubtype;
  /** Default: from the file's extension and content (readSubtitles). */
  format?: SubtitleFormat;
  /** A tx3g track converted (loadTx3gTrack): its ID in `file`, a media file. */
  trackId?: number;
}

/** A subtitle file as read: its cues. */
export interface LoadedText {
  input: TextInput;
  cues: Cue[];
}


/** The subtitle files smoothpub converts, by extension. */
const SUBTITLE_FILE = /\.(vtt|webvtt|srt|ttml|dfxp|xml)$/i;

/** Whether an input names a subtitle file (converted) rather than a media file (text tracks passed through). */
export function isSubtitleFile(file: string): boolean {
  return SUBTITLE_FILE.test(file);
}

/** Reads a subtitle file's cues (the whole file: a subtitle file is text of a few hundred KiB). */
export async function loadText(input: TextInput, files: Pick<SourceAccess, 'open'>): Promise<LoadedText> {
  const src = await files.open(input.file);
  let bytes: Uint8Array;
  try {
    // Refused before it is read whole (a mistaken --text naming a video file, a 100 MB dump).
    if (src.size > MAX_SUBTITLE_BYTES) {
      throw new SmoothpubError(ErrorCode.TEXT_TOO_LARGE, `subtitle file of ${src.size} bytes is larger than the ${MAX_SUBTITLE_BYTES} bytes smoothpub reads; split it, or check it is a subtitle file`, { file: input.file });
    }
    bytes = await src.read(0, src.size);
  } finally {
    await src.close();
  }
  return { input, cues: readSubtitles(bytes, input.file, input.format) };
}

/**
 * Input entries split into media and subtitle files: a `.ism` `<textstream>` (or an input)
 * naming a subtitle file is converted (its `systemLanguage`, its `trackName` as the label);
 * one naming a media file keeps its text track as it is.
 */
export function splitTextEntries(entries: readonly InputEntry[]): { media: InputEntry[]; texts: TextInput[] } {
  const media: InputEntry[] = [];
  const texts: TextInput[] = [];
  for (const e of entries) {
    if (!isSubtitleFile(e.file)) media.push(e);
    else texts.push({ file: e.file, language: e.language ?? 'und', ...(e.trackName !== undefined && { label: e.trackName }), ...(e.subtype !== undefined && { subtype: e.subtype }) });
  }
  return { media, texts };
}

/**
 * A TTML text track of an ISMV/fMP4 source (`stpp`, PIFF's `dfxp`), passed through: its
 * fragments go to Smooth clients as they are; its cues, read once, make the DASH and HLS
 * objects (TextLevel), as for a subtitle file.
 */
export interface LoadedTextTrack {
  selected: SelectedTrack;
  /** Fragment i's cues on the track timeline (milliseconds), clipped to the fragment. */
  windows: TextWindow[];
  /**
   * The track's timeline (every fragment's time and duration) and a 64-bit hash of every
   * fragment's bytes after its `moof` (the TTML documents), hashed again: equal for the same
   * track carried by several files, whatever track ID each gives it (sameTextTracks). A
   * synchronous hash (contentTag): this runs on edge runtimes too, without node:crypto.
   */
  digest: string;
}

/**
 * Selected tracks split into the media buildPresentation takes, the text tracks passed
 * through (TTML in fragments) and the 3GPP timed text tracks of plain MP4 (`tx3g`,
 * ffmpeg's mov_text), converted as a subtitle file is (loadTx3gTrack).
 */
export function splitTextTracks(selected: readonly SelectedTrack[]): { media: SelectedTrack[]; text: SelectedTrack[]; tx3g: SelectedTrack[] } {
  const isTx3g = (s: SelectedTrack): boolean => s.track.kind === 'text' && s.track.codec === 'tx3g' && s.track.samples !== undefined;
  return { media: selected.filter((s) => s.track.kind !== 'text'), text: selected.filter((s) => s.track.kind === 'text' && !isTx3g(s)), tx3g: selected.filter(isTx3g) };
}

/**
 * A `tx3g` track of a plain MP4 as the cues of a subtitle file: every sample read (a few
 * dozen bytes each; the whole track at most MAX_SUBTITLE_BYTES), shown from its start to the
 * next sample's on the presentation timeline (the edit list's shift applied), its language,
 * name and Subtype from the `.ism`, the track and --text-subtype as for a track passed through.
 */
export async function loadTx3gTrack(selected: SelectedTrack, files: Pick<SourceAccess, 'open'>): Promise<LoadedText> {
  const { track } = selected;
  const table = track.samples!;
  let total = 0;
  for (let i = 0; i < table.count; i++) total += table.sizes[i]!;
  if (total > MAX_SUBTITLE_BYTES) {
    throw new SmoothpubError(ErrorCode.TEXT_TOO_LARGE, `tx3g track of ${total} bytes is larger than the ${MAX_SUBTITLE_BYTES} bytes smoothpub reads of a text track`, { file: track.file, trackId: track.trackId });
  }
  const shift = table.delay - table.mediaTime;
  const ms = (t: number): number => Math.round(((t + shift) * 1000) / track.timescale);
  const src = await files.open(track.file);
  const samples: Tx3gSample[] = [];
  let defaultColor: string | undefined;
  try {
    const stsd = (await readTrackSetup(src, track.trackId)).stsd;
    // stsd: full box header (12) and entry count (4), then the tx3g entry.
    if (stsd !== undefined && stsd.length > 16) defaultColor = tx3gDefaultColor(stsd.subarray(16));
    for (let i = 0; i < table.count; i++) {
      samples.push({ start: ms(table.times[i]!), end: ms(table.times[i + 1]!), bytes: await src.read(table.offsets[i]!, table.sizes[i]!) });
    }
  } catch (e) {
    throw isSmoothpubError(e) ? e.withContext({ file: track.file, trackId: track.trackId }) : e;
  } finally {
    await src.close();
  }
  const language = selected.language ?? track.language;
  const input: TextInput = { file: track.file, trackId: track.trackId, language, subtype: selected.subtype ?? 'SUBT', ...(selected.trackName !== undefined && { label: selected.trackName }) };
  return { input, cues: readTx3gCues(samples, track.file, defaultColor) };
}

/**
 * Reads the cues of every fragment of a source text track: each fragment is one small
 * TTML document (a few hundred bytes), its times relative to the fragment's start as
 * IIS and Azure Media Services wrote them.
 */
export async function loadTextTrack(selected: SelectedTrack, files: Pick<SourceAccess, 'open'>): Promise<LoadedTextTrack> {
  const { track } = selected;
  if (track.codec !== 'stpp' && track.codec !== 'dfxp') {
    throw new SmoothpubError(ErrorCode.UNSUPPORTED_CODEC, `text track (${track.codec}${track.samples === undefined ? ', fragmented' : ''}) is not supported; supported: TTML (stpp, dfxp) in fragments, 3GPP timed text (tx3g) in plain MP4`, { file: track.file, trackId: track.trackId });
  }
  if (track.fragments.length === 0) {
    throw new SmoothpubError(ErrorCode.UNSUPPORTED_INPUT, 'a text track without fragments (plain MP4) is not supported; give the subtitles as a file (--text)', { file: track.file, trackId: track.trackId });
  }
  const src = await files.open(track.file);
  const windows: TextWindow[] = [];
  const tags: string[] = [];
  const msOf = (t: bigint): number => Number((t * 2000n + BigInt(track.timescale)) / (2n * BigInt(track.timescale)));
  try {
    for (const f of track.fragments) {
      const bytes = f.built ? concatBytes([f.built.head(), ...(await Promise.all(f.built.runs().map((r) => src.read(r.offset, r.size))))]) : await src.read(f.offset, f.size);
      const cues = readTtmlFragment(bytes, track.file, { timescale: track.timescale, timeBase: 'fragment', timeFrom: 'tfxd' });
      windows.push({ start: msOf(f.time), end: msOf(f.time + f.duration), cues });
      const moofSize = bytes.length >= 4 ? new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0) : 0;
      tags.push(`${f.time}+${f.duration}/${track.timescale}:${contentTag(bytes.subarray(Math.min(moofSize, bytes.length)))}`);
    }
  } finally {
    await src.close();
  }
  return { selected, windows, digest: contentTag(new TextEncoder().encode(tags.join(';'))) };
}

/**
 * One of each tx3g track found in several files (every MP4 rendition of a ladder carrying the
 * same mov_text track): the same language, Subtype, name and cues are one stream.
 */
export function sameTexts(texts: readonly LoadedText[]): LoadedText[] {
  const seen = new Set<string>();
  return texts.filter((t) => {
    const key = JSON.stringify([t.input.language, t.input.subtype ?? 'SUBT', t.input.label ?? null, t.cues]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * One of each text track found in several files (every `.ismv` of a ladder carrying the same
 * `stpp` track, as encoders write them): tracks with the same language, Subtype, timeline and
 * TTML documents are one stream, the first file's; a `.ism` naming them with different
 * `trackName`s keeps them apart. Tracks that differ stay, each a stream of its own name.
 */
export function sameTextTracks(tracks: readonly LoadedTextTrack[]): LoadedTextTrack[] {
  const seen = new Set<string>();
  return tracks.filter((t) => {
    const { selected } = t;
    const key = JSON.stringify([selected.language ?? selected.track.language, selected.subtype ?? 'SUBT', selected.trackName ?? null, t.digest]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}


/**
 * The presentation with a text stream per subtitle file: a Smooth text StreamIndex
 * (FourCC TTML) whose chunks are the video's (the audio's without video), each chunk a
 * TTML fragment made from the cues overlapping it, and for DASH and HLS their own
 * fragments and WebVTT segments at the same times (TextLevel).
 */
export function addTextStreams(built: BuiltPresentation, texts: readonly LoadedText[], tracks: readonly LoadedTextTrack[] = []): BuiltPresentation {
  if (texts.length === 0 && tracks.length === 0) return built;
  const { streams } = built.presentation;
  const names = new Set(streams.map((s) => s.name));
  const passed = tracks.map((t) => passedTextStream(t, names));
  if (texts.length === 0) {
    return {
      ...built,
      presentation: { ...built.presentation, streams: [...streams, ...passed.map((p) => p.stream)], duration: passed.reduce((d, p) => (p.end > d ? p.end : d), built.presentation.duration) },
      levels: [...built.levels, ...passed.map((p) => p.level)],
    };
  }
  const reference = streams.find((s) => s.type === 'video') ?? streams.find((s) => s.type === 'audio');
  if (reference === undefined || reference.chunks.length === 0) {
    throw new SmoothpubError(ErrorCode.UNSUPPORTED_INPUT, 'a subtitle file needs a video or audio stream to align its fragments with; give the media files too', { file: texts[0]!.input.file });
  }
  const timescale = reference.timeScale ?? built.presentation.timeScale;
  const chunks = reference.chunks.map((c) => ({ t: (c.t * BigInt(PRESENTATION_TIME_SCALE)) / BigInt(timescale), d: (c.d * BigInt(PRESENTATION_TIME_SCALE)) / BigInt(timescale) }));
  const newStreams: StreamIndex[] = [];
  const levels: LevelBinding[] = [];
  const warnings: SmoothpubWarning[] = [];
  for (const p of passed) {
    newStreams.push(p.stream);
    levels.push(p.level);
  }
  for (const text of texts) {
    const name = uniqueName(`textstream_${text.input.language.replace(/[^A-Za-z0-9_.-]/g, '_')}`, names);
    const level = textLevel(name, text, chunks, warnings);
    levels.push(level);
    newStreams.push({
      type: 'text',
      name,
      subtype: level.text!.subtype,
      language: text.input.language,
      url: `QualityLevels({bitrate})/Fragments(${name}={start time})`,
      qualityLevels: [{ index: 0, bitrate: level.bitrate, fourCC: 'TTML', codecPrivateData: '' }],
      chunks,
    });
  }
  return {
    ...built,
    presentation: { ...built.presentation, streams: [...streams, ...newStreams] },
    levels: [...built.levels, ...levels],
    warnings: [...built.warnings, ...warnings],
  };
}

/** A source text track's stream: its own chunks and fragments for Smooth, converted objects for DASH and HLS. */
function passedTextStream(loaded: LoadedTextTrack, names: Set<string>): { stream: StreamIndex; level: LevelBinding; end: bigint } {
  const { selected, windows } = loaded;
  const { track } = selected;
  const language = selected.language ?? track.language;
  const name = uniqueName(selected.trackName ?? `textstream_${language.replace(/[^A-Za-z0-9_.-]/g, '_')}`, names);
  const chunks = announcedChunks(track);
  const tag = languageTag(language) ?? 'und';
  const { dash, webVtt } = dashAndHlsObjects(windows, chunks, track.timescale, tag);
  const duration = chunks.reduce((s, c) => s + c.d, 0n);
  const bitrate = Math.max(1, selected.systemBitrate ?? track.measuredBitrate);
  const subtype = selected.subtype ?? 'SUBT';
  const stream: StreamIndex = {
    type: 'text',
    name,
    subtype,
    url: `QualityLevels({bitrate})/Fragments(${name}={start time})`,
    qualityLevels: [{ index: 0, bitrate, fourCC: 'TTML', codecPrivateData: '' }],
    chunks,
  };
  if (language !== 'und') stream.language = language;
  if (track.timescale !== PRESENTATION_TIME_SCALE) stream.timeScale = track.timescale;
  const last = chunks[chunks.length - 1]!;
  const level: LevelBinding = {
    streamName: name,
    bitrate,
    track,
    chunks,
    text: {
      subtype,
      init: textInitSegment({ trackId: CMAF_TRACK_ID, timescale: track.timescale, language, duration }),
      dash,
      webVtt,
      cues: windows.reduce((n, w) => n + w.cues.length, 0),
    },
  };
  return { stream, level, end: ((last.t + last.d) * BigInt(PRESENTATION_TIME_SCALE)) / BigInt(track.timescale) };
}

/**
 * The objects DASH and HLS cannot share with Smooth, a fragment window each: TTML fragments on
 * the track's timeline (tfdt, no tfxd) and WebVTT segments whose cue times are on the media
 * timeline (the map of media time to itself). The WebVTT cues go without identifiers:
 * hls.js keeps one cue per identifier, so the second half of a cue cut at a segment boundary
 * (the same identifier in both segments) would be dropped.
 */
function dashAndHlsObjects(windows: readonly TextWindow[], chunks: readonly Chunk[], timescale: number, language: string): { dash: Uint8Array[]; webVtt: string[] } {
  const encoder = new TextEncoder();
  const dash = windows.map((w, i) =>
    ttmlFragment(encoder.encode(writeTtml(w, { language, timeBase: 'track' })), { trackId: CMAF_TRACK_ID, sequenceNumber: i + 1, time: chunks[i]!.t, duration: chunks[i]!.d, timescale, tfxd: false, tfdt: true }),
  );
  const webVtt = windows.map((w) => writeWebVtt({ ...w, cues: w.cues.map(withoutId) }, { timestampMap: true }));
  return { dash, webVtt };
}

function withoutId(cue: Cue): Cue {
  const copy = { ...cue };
  delete copy.id;
  return copy;
}

function uniqueName(base: string, names: Set<string>): string {
  let name = base;
  for (let n = 2; names.has(name); n++) name = `${base}_${n}`;
  names.add(name);
  return name;
}

const TICKS_PER_MS = BigInt(PRESENTATION_TIME_SCALE / 1000);

/** Milliseconds of a time on the presentation clock, rounded to the nearest. */
function toMs(ticks: bigint): number {
  return Number((ticks + TICKS_PER_MS / 2n) / TICKS_PER_MS);
}

function textLevel(streamName: string, text: LoadedText, chunks: readonly Chunk[], warnings: SmoothpubWarning[]): LevelBinding {
  const { input, cues } = text;
  const bounds = chunks.map((c) => ({ start: toMs(c.t), end: toMs(c.t + c.d) }));
  const windows = textWindows(cues, bounds);
  const first = bounds[0]!.start;
  const last = bounds[bounds.length - 1]!.end;
  const inside = cues.filter((c) => c.end > first && c.start < last).length;
  if (inside < cues.length) {
    warnings.push({
      code: WarningCode.TEXT_OUTSIDE_TIMELINE,
      message: `${cues.length - inside} of ${cues.length} cues lie outside the presentation (${first}-${last} ms) and are left out`,
      context: { file: input.file },
    });
  }
  // TTML's xml:lang is BCP 47 (`en`), as DASH's `lang`; the Smooth Language stays as given.
  const tag = languageTag(input.language) ?? 'und';
  const encoder = new TextEncoder();
  const fragments: FragmentRef[] = windows.map((w, i) => {
    const c = chunks[i]!;
    const smooth = ttmlFragment(encoder.encode(writeTtml(w, { language: tag, timeBase: 'fragment' })), { trackId: CMAF_TRACK_ID, sequenceNumber: i + 1, time: c.t, duration: c.d, timescale: PRESENTATION_TIME_SCALE, tfxd: true, tfdt: true });
    return { offset: 0, size: smooth.length, time: c.t, duration: c.d, built: { head: () => smooth, runs: () => [] } };
  });
  const { dash, webVtt } = dashAndHlsObjects(windows, chunks, PRESENTATION_TIME_SCALE, tag);
  const duration = chunks.reduce((s, c) => s + c.d, 0n);
  const bytes = fragments.reduce((s, f) => s + f.size, 0);
  const bitrate = Math.max(1, Math.round((bytes * 8 * PRESENTATION_TIME_SCALE) / Math.max(1, Number(duration))));
  const track: TrackIndex = {
    file: input.file,
    trackId: CMAF_TRACK_ID,
    kind: 'text',
    codec: 'stpp',
    timescale: PRESENTATION_TIME_SCALE,
    language: input.language,
    sampleEntry: { format: 'stpp' },
    measuredBitrate: bitrate,
    fragments,
  };
  return {
    streamName,
    bitrate,
    track,
    chunks: chunks.slice(),
    text: {
      subtype: input.subtype ?? 'SUBT',
      ...(input.label !== undefined && { label: input.label }),
      init: textInitSegment({ trackId: CMAF_TRACK_ID, timescale: PRESENTATION_TIME_SCALE, language: input.language, duration }),
      dash,
      webVtt,
      cues: inside,
      converted: true,
      ...(input.trackId !== undefined && { sourceTrackId: input.trackId }),
    },
  };
}
