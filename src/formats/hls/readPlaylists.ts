import { ErrorCode, SmoothpubError } from '../../errors.js';
import { AttributeListError, parseAttributeList, type AttributeList, type AttributeValue } from './attributeList.js';
import type { HlsByteRange, HlsKey, HlsMap, HlsMediaPlaylist, HlsMultivariantPlaylist, HlsPlaylist, HlsRendition, HlsSegment, HlsTag, HlsVariant } from './playlistModel.js';

export interface ReadPlaylistOptions {
  /**
   * The playlist's own URI: an absolute URL, or a key relative to the presentation root
   * (`master.m3u8`). Its URIs are resolved against it; it also names the playlist in errors.
   */
  uri?: string;
}

/** Tags only a media playlist may hold (RFC 8216 4.3.2, 4.3.3). */
const MEDIA_TAGS = new Set([
  'EXTINF',
  'EXT-X-BYTERANGE',
  'EXT-X-DISCONTINUITY',
  'EXT-X-KEY',
  'EXT-X-MAP',
  'EXT-X-PROGRAM-DATE-TIME',
  'EXT-X-DATERANGE',
  'EXT-X-TARGETDURATION',
  'EXT-X-MEDIA-SEQUENCE',
  'EXT-X-DISCONTINUITY-SEQUENCE',
  'EXT-X-ENDLIST',
  'EXT-X-PLAYLIST-TYPE',
  'EXT-X-I-FRAMES-ONLY',
]);
/** Tags only a multivariant playlist may hold (RFC 8216 4.3.4). */
const MULTIVARIANT_TAGS = new Set(['EXT-X-MEDIA', 'EXT-X-STREAM-INF', 'EXT-X-I-FRAME-STREAM-INF', 'EXT-X-SESSION-DATA', 'EXT-X-SESSION-KEY']);
/** Tags a playlist may hold at most once. */
const ONCE = new Set(['EXT-X-VERSION', 'EXT-X-TARGETDURATION', 'EXT-X-MEDIA-SEQUENCE', 'EXT-X-DISCONTINUITY-SEQUENCE', 'EXT-X-PLAYLIST-TYPE', 'EXT-X-ENDLIST', 'EXT-X-I-FRAMES-ONLY', 'EXT-X-INDEPENDENT-SEGMENTS']);

type Line = { line: number; tag: HlsTag } | { line: number; uri: string };

/** Reads either kind of playlist, telling them apart by their tags. */
export function readPlaylist(text: string, options: ReadPlaylistOptions = {}): HlsPlaylist {
  const lines = scan(text, options);
  return lines.some((l) => 'tag' in l && MULTIVARIANT_TAGS.has(l.tag.name)) ? multivariant(lines, options) : media(lines, options);
}

/** Reads a multivariant ("master") playlist; throws `hls.bad-playlist` naming the line. */
export function readMultivariantPlaylist(text: string, options: ReadPlaylistOptions = {}): HlsMultivariantPlaylist {
  return multivariant(scan(text, options), options);
}

/** Reads a media playlist; throws `hls.bad-playlist` naming the line. */
export function readMediaPlaylist(text: string, options: ReadPlaylistOptions = {}): HlsMediaPlaylist {
  return media(scan(text, options), options);
}

function fail(options: ReadPlaylistOptions, line: number, message: string): never {
  throw new SmoothpubError(ErrorCode.BAD_PLAYLIST, `playlist: ${message}`, options.uri === undefined ? { line } : { key: options.uri, line });
}

