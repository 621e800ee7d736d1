import { ErrorCode, SmoothpubError } from '../../errors.js';
import type { QualityLevel, StreamIndex } from '../../smooth/model.js';
import { formatFragmentUrl } from '../../smooth/url.js';
import type { FormatLevel, FormatPresentation } from '../model.js';
import { initKey, mediaPlaylistKey, textFragmentKey } from '../names.js';
import { formatAttributeList, quotedString } from './attributeList.js';
import { keyTags, sessionKeyTags } from './keyTags.js';
import type { FormatProtection } from '../../protect/signalling.js';
import { languageName, languageTag } from '../languageTag.js';
import { hlsChannelsOf } from '../dolbySignal.js';
import { measureBitrates, type SegmentBitrates } from './segmentBitrates.js';
import { formatSegmentDuration, targetDurationFor } from './segmentDuration.js';

/**
 * The protocol version every playlist declares. RFC 8216 section 7 asks for 6 or more
 * for `EXT-X-MAP` in a playlist without `EXT-X-I-FRAMES-ONLY` (fMP4 segments) and for
 * nothing we use beyond it; 7 is the version RFC 8216 itself describes and what Apple's
 * fMP4 VOD playlists declare, and a client that takes fMP4 at all reads 7. The
 * multivariant playlist declares the same, so the set has one version.
 */
export const HLS_VERSION = 7;

/** The HLS documents of one presentation: keys relative to the presentation root. */
export interface HlsPlaylists {
  /** The multivariant playlist, stored at `MASTER_PLAYLIST_KEY`. */
  master: string;
  /** One media playlist per video and audio quality level, at `mediaPlaylistKey(stream, bitrate)`. */
  media: { key: string; text: string }[];
}

/**
 * A live presentation's sliding playlists (RFC 8216 6.2.2): no EXT-X-PLAYLIST-TYPE and no
 * EXT-X-ENDLIST while the event runs, each media playlist listing the stream's chunks in
 * the DVR window and numbering its first by how many left the window before it.
 */
export interface LiveHlsOptions {
  /** EXT-X-MEDIA-SEQUENCE of a stream's first listed chunk: the count of its chunks removed before it. */
  mediaSequence: (streamName: string) => number;
  /**
   * EXT-X-PROGRAM-DATE-TIME before each playlist's first segment: the wall clock of
   * presentation time `timeOrigin` (in the presentation timescale, as the MPD's).
   */
  programDateTime?: { at: Date; timeOrigin: bigint };
  /**
   * The event is over: EXT-X-ENDLIST after the last segment, the sequence numbers kept, so
   * a client on the sliding playlist plays to its end (RFC 8216 6.2.2: a live playlist ends
   * by gaining the tag; it cannot become PLAYLIST-TYPE VOD).
   */
  ended?: boolean;
}

/** The live options and the presentation's timescale, which timeOrigin is on. */
interface LiveContext extends LiveHlsOptions {
  presentationTimeScale: number;
}

export interface WriteHlsOptions {
  live?: LiveHlsOptions;
}

/** A written media playlist and what the multivariant playlist says about it. */
interface LevelPlaylist {
  stream: StreamIndex;
  level: QualityLevel;
  format: FormatLevel;
  key: string;
  bitrates: SegmentBitrates;
}

/**
 * HLS (RFC 8216, fMP4 segments) over the Smooth fragment objects: a media playlist per
 * quality level listing its fragments by their Smooth keys with the level's init segment
 * as `EXT-X-MAP`, in the Smooth timescale's exact durations, and a multivariant playlist
 * whose variants are the video levels with the audio as `EXT-X-MEDIA` renditions
 * (audio-only presentations: the audio levels are the variants). Text streams converted
 * from subtitle files are `EXT-X-MEDIA TYPE=SUBTITLES` renditions with WebVTT segments
 * (every variant names their group); text tracks passed through as TTML are left out.
 */
