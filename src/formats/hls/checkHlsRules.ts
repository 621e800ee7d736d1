import { isLanguageTag } from '../languageTag.js';
import type { HlsKey, HlsMediaPlaylist, HlsMultivariantPlaylist, HlsVariant } from './playlistModel.js';
import { roundedSeconds } from './segmentDuration.js';

/** Which rule a problem breaks (stable: tests and `verify` match on it). */
export type HlsRule =
  /** A playlist named by the multivariant playlist is not among those given. */
  | 'missing-playlist'
  /** EXT-X-VERSION lower than a feature used needs (RFC 8216 section 7). */
  | 'version'
  /** EXT-X-TARGETDURATION missing, or below a rounded EXTINF (RFC 8216 4.3.3.1). */
  | 'target-duration'
  /** A VOD playlist without EXT-X-PLAYLIST-TYPE:VOD or EXT-X-ENDLIST. */
  | 'vod'
  /** Neither the multivariant playlist nor every media playlist has EXT-X-INDEPENDENT-SEGMENTS. */
  | 'independent-segments'
  /** EXT-X-STREAM-INF without BANDWIDTH, CODECS, or (video) RESOLUTION. */
  | 'stream-inf'
  /** BANDWIDTH below AVERAGE-BANDWIDTH. */
  | 'bandwidth'
  /** AUDIO names a group that has no TYPE=AUDIO rendition. */
  | 'audio-group'
  /**
   * EXT-X-MEDIA without TYPE/GROUP-ID/NAME, a NAME twice in a group, a LANGUAGE that is no
   * language tag, two AUTOSELECT=YES members of a group alike in LANGUAGE, ASSOC-LANGUAGE,
   * FORCED and CHARACTERISTICS, DEFAULT=YES without AUTOSELECT=YES.
   */
  | 'media'
  /** More than one DEFAULT=YES in a group. */
  | 'default'
  /** fMP4 segments without EXT-X-MAP. */
  | 'map'
  /** A segment with a non-positive duration. */
  | 'segment'
  /**
   * EXT-X-KEY / EXT-X-SESSION-KEY (RFC 8216bis 4.4.4.4, 4.4.6.5): the tags of one playlist
   * with different METHODs, FairPlay's KEYFORMAT with a METHOD other than SAMPLE-AES (it
   * decrypts cbcs only), a session key of METHOD NONE, twice, or matching no media
   * playlist's EXT-X-KEY.
   */
  | 'key';

export interface HlsProblem {
  rule: HlsRule;
  /** The playlist: its URI as resolved (or as written), `master` for the multivariant one without a URI. */
  playlist: string;
  line?: number;
  message: string;
}

/** Formats known to be video in a CODECS list (RFC 6381 sample entry names). */
const VIDEO_CODECS = /^(avc1|avc3|hvc1|hev1|dvh1|dvhe|vp09|av01|mp4v)(\.|$)/;

/** Segment formats other than fMP4, which need no EXT-X-MAP: MPEG-TS, packed audio, WebVTT. */
const NOT_FMP4 = /\.(ts|aac|ac3|ec3|mp3|vtt|webvtt)$|,format=m3u8-aapl\)$/i;

/**
 * Checks a VOD HLS presentation (a multivariant playlist and the media playlists it names,
 * keyed by their resolved URIs) against RFC 8216 and Apple's HLS authoring rules as
 * smoothpub writes them; empty when all hold. Meant for any writer's output: ours, Shaka
 * Packager's.
 */
export function checkHlsRules(master: HlsMultivariantPlaylist, medias: ReadonlyMap<string, HlsMediaPlaylist>): HlsProblem[] {
  const problems: HlsProblem[] = [];
  const masterName = master.uri ?? 'master';
  const add = (rule: HlsRule, playlist: string, line: number | undefined, message: string): void => {
    problems.push(line === undefined ? { rule, playlist, message } : { rule, playlist, line, message });
  };

  const audioGroups = new Set(master.renditions.filter((r) => r.type === 'AUDIO' && r.groupId !== undefined).map((r) => r.groupId!));
  for (const v of master.variants) checkVariant(v, audioGroups, (rule, message) => add(rule, masterName, v.line, message));
  checkRenditions(master, (rule, line, message) => add(rule, masterName, line, message));

  // Every media playlist it names, once each.
  const named = new Map<string, number>();
  for (const v of master.variants) if (!named.has(v.resolvedUri)) named.set(v.resolvedUri, v.line);
  for (const r of master.renditions) if (r.resolvedUri !== undefined && !named.has(r.resolvedUri)) named.set(r.resolvedUri, r.line);
  let allIndependent = true;
  for (const [uri, line] of named) {
    const m = medias.get(uri);
    if (m === undefined) {
      add('missing-playlist', masterName, line, `media playlist ${uri} was not given`);
      continue;
    }
    allIndependent &&= m.independentSegments;
    checkMedia(m, (rule, line, message) => add(rule, m.uri ?? uri, line, message));
  }
  checkSessionKeys(master, [...named.keys()].flatMap((uri) => medias.get(uri)?.keys ?? []), (line, message) => add('key', masterName, line, message));
  if (!master.independentSegments && !allIndependent) {
    add('independent-segments', masterName, undefined, 'no EXT-X-INDEPENDENT-SEGMENTS in the multivariant playlist nor in every media playlist: every Smooth fragment starts with a keyframe, and players need to be told');
  }
  return problems;
}