/** RFC 8216 4.1: lines end in LF or CRLF, blank lines are ignored, `#EXT` starts a tag, other `#` lines are comments. */
function scan(text: string, options: ReadPlaylistOptions): Line[] {
  if (text.startsWith('\uFEFF')) fail(options, 1, 'starts with a byte order mark, which RFC 8216 4.1 forbids');
  const raw = text.split('\n');
  if ((raw[0] ?? '').replace(/\r$/, '') !== '#EXTM3U') fail(options, 1, `the first line must be #EXTM3U, found ${JSON.stringify((raw[0] ?? '').slice(0, 40))}`);
  const out: Line[] = [];
  const seen = new Set<string>();
  for (let i = 1; i < raw.length; i++) {
    const line = i + 1;
    const l = raw[i]!.replace(/\r$/, '');
    if (l.trim() === '') continue;
    if (!l.startsWith('#')) {
      out.push({ line, uri: l });
      continue;
    }
    if (!l.startsWith('#EXT')) continue;
    const colon = l.indexOf(':');
    const name = l.slice(1, colon < 0 ? undefined : colon);
    if (name === 'EXTM3U') fail(options, line, '#EXTM3U appears again');
    if (ONCE.has(name)) {
      if (seen.has(name)) fail(options, line, `#${name} appears more than once`);
      seen.add(name);
    }
    out.push({ line, tag: { name, value: colon < 0 ? undefined : l.slice(colon + 1), line } });
  }
  return out;
}

function attributes(options: ReadPlaylistOptions, tag: HlsTag): AttributeList {
  try {
    return parseAttributeList(tag.value ?? '');
  } catch (e) {
    if (e instanceof AttributeListError) fail(options, tag.line, `#${tag.name}: ${e.message} (column ${tag.name.length + 2 + e.column + 1})`);
    throw e;
  }
}

function integer(options: ReadPlaylistOptions, tag: HlsTag, what: string, text: string | undefined): number {
  if (text === undefined || !/^\d{1,15}$/.test(text)) fail(options, tag.line, `#${tag.name}: ${what} must be a decimal integer, found ${JSON.stringify(text ?? '')}`);
  return Number(text);
}

function decimal(options: ReadPlaylistOptions, tag: HlsTag, what: string, text: string | undefined): number {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) fail(options, tag.line, `#${tag.name}: ${what} must be a non-negative decimal number, found ${JSON.stringify(text ?? '')}`);
  return Number(text);
}

function versionOf(options: ReadPlaylistOptions, lines: Line[]): number | undefined {
  const v = lines.find((l): l is { line: number; tag: HlsTag } => 'tag' in l && l.tag.name === 'EXT-X-VERSION');
  return v ? integer(options, v.tag, 'the version', v.tag.value) : undefined;
}

/** Resolves a URI reference against the playlist's URI, which may itself be relative (a key). */
export function resolvePlaylistUri(reference: string, base: string | undefined): string {
  if (base === undefined) return reference;
  if (/^[a-z][a-z0-9+.-]*:/i.test(base)) return new URL(reference, base).href;
  const origin = 'http://relative.invalid/';
  const resolved = new URL(reference, new URL(base, origin));
  return resolved.href.startsWith(origin) ? resolved.href.slice(origin.length) : resolved.href;
}

function multivariant(lines: Line[], options: ReadPlaylistOptions): HlsMultivariantPlaylist {
  const out: HlsMultivariantPlaylist = { kind: 'multivariant', independentSegments: false, variants: [], renditions: [], sessionKeys: [], tags: [] };
  if (options.uri !== undefined) out.uri = options.uri;
  const version = versionOf(options, lines);
  if (version !== undefined) out.version = version;
  let pending: HlsTag | undefined;
  for (const l of lines) {
    if ('uri' in l) {
      if (pending === undefined) fail(options, l.line, `a URI (${JSON.stringify(l.uri)}) that follows no #EXT-X-STREAM-INF`);
      out.variants.push(variant(options, pending, l.uri));
      pending = undefined;
      continue;
    }
    const { tag } = l;
    out.tags.push(tag);
    if (pending !== undefined) fail(options, tag.line, `#EXT-X-STREAM-INF on line ${pending.line} is not followed by its URI`);
    if (MEDIA_TAGS.has(tag.name)) fail(options, tag.line, `#${tag.name} belongs in a media playlist, and this one is multivariant (RFC 8216 4.1: never both)`);
    if (tag.name === 'EXT-X-STREAM-INF') pending = tag;
    else if (tag.name === 'EXT-X-MEDIA') out.renditions.push(rendition(options, tag));
    else if (tag.name === 'EXT-X-INDEPENDENT-SEGMENTS') out.independentSegments = true;
    else if (tag.name === 'EXT-X-SESSION-KEY') out.sessionKeys.push(key(options, tag));
  }
  if (pending !== undefined) fail(options, pending.line, '#EXT-X-STREAM-INF is not followed by its URI');
  return out;
}

