import { ErrorCode, SmoothpubError } from '../errors.js';
import { codecsFor, sarOf } from '../formats/codecs.js';
import { dolbySignalOf } from '../formats/dolbySignal.js';
import { clearEntry } from '../smooth/fourCCFor.js';
import { writeMpd, type LiveMpdOptions } from '../formats/dash/writeMpd.js';
import { writeHls, type LiveHlsOptions } from '../formats/hls/writePlaylists.js';
import { CMAF_BRANDS } from '../formats/initBoxes.js';
import { writeInitSegment, type InitTrack } from '../formats/initSegment.js';
import type { TrackSetup } from '../fragments/readTrackSetup.js';
import type { TrackIndex } from '../fragments/types.js';
import { CMAF_TRACK_ID, type Format, type FormatLevel, type FormatPresentation, type FormatText } from '../formats/model.js';
import type { TextLevel } from './textStreams.js';
import { ALIASES, initKey, MASTER_PLAYLIST_KEY, MPD_CONTENT_TYPE, MPD_KEY, PLAYLIST_CONTENT_TYPE, textFragmentKey, WEBVTT_CONTENT_TYPE, type TextFormat } from '../formats/names.js';
import type { BuiltPresentation, LevelBinding } from './buildPresentation.js';
import { protectInitSegment } from '../protect/protectInitSegment.js';
import type { KeyTrackType } from '../protect/model.js';
import type { AppliedProtection } from './protectionSettings.js';
import { passthroughSignalling } from './passthroughSignalling.js';
import { fragmentContentType, type PlannedObject } from './plan.js';

/** The DASH and HLS view of a built presentation (levels prepared by prepareFormats). */
export function formatPresentation(built: Pick<BuiltPresentation, 'presentation' | 'levels' | 'protection'>): FormatPresentation {
  // Encrypted here (keys given), or already protected sources (what they carry).
  const protection = built.protection?.signalling.format ?? passthroughSignalling(built.levels.map((l) => l.track));
  return {
    presentation: built.presentation,
    levels: built.levels.map((l) => formatLevel(l.streamName, l.bitrate, l.track, l.media?.sizes ?? l.track.fragments.map((f) => f.size), l.media?.frameRate, l.text && textOf(l.text))),
    ...(protection && { protection }),
  };
}

/** What DASH and HLS say of a text level converted from a subtitle file. */
export function textOf(text: Pick<TextLevel, 'subtype' | 'label'>): FormatText {
  return { subtype: text.subtype, converted: true, ...(text.label !== undefined && { label: text.label }) };
}

/**
 * One level as the DASH and HLS writers take it. A text track (TTML, `stpp`; PIFF's `dfxp`
 * is the same TTML) is `stpp` to both; one passed through from its source is a subtitle.
 */
export function formatLevel(streamName: string, bitrate: number, track: Pick<TrackIndex, 'kind' | 'sampleEntry' | 'file' | 'trackId'>, sizes: ArrayLike<number>, frameRate: string | undefined, text?: FormatText): FormatLevel {
  let codecs: string;
  try {
    codecs = track.kind === 'text' ? 'stpp' : codecsFor(track.sampleEntry);
  } catch (e) {
    throw e instanceof SmoothpubError ? e.withContext({ file: track.file, trackId: track.trackId }) : e;
  }
  const out: FormatLevel = { streamName, bitrate, codecs, sizes };
  if (frameRate !== undefined) out.frameRate = frameRate;
  if (track.kind === 'video') out.sar = sarOf(track.sampleEntry);
  const dolby = dolbySignalOf(clearEntry(track.sampleEntry));
  if (dolby !== undefined) out.dolby = dolby;
  if (track.kind === 'text') out.text = text ?? { subtype: 'SUBT', converted: false };
  return out;
}

/**
 * An init segment a level: `ftyp` + `moov` with `mvex`, the source's sample description,
 * the presentation clock; a protected level's as `encv`/`enca` with its `sinf` (and the
 * presentation's `pssh` boxes).
 */
