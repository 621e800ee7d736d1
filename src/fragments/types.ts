import type { SampleEntry } from '../bmff/stsd.js';
import type { PayloadEncryption } from '../protect/model.js';
import type { SourceTrackProtection } from '../protect/sourceProtection.js';

/** A run of bytes of a source file. */
export interface ByteRun {
  offset: number;
  size: number;
}

/**
 * A fragment that does not exist as such in its source (plain MP4 input): its body is
 * `head()` (a generated `moof` and `mdat` header) followed by sample data, read from
 * `runs()` of the source in order. Both are built on demand, so an index of a long
 * interleaved file holds no object per sample.
 */
export interface BuiltFragment {
  head(): Uint8Array;
  runs(): ByteRun[];
  /**
   * A protected fragment: the bytes of `runs()` (the `mdat` payload) are encrypted in
   * place by this (protect/encryptPayload) before they are sent or written, so they can
   * never be copied from the source as they are. `head()` is already the protected `moof`.
   */
  encryption?: PayloadEncryption;
}

/** One fragment of one track: a `moof` and its `mdat`, located in the source file. */
export interface FragmentRef {
  /** Byte offset of the `moof` (of the first sample's data for a built fragment). */
  offset: number;
  /** Bytes of `moof` + `mdat`, the exact body a client gets. */
  size: number;
  /** Present when the fragment is generated from sample tables rather than stored in the source. */
  built?: BuiltFragment;
  /**
   * The stored `moof`'s bytes, kept from indexing when asked (indexSource keepMoofs), so
   * adding a tfdt needs no second read. Never with `built`, which has its own head.
   */
  moof?: Uint8Array;
  /**
   * Decode time of the first sample, in the track's timescale: `tfdt`, else the end of the
   * previous fragment's samples (the first fragment: `tfxd`). May be negative (AAC priming).
   */
  time: bigint;
  /** The sum of the samples' durations. */
  duration: bigint;
  /**
   * The source's PIFF `tfxd`, present only where it disagrees with `time` and `duration`
   * (ffmpeg's open GOP output).
   */
  tfxd?: { time: bigint; duration: bigint };
}

/**
 * The sample table of one track of a plain (progressive) MP4, one typed-array slot a
 * sample (about 20 bytes each, never an object per sample), plus the edit list's shift.
 */
export interface SampleTable {
  count: number;
  /** Absolute file offset of each sample's data. */
  offsets: Float64Array;
  sizes: Uint32Array;
  /**
   * Decode time of each sample from 0, in the track timescale; `count + 1` entries (the
   * last is the end). 32-bit when the end fits (half the memory: hours of media at
   * 90 kHz, days at 48 kHz), else Float64 (exact to 2^53).
   */
  times: Uint32Array | Float64Array;
  /** Composition offsets (presentation − decode time), absent without `ctts`. */
  compositionOffsets?: Int32Array;
  /** 1 for a sync sample (keyframe); absent without `stss`, when every sample is one. */
  sync?: Uint8Array;
  /** The edit list's `media_time` of the first non-empty edit (B-frame delay, AAC priming), track timescale. */
  mediaTime: number;
  /** Leading empty edits, converted to the track timescale: the track starts this late. */
  delay: number;
}

export type TrackKind = 'video' | 'audio' | 'text';

/** What a text track's `kind` box (DASH role scheme) or handler name says it is. */
export type TextRole = 'caption' | 'subtitle';

/**
 * A source fragment whose first sample is not a sync sample (GStreamer's ismlmux cuts
 * fragments by time, not at keyframes): no client can start or switch levels there.
 */
export interface NonSyncStart {
  /** The source fragment: its `moof` offset and start time (track timescale). */
  offset: number;
  time: bigint;
  /** Start time of the fragment it now belongs to, when it was merged into the one before. */
  mergedInto?: bigint;
  /** Why it was left as it is, when it was not merged. */
  notMerged?: string;
}

/** Everything smoothpub knows about one track of one source file. */
export interface TrackIndex {
  file: string;
  trackId: number;
  kind: TrackKind;
  /** Sample entry format: 'avc1', 'mp4a', ... */
  codec: string;
  timescale: number;
  language: string;
  /** A text track's role where its `kind` box or handler name says (captions or subtitles). */
  textRole?: TextRole;
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
  /** Plain MP4 input: the sample table `fragments` are cut from (then empty until cut). */
  samples?: SampleTable;
  /** Source fragments that start at a non-sync sample, merged or not; absent when there are none. */
  nonSyncStarts?: NonSyncStart[];
  /**
   * An already-encrypted track (`encv`/`enca`): its scheme, key ID and IV size and the DRM
   * headers of its source's `moov`. Its fragments are published as they are, never decrypted.
   */
  protection?: SourceTrackProtection;
}

export interface SourceIndex {
  file: string;
  size: number;
  mtimeMs: number;
  /** Major brand of `ftyp` ('isml', 'piff', 'iso6', ...), '' when absent. */
  brand: string;
  /** How fragments were found: the `mfra` index, a walk over top-level boxes, or sample tables of a plain MP4 (`progressive`). */
  method: 'mfra' | 'scan' | 'progressive';
  tracks: TrackIndex[];
}