function variant(options: ReadPlaylistOptions, tag: HlsTag, uri: string): HlsVariant {
  const a = attributes(options, tag);
  const v: HlsVariant = { line: tag.line, uri, resolvedUri: resolvePlaylistUri(uri, options.uri), attributes: a };
  const bandwidth = a.get('BANDWIDTH');
  if (bandwidth) v.bandwidth = integer(options, tag, 'BANDWIDTH', bandwidth.text);
  const average = a.get('AVERAGE-BANDWIDTH');
  if (average) v.averageBandwidth = integer(options, tag, 'AVERAGE-BANDWIDTH', average.text);
  const codecs = a.get('CODECS');
  if (codecs) v.codecs = codecs.text.split(',').map((c) => c.trim());
  const resolution = a.get('RESOLUTION');
  if (resolution) {
    const m = /^(\d+)x(\d+)$/.exec(resolution.text);
    if (!m) fail(options, tag.line, `#${tag.name}: RESOLUTION must be <width>x<height>, found ${JSON.stringify(resolution.text)}`);
    v.resolution = { width: Number(m[1]), height: Number(m[2]) };
  }
  const frameRate = a.get('FRAME-RATE');
  if (frameRate) v.frameRate = decimal(options, tag, 'FRAME-RATE', frameRate.text);
  const audio = a.get('AUDIO');
  if (audio) v.audio = audio.text;
  return v;
}

function rendition(options: ReadPlaylistOptions, tag: HlsTag): HlsRendition {
  const a = attributes(options, tag);
  const text = (name: string): string | undefined => a.get(name)?.text;
  const r: HlsRendition = { line: tag.line, attributes: a, isDefault: text('DEFAULT') === 'YES', autoselect: text('AUTOSELECT') === 'YES' };
  const type = text('TYPE');
  if (type !== undefined) r.type = type;
  const groupId = text('GROUP-ID');
  if (groupId !== undefined) r.groupId = groupId;
  const language = text('LANGUAGE');
  if (language !== undefined) r.language = language;
  const name = text('NAME');
  if (name !== undefined) r.name = name;
  const channels = text('CHANNELS');
  if (channels !== undefined) r.channels = channels;
  const uri = text('URI');
  if (uri !== undefined) r.uri = uri;
  if (r.uri !== undefined) r.resolvedUri = resolvePlaylistUri(r.uri, options.uri);
  return r;
}

function byteRange(options: ReadPlaylistOptions, tag: HlsTag, text: string | undefined): HlsByteRange {
  const m = /^(\d{1,15})(?:@(\d{1,15}))?$/.exec(text ?? '');
  if (!m) fail(options, tag.line, `#${tag.name}: a byte range must be <length>[@<offset>], found ${JSON.stringify(text ?? '')}`);
  return m[2] === undefined ? { length: Number(m[1]) } : { length: Number(m[1]), offset: Number(m[2]) };
}

/** EXT-X-KEY / EXT-X-SESSION-KEY (RFC 8216bis 4.4.4.4): METHOD required, URI unless NONE, KEYID a 128-bit hex number. */
function key(options: ReadPlaylistOptions, tag: HlsTag): HlsKey {
  const a = attributes(options, tag);
  const method = a.get('METHOD')?.text;
  if (method === undefined) fail(options, tag.line, `#${tag.name} has no METHOD`);
  const k: HlsKey = { line: tag.line, attributes: a, method };
  const uri = a.get('URI');
  if (uri !== undefined) {
    if (!uri.quoted) fail(options, tag.line, `#${tag.name}: URI must be a quoted string`);
    k.uri = uri.text;
  } else if (method !== 'NONE') fail(options, tag.line, `#${tag.name}: METHOD=${method} needs a URI`);
  const keyFormat = a.get('KEYFORMAT');
  if (keyFormat !== undefined) k.keyFormat = keyFormat.text;
  const versions = a.get('KEYFORMATVERSIONS');
  if (versions !== undefined) k.keyFormatVersions = versions.text;
  const keyId = a.get('KEYID');
  if (keyId !== undefined) {
    if (!/^0[xX][0-9a-fA-F]{32}$/.test(keyId.text)) fail(options, tag.line, `#${tag.name}: KEYID must be 0x and 32 hex digits, found ${JSON.stringify(keyId.text)}`);
    k.keyId = keyId.text.slice(2).toLowerCase();
  }
  return k;
}