export function initSegmentOf(built: Pick<BuiltPresentation, 'presentation' | 'protection'>, level: LevelBinding): Uint8Array {
  if (level.text) return level.text.init;
  if (!level.media) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, `internal: level ${level.streamName} ${level.bitrate} was not prepared for DASH/HLS`, { file: level.track.file, trackId: level.track.trackId });
  }
  const stream = built.presentation.streams.find((s) => s.name === level.streamName);
  const init = cmafInitSegment(level.track, level.media.setup, stream?.language ?? level.track.language);
  return level.encryption ? protectInitSegment(init, level.encryption, initPsshOf(built.protection, level.track.kind)) : init;
}

/** The `pssh` boxes a protected level's init segment carries: its track type's, with `--pssh-in-init` only. */
export function initPsshOf(protection: AppliedProtection | undefined, kind: KeyTrackType): Uint8Array[] {
  return protection?.settings.psshInInit === true ? (protection.signalling.initPssh[kind] ?? []) : [];
}

/**
 * The init segment DASH and HLS players get: CMAF brands, the source's trex (fragments with
 * a tfdt added may lean on it), track CMAF_TRACK_ID (withTfdt gives the fragments the same).
 */
export function cmafInitSegment(track: InitTrack, setup: TrackSetup, language: string): Uint8Array {
  const trex = setup.trex === undefined ? undefined : { ...setup.trex, trackId: CMAF_TRACK_ID };
  return writeInitSegment({ ...track, trackId: CMAF_TRACK_ID }, { ...setup, trex }, { language, brands: CMAF_BRANDS, sourceTrex: true });
}

/** A document of one of the formats, under its name and its media-services aliases. */
export interface FormatDocument {
  keys: string[];
  contentType: string;
  text: string;
}

/**
 * The MPD and HLS playlists of a presentation, for the formats asked (Smooth's Manifest is
 * written elsewhere); `live`: a live presentation's dynamic MPD and sliding playlists.
 */
export function formatDocuments(fp: FormatPresentation, formats: readonly Format[], live?: { mpd?: LiveMpdOptions; hls: LiveHlsOptions }): FormatDocument[] {
  const docs: FormatDocument[] = [];
  if (formats.includes('hls')) {
    const hls = writeHls(fp, live && { live: live.hls });
    for (const m of hls.media) docs.push({ keys: [m.key], contentType: PLAYLIST_CONTENT_TYPE, text: m.text });
    docs.push({ keys: [MASTER_PLAYLIST_KEY, ...ALIASES.hls], contentType: PLAYLIST_CONTENT_TYPE, text: hls.master });
  }
  if (formats.includes('dash')) docs.push({ keys: [MPD_KEY, ...ALIASES.dash], contentType: MPD_CONTENT_TYPE, text: writeMpd(fp, live?.mpd && { live: live.mpd }) });
  return docs;
}

/** Init segments, then the DASH and HLS documents, as planned objects. */
export function formatObjects(built: BuiltPresentation, formats: readonly Format[], cacheControl: { fragment: string; manifest: string }): PlannedObject[] {
  const objects: PlannedObject[] = [];
  for (const level of built.levels) {
    const stream = built.presentation.streams.find((s) => s.name === level.streamName)!;
    objects.push({
      key: initKey(level.streamName, level.bitrate),
      contentType: fragmentContentType(stream.type),
      cacheControl: cacheControl.fragment,
      body: { kind: 'bytes', data: initSegmentOf(built, level) },
    });
  }
  const encoder = new TextEncoder();
  for (const level of built.levels) {
    const text = level.text;
    if (!text) continue;
    level.chunks.forEach((c, i) => {
      const at = (format: TextFormat, contentType: string, data: Uint8Array): PlannedObject => ({ key: textFragmentKey(level.streamName, level.bitrate, c.t, format), contentType, cacheControl: cacheControl.fragment, body: { kind: 'bytes', data } });
      if (formats.includes('dash')) objects.push(at('dash', fragmentContentType('text'), text.dash[i]!));
      if (formats.includes('hls')) objects.push(at('hls', WEBVTT_CONTENT_TYPE, encoder.encode(text.webVtt[i]!)));
    });
  }
  for (const doc of formatDocuments(formatPresentation(built), formats)) {
    const data = encoder.encode(doc.text);
    for (const key of doc.keys) objects.push({ key, contentType: doc.contentType, cacheControl: cacheControl.manifest, body: { kind: 'bytes', data }, document: true });
  }
  return objects;
}