function checkVariant(v: HlsVariant, audioGroups: Set<string>, add: (rule: HlsRule, message: string) => void): void {
  if (v.bandwidth === undefined) add('stream-inf', `EXT-X-STREAM-INF for ${v.uri} has no BANDWIDTH (RFC 8216 4.3.4.2: required)`);
  if (v.codecs === undefined) add('stream-inf', `EXT-X-STREAM-INF for ${v.uri} has no CODECS`);
  else if (!v.attributes.get('CODECS')?.quoted) add('stream-inf', `CODECS of ${v.uri} must be a quoted string`);
  if (v.codecs?.some((c) => VIDEO_CODECS.test(c)) && v.resolution === undefined) add('stream-inf', `EXT-X-STREAM-INF for ${v.uri} has video (${v.codecs.join(',')}) but no RESOLUTION`);
  if (v.bandwidth !== undefined && v.averageBandwidth !== undefined && v.bandwidth < v.averageBandwidth) {
    add('bandwidth', `BANDWIDTH ${v.bandwidth} of ${v.uri} is below its AVERAGE-BANDWIDTH ${v.averageBandwidth}: the peak cannot be below the average`);
  }
  if (v.audio !== undefined && !audioGroups.has(v.audio)) add('audio-group', `AUDIO="${v.audio}" of ${v.uri} names no EXT-X-MEDIA TYPE=AUDIO group`);
}

function checkRenditions(master: HlsMultivariantPlaylist, add: (rule: HlsRule, line: number, message: string) => void): void {
  const names = new Map<string, Set<string>>();
  const defaults = new Map<string, number>();
  const autoselected = new Map<string, Map<string, number>>();
  for (const r of master.renditions) {
    for (const [attribute, value] of [
      ['TYPE', r.type],
      ['GROUP-ID', r.groupId],
      ['NAME', r.name],
    ] as const) {
      if (value === undefined) add('media', r.line, `EXT-X-MEDIA has no ${attribute} (RFC 8216 4.3.4.1: required)`);
    }
    if (r.language !== undefined && !isLanguageTag(r.language)) add('media', r.line, `LANGUAGE ${JSON.stringify(r.language)} is not an RFC 5646 language tag`);
    if (r.isDefault && !r.autoselect) add('media', r.line, `DEFAULT=YES with AUTOSELECT=${r.attributes.get('AUTOSELECT')?.text ?? '(absent: NO)'}: it must be YES (RFC 8216 4.3.4.1)`);
    if (r.groupId === undefined || r.type === undefined) continue;
    const group = `${r.type}/${r.groupId}`;
    const groupNames = names.get(group) ?? new Set<string>();
    names.set(group, groupNames);
    if (r.name !== undefined) {
      if (groupNames.has(r.name)) add('media', r.line, `NAME ${JSON.stringify(r.name)} appears twice in group ${r.groupId} (RFC 8216 4.3.4.1.1)`);
      groupNames.add(r.name);
    }
    // RFC 8216 4.3.4.1.1: the members a player may pick by itself must be told apart.
    if (r.autoselect) {
      const seen = autoselected.get(group) ?? new Map<string, number>();
      autoselected.set(group, seen);
      const key = ['LANGUAGE', 'ASSOC-LANGUAGE', 'FORCED', 'CHARACTERISTICS'].map((a) => r.attributes.get(a)?.text.toLowerCase() ?? '').join('\u0000');
      const other = seen.get(key);
      if (other !== undefined) {
        add('media', r.line, `AUTOSELECT=YES members of group ${r.groupId} on lines ${other} and ${r.line} have the same LANGUAGE (${r.language ?? 'none'}), ASSOC-LANGUAGE, FORCED and CHARACTERISTICS: a player cannot choose between them (RFC 8216 4.3.4.1.1)`);
      } else seen.set(key, r.line);
    }
    if (r.isDefault) {
      const first = defaults.get(group);
      if (first !== undefined) add('default', r.line, `a second DEFAULT=YES in group ${r.groupId} (the first on line ${first}): at most one per group (RFC 8216 4.3.4.1.1)`);
      else defaults.set(group, r.line);
    }
  }
}

const FAIRPLAY_KEYFORMAT = 'com.apple.streamingkeydelivery';

/** What makes two key tags the same key (RFC 8216bis 4.4.6.5). */
function keyIdentity(k: HlsKey): string {
  return ['METHOD', 'URI', 'IV', 'KEYFORMAT', 'KEYFORMATVERSIONS'].map((a) => k.attributes.get(a)?.text ?? '').join('\u0000');
}