function media(lines: Line[], options: ReadPlaylistOptions): HlsMediaPlaylist {
  const out: HlsMediaPlaylist = { kind: 'media', independentSegments: false, iFramesOnly: false, endList: false, keys: [], segments: [], tags: [] };
  if (options.uri !== undefined) out.uri = options.uri;
  const version = versionOf(options, lines);
  if (version !== undefined) out.version = version;
  let extinf: { tag: HlsTag; duration: number; durationText: string; title: string } | undefined;
  let range: HlsByteRange | undefined;
  let map: HlsMap | undefined;
  for (const l of lines) {
    if ('uri' in l) {
      if (extinf === undefined) fail(options, l.line, `a URI (${JSON.stringify(l.uri)}) that follows no #EXTINF`);
      const s: HlsSegment = { line: l.line, uri: l.uri, resolvedUri: resolvePlaylistUri(l.uri, options.uri), duration: extinf.duration, durationText: extinf.durationText, title: extinf.title };
      if (range) s.byteRange = range;
      if (map) s.map = map;
      out.segments.push(s);
      extinf = undefined;
      range = undefined;
      continue;
    }
    const { tag } = l;
    out.tags.push(tag);
    if (MULTIVARIANT_TAGS.has(tag.name)) fail(options, tag.line, `#${tag.name} belongs in a multivariant playlist, and this one is a media playlist (RFC 8216 4.1: never both)`);
    switch (tag.name) {
      case 'EXTINF': {
        if (extinf !== undefined) fail(options, tag.line, `#EXTINF on line ${extinf.tag.line} is not followed by its URI`);
        const comma = (tag.value ?? '').indexOf(',');
        if (comma < 0) fail(options, tag.line, `#EXTINF must be <duration>,[<title>], found ${JSON.stringify(tag.value ?? '')}`);
        const durationText = tag.value!.slice(0, comma);
        extinf = { tag, duration: decimal(options, tag, 'the duration', durationText), durationText, title: tag.value!.slice(comma + 1) };
        break;
      }
      case 'EXT-X-BYTERANGE':
        range = byteRange(options, tag, tag.value);
        break;
      case 'EXT-X-KEY':
        out.keys.push(key(options, tag));
        break;
      case 'EXT-X-MAP': {
        const a = attributes(options, tag);
        const uri = a.get('URI');
        if (!uri?.quoted) fail(options, tag.line, '#EXT-X-MAP needs URI="..."');
        map = { line: tag.line, uri: uri.text, resolvedUri: resolvePlaylistUri(uri.text, options.uri) };
        const r: AttributeValue | undefined = a.get('BYTERANGE');
        if (r) map.byteRange = byteRange(options, tag, r.text);
        out.map ??= map;
        break;
      }
      case 'EXT-X-TARGETDURATION':
        out.targetDuration = integer(options, tag, 'the target duration', tag.value);
        break;
      case 'EXT-X-MEDIA-SEQUENCE':
        out.mediaSequence = integer(options, tag, 'the media sequence number', tag.value);
        break;
      case 'EXT-X-PLAYLIST-TYPE':
        if (tag.value !== 'VOD' && tag.value !== 'EVENT') fail(options, tag.line, `#EXT-X-PLAYLIST-TYPE must be VOD or EVENT, found ${JSON.stringify(tag.value ?? '')}`);
        out.playlistType = tag.value;
        break;
      case 'EXT-X-ENDLIST':
        out.endList = true;
        break;
      case 'EXT-X-I-FRAMES-ONLY':
        out.iFramesOnly = true;
        break;
      case 'EXT-X-INDEPENDENT-SEGMENTS':
        out.independentSegments = true;
        break;
    }
  }
  if (extinf !== undefined) fail(options, extinf.tag.line, '#EXTINF is not followed by its URI');
  return out;
}