export function writeHls(p: FormatPresentation, options: WriteHlsOptions = {}): HlsPlaylists {
  const { presentation } = p;
  const live = options.live;
  if ((presentation.isLive === true) !== (live !== undefined)) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, presentation.isLive === true ? 'HLS: a live presentation (IsLive TRUE) needs the live playlist options' : 'HLS: live playlists need a live presentation (IsLive TRUE)');
  }
  const formats = new Map(p.levels.map((l) => [levelId(l.streamName, l.bitrate), l]));
  const media: HlsPlaylists['media'] = [];
  const video: LevelPlaylist[] = [];
  const audio: LevelPlaylist[][] = [];
  const subtitles: { stream: StreamIndex; key: string; label?: string }[] = [];
  for (const stream of presentation.streams) {
    if (stream.type === 'text') {
      const written = writeSubtitlePlaylist(stream, formats, presentation.timeScale, live && { ...live, presentationTimeScale: presentation.timeScale });
      if (written) {
        media.push({ key: written.key, text: written.text });
        subtitles.push({ stream, key: written.key, ...(written.label !== undefined && { label: written.label }) });
      }
      continue;
    }
    const timescale = stream.timeScale ?? presentation.timeScale;
    const levels: LevelPlaylist[] = [];
    for (const level of [...stream.qualityLevels].sort((a, b) => b.bitrate - a.bitrate)) {
      const format = formats.get(levelId(stream.name, level.bitrate));
      if (format === undefined) {
        throw new SmoothpubError(ErrorCode.BAD_OPTION, `HLS: no format level for stream '${stream.name}' bitrate ${level.bitrate}: FormatPresentation.levels must describe every quality level`);
      }
      const written = writeMediaPlaylist(stream, level, format, timescale, p.protection, live && { ...live, presentationTimeScale: presentation.timeScale });
      media.push({ key: written.key, text: written.text });
      levels.push({ stream, level, format, key: written.key, bitrates: written.bitrates });
    }
    if (stream.type === 'video') video.push(...levels);
    else if (levels.length > 0) audio.push(levels);
  }
  const types = presentation.streams.map((s) => s.type);
  return { master: writeMaster(video, audio, sessionKeyTags(p.protection, [...new Set(types)]), subtitleRenditions(subtitles)), media };
}

/**
 * The media playlist of a text stream converted from a subtitle file: its WebVTT
 * segments (textFragmentKey 'hls'), one per chunk, at the same times as the video's
 * segments. Undefined for a text track passed through (TTML in fMP4, which HLS does not carry).
 */
function writeSubtitlePlaylist(stream: StreamIndex, formats: ReadonlyMap<string, FormatLevel>, presentationTimeScale: number, live: LiveContext | undefined): { key: string; text: string; label?: string } | undefined {
  const level = stream.qualityLevels[0];
  const format = level && formats.get(levelId(stream.name, level.bitrate));
  if (level === undefined || format?.text?.converted !== true) return undefined;
  const timescale = stream.timeScale ?? presentationTimeScale;
  const extinfs = stream.chunks.map((c) => formatSegmentDuration(c.d, timescale));
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${HLS_VERSION}`, `#EXT-X-TARGETDURATION:${targetDurationFor(extinfs)}`, ...sequenceTags(stream, live)];
  lines.push(...programDateTime(stream, timescale, live));
  stream.chunks.forEach((c, i) => lines.push(`#EXTINF:${extinfs[i]},`, textFragmentKey(stream.name, level.bitrate, c.t, 'hls')));
  if (live === undefined || live.ended === true) lines.push('#EXT-X-ENDLIST');
  return { key: mediaPlaylistKey(stream.name, level.bitrate), text: lines.join('\n') + '\n', ...(format.text.label !== undefined && { label: format.text.label }) };
}

/** The group every variant names as SUBTITLES. */
const SUBTITLES_GROUP = 'subs';

