import type { AttributeList } from './attributeList.js';

/** Every tag line as read: `#EXT-X-NAME:value`, 1-based line number. */
export interface HlsTag {
  /** Without the `#`: `EXT-X-VERSION`, `EXTINF`. */
  name: string;
  /** The text after the first `:`, undefined for a tag without one (`#EXT-X-ENDLIST`). */
  value: string | undefined;
  line: number;
}

/** `EXT-X-BYTERANGE` / the `BYTERANGE` of `EXT-X-MAP`: `length[@offset]`. */
export interface HlsByteRange {
  length: number;
  offset?: number;
}

/** An `EXT-X-STREAM-INF` and the URI on the line after it. */
export interface HlsVariant {
  /** The line of the `EXT-X-STREAM-INF` tag. */
  line: number;
  uri: string;
  /** `uri` resolved against the playlist's own URI (as written when that is unknown). */
  resolvedUri: string;
  attributes: AttributeList;
  bandwidth?: number;
  averageBandwidth?: number;
  /** The formats of `CODECS`, split at commas. */
  codecs?: string[];
  resolution?: { width: number; height: number };
  frameRate?: number;
  /** GROUP-ID of the audio renditions it plays with. */
  audio?: string;
}

/** An `EXT-X-MEDIA` rendition. */
export interface HlsRendition {
  line: number;
  attributes: AttributeList;
  type?: string;
  groupId?: string;
  language?: string;
  name?: string;
  /** DEFAULT=YES (absent means NO). */
  isDefault: boolean;
  /** AUTOSELECT=YES (absent means NO). */
  autoselect: boolean;
  channels?: string;
  uri?: string;
  resolvedUri?: string;
}

/** An `EXT-X-KEY` or `EXT-X-SESSION-KEY`. */
export interface HlsKey {
  line: number;
  attributes: AttributeList;
  /** NONE, AES-128, SAMPLE-AES, SAMPLE-AES-CTR. */
  method: string;
  uri?: string;
  /** Absent means `identity`. */
  keyFormat?: string;
  keyFormatVersions?: string;
  /** KEYID without its `0x`, lowercase. */
  keyId?: string;
}

/** A multivariant ("master") playlist. */
export interface HlsMultivariantPlaylist {
  kind: 'multivariant';
  /** The URI the playlist was read from, as given; what its URIs are resolved against. */
  uri?: string;
  /** EXT-X-VERSION; absent means 1. */
  version?: number;
  independentSegments: boolean;
  variants: HlsVariant[];
  renditions: HlsRendition[];
  /** EXT-X-SESSION-KEY tags, in order. */
  sessionKeys: HlsKey[];
  tags: HlsTag[];
}

/** An `EXT-X-MAP`: the initialization section of the segments after it. */
export interface HlsMap {
  line: number;
  uri: string;
  resolvedUri: string;
  byteRange?: HlsByteRange;
}

/** One media segment: its `EXTINF` and URI. */
export interface HlsSegment {
  /** The line of the URI. */
  line: number;
  uri: string;
  resolvedUri: string;
  /** Seconds, as written. */
  duration: number;
  durationText: string;
  title: string;
  byteRange?: HlsByteRange;
  /** The `EXT-X-MAP` in effect. */
  map?: HlsMap;
}

/** A media playlist. */
export interface HlsMediaPlaylist {
  kind: 'media';
  uri?: string;
  version?: number;
  targetDuration?: number;
  mediaSequence?: number;
  /** EXT-X-PLAYLIST-TYPE: `VOD` or `EVENT`. */
  playlistType?: string;
  independentSegments: boolean;
  iFramesOnly: boolean;
  endList: boolean;
  /** The first `EXT-X-MAP`. */
  map?: HlsMap;
  /** EXT-X-KEY tags, in order (smoothpub writes them once, before every segment). */
  keys: HlsKey[];
  segments: HlsSegment[];
  tags: HlsTag[];
}

export type HlsPlaylist = HlsMultivariantPlaylist | HlsMediaPlaylist;
