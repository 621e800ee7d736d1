import type { SampleEntry } from '../bmff/stsd.js';

/** One fragment of one track: a `moof` and its `mdat`, located in the source file. */
export interface FragmentRef {
  /** Byte offset of the `moof`. */
  offset: number;
  /** Bytes of `moof` + `mdat`, the exact body a client gets. */
  size: number;
  /** Start time in the track's timescale, as the source says (tfxd, tfdt or summed trun). May be negative (AAC priming). */
  time: bigint;
  duration: bigint;
}

export type TrackKind = 'video' | 'audio' | 'text';

/** Everything smoothpub knows about one track of one source file. */
export interface TrackIndex {
  file: string;
  trackId: number;
  kind: TrackKind;
  /** Sample entry format: 'avc1', 'mp4a', ... */
  codec: string;
  timescale: number;
  language: string;
  width?: number;
  height?: number;
  channels?: number;
  sampleRate?: number;
  bitsPerSample?: number;
  /** The track's first sample description (codec configuration: avcC, esds). */
  sampleEntry: SampleEntry;
  /** Bitrate measured from fragment sizes and durations, bits per second. */
  measuredBitrate: number;
  fragments: FragmentRef[];
}

export interface SourceIndex {
  file: string;
  size: number;
  mtimeMs: number;
  /** Major brand of `ftyp` ('isml', 'piff', 'iso6', ...), '' when absent. */
  brand: string;
  /** How fragments were found: the `mfra` index or a walk over top-level boxes. */
  method: 'mfra' | 'scan';
  tracks: TrackIndex[];
}