/**
 * `EXT-X-MEDIA TYPE=SUBTITLES` lines, one a text stream. None is DEFAULT (a player shows
 * no subtitles until asked); AUTOSELECT=YES for the first of each language, so a player may
 * pick one by the user's language (RFC 8216 4.3.4.1.1: those must differ in LANGUAGE).
 */
function subtitleRenditions(subtitles: readonly { stream: StreamIndex; key: string; label?: string }[]): string[] {
  const names = new Set<string>();
  const languages = new Set<string>();
  return subtitles.map(({ stream, key, label }) => {
    const tag = languageTag(stream.language);
    const language = tag ?? 'und';
    const autoselect = !languages.has(language);
    languages.add(language);
    let name = label ?? languageName(tag, stream.name);
    if (names.has(name)) name = `${name} (${stream.name})`;
    names.add(name);
    return (
      '#EXT-X-MEDIA:' +
      formatAttributeList([
        ['TYPE', 'SUBTITLES'],
        ['GROUP-ID', quotedString(SUBTITLES_GROUP)],
        ['LANGUAGE', quotedString(language)],
        ['NAME', quotedString(name)],
        ['DEFAULT', 'NO'],
        ['AUTOSELECT', autoselect ? 'YES' : 'NO'],
        // Captions for the deaf and hard of hearing (Smooth CAPT), as Apple's authoring spec asks.
        ['CHARACTERISTICS', stream.subtype === 'CAPT' ? quotedString('public.accessibility.transcribes-spoken-dialog,public.accessibility.describes-music-and-sound') : undefined],
        ['URI', quotedString(key)],
      ])
    );
  });
}

function levelId(streamName: string, bitrate: number): string {
  return `${streamName}\u0000${bitrate}`;
}

function writeMediaPlaylist(stream: StreamIndex, level: QualityLevel, format: FormatLevel, timescale: number, protection: FormatProtection | undefined, live: LiveContext | undefined): { key: string; text: string; bitrates: SegmentBitrates } {
  const key = mediaPlaylistKey(stream.name, level.bitrate);
  if (format.sizes.length !== stream.chunks.length) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, `HLS: stream '${stream.name}' bitrate ${level.bitrate} has ${stream.chunks.length} chunks but ${format.sizes.length} fragment sizes`);
  }
  const extinfs = stream.chunks.map((c) => formatSegmentDuration(c.d, timescale));
  const target = targetDurationFor(extinfs);
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${HLS_VERSION}`,
    `#EXT-X-TARGETDURATION:${target}`,
    ...sequenceTags(stream, live),
    '#EXT-X-INDEPENDENT-SEGMENTS',
    // Before the EXT-X-MAP, as Apple's examples have it; the init segment itself is clear.
    ...(stream.type === 'text' ? [] : keyTags(protection?.tracks[stream.type], 'EXT-X-KEY')),
    `#EXT-X-MAP:URI=${quotedString(initKey(stream.name, level.bitrate))}`,
    ...programDateTime(stream, timescale, live),
  ];
  stream.chunks.forEach((c, i) => lines.push(`#EXTINF:${extinfs[i]},`, formatFragmentUrl(stream.url, level.bitrate, c.t)));
  if (live === undefined || live.ended === true) lines.push('#EXT-X-ENDLIST');
  const seconds = stream.chunks.map((c) => Number(c.d) / timescale);
  const bitrates = measureBitrates(format.sizes, seconds, target);
  // A live window that holds no fragment yet has nothing to measure: the encoder's own figure stands in.
  if (live !== undefined && bitrates.average === 0) return { key, text: lines.join('\n') + '\n', bitrates: { peak: level.bitrate, average: level.bitrate } };
  return { key, text: lines.join('\n') + '\n', bitrates };
}