function checkKeys(keys: readonly HlsKey[], add: (line: number, message: string) => void): void {
  const first = keys[0];
  for (const k of keys) {
    if (first !== undefined && k.method !== first.method) add(k.line, `EXT-X-KEY METHOD=${k.method} differs from METHOD=${first.method} on line ${first.line}: the keys of one segment must share a METHOD`);
    if (k.keyFormat === FAIRPLAY_KEYFORMAT && k.method !== 'SAMPLE-AES') add(k.line, `FairPlay (KEYFORMAT "${FAIRPLAY_KEYFORMAT}") with METHOD=${k.method}: FairPlay decrypts SAMPLE-AES (cbcs) only`);
  }
}

function checkSessionKeys(master: HlsMultivariantPlaylist, mediaKeys: readonly HlsKey[], add: (line: number, message: string) => void): void {
  const inMedia = new Set(mediaKeys.map(keyIdentity));
  const seen = new Map<string, number>();
  for (const k of master.sessionKeys) {
    if (k.method === 'NONE') add(k.line, 'EXT-X-SESSION-KEY with METHOD=NONE (RFC 8216bis 4.4.6.5: not allowed)');
    const id = keyIdentity(k);
    const before = seen.get(id);
    if (before !== undefined) add(k.line, `EXT-X-SESSION-KEY repeats the one on line ${before} (same METHOD, URI, IV, KEYFORMAT, KEYFORMATVERSIONS)`);
    seen.set(id, k.line);
    if (!inMedia.has(id)) add(k.line, `EXT-X-SESSION-KEY (KEYFORMAT ${k.keyFormat ?? 'identity'}) matches no EXT-X-KEY of the media playlists: a player would prepare a key no segment uses`);
  }
  checkKeys(master.sessionKeys.filter((k) => k.method !== 'NONE'), (line, message) => add(line, message.replace('EXT-X-KEY', 'EXT-X-SESSION-KEY')));
}

/** The lowest EXT-X-VERSION a media playlist's features need (RFC 8216 section 7). */
function requiredVersion(m: HlsMediaPlaylist): { version: number; why: string } {
  if (m.map !== undefined && !m.iFramesOnly) return { version: 6, why: 'EXT-X-MAP in a playlist without EXT-X-I-FRAMES-ONLY' };
  if (m.map !== undefined) return { version: 5, why: 'EXT-X-MAP' };
  if (m.keys.some((k) => k.keyFormat !== undefined || k.keyFormatVersions !== undefined || k.method === 'SAMPLE-AES')) return { version: 5, why: 'EXT-X-KEY with KEYFORMAT, KEYFORMATVERSIONS or METHOD=SAMPLE-AES' };
  if (m.iFramesOnly || m.segments.some((s) => s.byteRange !== undefined)) return { version: 4, why: 'EXT-X-BYTERANGE or EXT-X-I-FRAMES-ONLY' };
  if (m.segments.some((s) => s.durationText.includes('.'))) return { version: 3, why: 'decimal EXTINF durations' };
  return { version: 1, why: '' };
}

function checkMedia(m: HlsMediaPlaylist, add: (rule: HlsRule, line: number | undefined, message: string) => void): void {
  const versionLine = m.tags.find((t) => t.name === 'EXT-X-VERSION')?.line;
  const need = requiredVersion(m);
  if ((m.version ?? 1) < need.version) add('version', versionLine, `EXT-X-VERSION ${m.version ?? '(absent: 1)'} but ${need.why} needs ${need.version}`);

  if (m.targetDuration === undefined) add('target-duration', undefined, 'no EXT-X-TARGETDURATION (RFC 8216 4.3.3.1: required)');
  else {
    for (const s of m.segments) {
      if (roundedSeconds(s.durationText) > m.targetDuration) {
        add('target-duration', s.line, `EXTINF ${s.durationText} rounds to ${roundedSeconds(s.durationText)}, above EXT-X-TARGETDURATION ${m.targetDuration}`);
      }
    }
  }
  if (m.playlistType !== 'VOD') add('vod', m.tags.find((t) => t.name === 'EXT-X-PLAYLIST-TYPE')?.line, `EXT-X-PLAYLIST-TYPE is ${m.playlistType ?? 'absent'}, not VOD`);
  if (!m.endList) add('vod', undefined, 'no EXT-X-ENDLIST: players would take the presentation for live and wait for more segments');
  checkKeys(m.keys, (line, message) => add('key', line, message));

  for (const s of m.segments) {
    if (!(s.duration > 0)) add('segment', s.line, `segment ${s.uri} lasts ${s.durationText} s`);
    if (s.map === undefined && !NOT_FMP4.test(s.uri.replace(/[?#].*$/, ''))) {
      add('map', s.line, `fMP4 segment ${s.uri} has no EXT-X-MAP before it: players cannot decode it without the init segment`);
      break;
    }
  }
}