/** VOD: sequence 0 and PLAYLIST-TYPE VOD. Live: the window's first sequence number and no type (the playlist slides). */
function sequenceTags(stream: StreamIndex, live: LiveHlsOptions | undefined): string[] {
  if (live === undefined) return ['#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD'];
  const sequence = live.mediaSequence(stream.name);
  if (!Number.isSafeInteger(sequence) || sequence < 0) throw new SmoothpubError(ErrorCode.BAD_OPTION, `HLS: stream '${stream.name}' media sequence must be a non-negative integer, found ${sequence}`);
  return [`#EXT-X-MEDIA-SEQUENCE:${sequence}`];
}

/** EXT-X-PROGRAM-DATE-TIME of the first listed chunk, when asked: later ones follow from the durations. */
function programDateTime(stream: StreamIndex, timescale: number, live: LiveContext | undefined): string[] {
  const first = stream.chunks[0];
  if (live?.programDateTime === undefined || first === undefined) return [];
  const { at, timeOrigin } = live.programDateTime;
  // timeOrigin is on the presentation clock, the chunk on its stream's: both to milliseconds.
  const ms = Number((first.t * 1000n) / BigInt(timescale) - (timeOrigin * 1000n) / BigInt(live.presentationTimeScale));
  return [`#EXT-X-PROGRAM-DATE-TIME:${new Date(at.getTime() + ms).toISOString()}`];
}

/** One `EXT-X-MEDIA` audio rendition. */
interface Rendition {
  groupId: string;
  playlist: LevelPlaylist;
  language: string;
  name: string;
  isDefault: boolean;
  autoselect: boolean;
}

/**
 * Audio streams (one a language, each with one or more quality levels) become groups of
 * renditions. A group holds one rendition per language, so that a variant offers every
 * language; with several audio quality levels there is one group per rank of bitrate
 * (`audio-0` holds each language's highest level, `audio-1` the next, a language with
 * fewer levels repeating its lowest), and every video level is offered with each group:
 * a player then trades audio quality for bandwidth the way it trades video quality, by
 * the variants' BANDWIDTH, and never by switching language.
 */
function audioGroups(audio: LevelPlaylist[][]): Rendition[][] {
  const ranks = Math.max(0, ...audio.map((levels) => levels.length));
  const groups: Rendition[][] = [];
  for (let r = 0; r < ranks; r++) {
    const groupId = ranks === 1 ? 'audio' : `audio-${r}`;
    const names = new Set<string>();
    const languages = new Set<string>();
    groups.push(
      audio.map((levels, i) => {
        const playlist = levels[Math.min(r, levels.length - 1)]!;
        const tag = languageTag(playlist.stream.language);
        // RFC 8216 4.3.4.1.1: members a player may select by itself (AUTOSELECT=YES) must
        // differ in LANGUAGE (we write no ASSOC-LANGUAGE, FORCED or CHARACTERISTICS). An
        // unknown language is said as `und`; a second stream of one language is offered
        // for manual choice only.
        const language = tag ?? 'und';
        const autoselect = !languages.has(language);
        languages.add(language);
        let name = languageName(tag, playlist.stream.name);
        // NAME must differ within a group (RFC 8216 4.3.4.1.1).
        if (names.has(name)) name = `${name} (${playlist.stream.name})`;
        names.add(name);
        // The first audio stream is the default, as it is the one a Smooth client plays first.
        return { groupId, playlist, language, name, isDefault: i === 0, autoselect };
      }),
    );
  }
  return groups;
}

/** `CHANNELS`: the level's count, or an E-AC-3 JOC level's `<complexity>/JOC`. */
function channelsOf(playlist: LevelPlaylist): string | undefined {
  if (playlist.format.dolby !== undefined) return quotedString(hlsChannelsOf(playlist.format.dolby));
  return playlist.level.channels === undefined ? undefined : quotedString(String(playlist.level.channels));
}

function writeMaster(video: LevelPlaylist[], audio: LevelPlaylist[][], sessionKeys: string[], subtitles: string[]): string {
  // EXT-X-SESSION-KEY lets a player set up the keys before it loads a media playlist.
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${HLS_VERSION}`, '#EXT-X-INDEPENDENT-SEGMENTS', ...sessionKeys, ''];
  if (subtitles.length > 0) lines.push(...subtitles, '');
  const subtitleGroup = subtitles.length > 0 ? SUBTITLES_GROUP : undefined;
  if (video.length === 0) {
    // Audio only: every audio level is a variant of its own.
    for (const playlist of audio.flat()) {
      lines.push(streamInf(playlist.bitrates, [playlist.format.codecs], undefined, undefined, subtitleGroup), playlist.key);
    }
    return lines.join('\n') + '\n';
  }
  const groups = audioGroups(audio);
  for (const r of groups.flat()) {
    lines.push(
      '#EXT-X-MEDIA:' +
        formatAttributeList([
          ['TYPE', 'AUDIO'],
          ['GROUP-ID', quotedString(r.groupId)],
          ['LANGUAGE', quotedString(r.language)],
          ['NAME', quotedString(r.name)],
          ['DEFAULT', r.isDefault ? 'YES' : 'NO'],
          ['AUTOSELECT', r.autoselect ? 'YES' : 'NO'],
          ['CHANNELS', channelsOf(r.playlist)],
          ['URI', quotedString(r.playlist.key)],
        ]),
    );
  }
  if (groups.length > 0) lines.push('');
  for (const v of video) {
    for (const group of groups.length > 0 ? groups : [undefined]) {
      // A variant needs bandwidth for its video plus the heaviest rendition it may play with.
      const bitrates = { ...v.bitrates };
      const codecs = [v.format.codecs];
      for (const r of group ?? []) {
        codecs.push(r.playlist.format.codecs);
      }
      if (group) {
        bitrates.peak += Math.max(...group.map((r) => r.playlist.bitrates.peak));
        bitrates.average += Math.max(...group.map((r) => r.playlist.bitrates.average));
      }
      lines.push(streamInf(bitrates, codecs, v, group?.[0]?.groupId, subtitleGroup), v.key);
    }
  }
  return lines.join('\n') + '\n';
}

function streamInf(bitrates: SegmentBitrates, codecs: string[], v: LevelPlaylist | undefined, audioGroup: string | undefined, subtitleGroup?: string): string {
  const distinct = [...new Set(codecs.filter((c) => c !== ''))];
  const width = v?.level.maxWidth ?? v?.stream.maxWidth;
  const height = v?.level.maxHeight ?? v?.stream.maxHeight;
  // No CLOSED-CAPTIONS: NONE would state that no variant carries captions (RFC 8216
  // 4.3.4.2), and a Smooth source may carry CEA-608 in its H.264 SEI, unknown here.
  return (
    '#EXT-X-STREAM-INF:' +
    formatAttributeList([
      ['BANDWIDTH', bitrates.peak],
      ['AVERAGE-BANDWIDTH', bitrates.average],
      ['CODECS', distinct.length > 0 ? quotedString(distinct.join(',')) : undefined],
      ['RESOLUTION', width && height ? `${width}x${height}` : undefined],
      ['FRAME-RATE', v?.format.frameRate === undefined ? undefined : frameRate(v.format.frameRate, v.stream.name)],
      ['AUDIO', audioGroup === undefined ? undefined : quotedString(audioGroup)],
      ['SUBTITLES', subtitleGroup === undefined ? undefined : quotedString(subtitleGroup)],
    ])
  );
}

/** `24` or `30000/1001` (as DASH writes it) -> `24.000`, `29.970` (3 decimals, as Apple writes FRAME-RATE). */
function frameRate(text: string, streamName: string): string {
  const m = /^(\d+)(?:\/(\d+))?$/.exec(text);
  const rate = m ? Number(m[1]) / Number(m[2] ?? 1) : NaN;
  if (!Number.isFinite(rate) || rate <= 0) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, `HLS: stream '${streamName}' frame rate ${JSON.stringify(text)} is not N or N/D`);
  }
  return rate.toFixed(3);
}
