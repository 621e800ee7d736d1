import type { SampleEntry } from '../bmff/stsd.js';
import type { Trex } from '../bmff/trex.js';
import type { Chunk, QualityLevel, StreamType } from '../smooth/model.js';

/** The pushed track a level came from, for an archived .ismv's head (`--archive`); unknown for levels read back after a restart. */
export interface LevelSource {
  trackId: number;
  kind: 'video' | 'audio';
  timescale: number;
  width?: number;
  height?: number;
  sampleEntry: SampleEntry;
  trex: Trex | undefined;
  language: string;
}

/** One fragment a level has in the store. */
export interface StoredFragment {
  t: bigint;
  d: bigint;
  /** The stored object's size (the pushed fragment with its `tfrf`). */
  size: number;
  /** The pushed fragment's size, which a duplicate push is compared with; undefined for fragments read back after a restart. */
  pushed?: number;
}

/** A level's newest fragment, held back until the next one arrives so that its `tfrf` can name it. */
export interface HeldFragment {
  t: bigint;
  d: bigint;
  bytes: Uint8Array;
  source: string;
  /** The level's end before this fragment came, put back if it cannot be stored. */
  endBefore: bigint | undefined;
  /** The bytes as they will be stored before their tfrf (with a tfdt for DASH/HLS). */
  ready?: Uint8Array;
  /** The pushed size when `bytes` are not the pushed bytes (published after a restart). */
  pushedSize?: number;
  /** Its copy under the held prefix, put (a kill -9 then loses nothing received whole). */
  persisted?: Promise<void>;
}

/**
 * One quality level of a live stream: what the store holds for it and who feeds it. Two
 * encoders feeding the same level (same stream, same bitrate) are redundant: the first
 * copy of each fragment wins.
 */
export interface LiveLevel {
  streamName: string;
  type: StreamType;
  bitrate: number;
  /** The Manifest's QualityLevel, `index` filled in when the Manifest is written. */
  quality: Omit<QualityLevel, 'index'>;
  /** Fragments stored, by start time. */
  stored: Map<bigint, StoredFragment>;
  /** Found in the store at a restart but not named by the Manifest: start time -> size (their durations come with a repeated push). */
  orphans: Map<bigint, number>;
  /** Start times being uploaded -> the pushed size. */
  inFlight: Map<bigint, number>;
  /** The newest fragment, not stored until the next one arrives (or the event ends). */
  held?: HeldFragment | undefined;
  source?: LevelSource;
  /** `--formats dash`/`hls`: the level's init segment is being stored (from `source`), then stored. */
  init?: Promise<void> | undefined;
  initStored?: boolean;
  /** Connections feeding the level now. */
  feeders: number;
  /** The end of the latest fragment accepted (stored, or being uploaded): a fragment starting before it is refused. */
  end: bigint | undefined;
  /** The latest start time stored from a connection feeding it now (the Manifest waits for a connected level that has not reached a chunk). */
  latest: bigint | undefined;
}

/** One StreamIndex of a live presentation: its levels and the chunks the Manifest lists. */
export interface LiveStream {
  name: string;
  type: StreamType;
  language: string;
  timeScale: number;
  maxWidth?: number;
  maxHeight?: number;
  levels: LiveLevel[];
  /** Listed in the Manifest, sorted by start time: each one stored for at least one level. */
  listed: Chunk[];
  /** The start times in `listed`. */
  listedTimes: Set<bigint>;
  /** Chunks deleted after leaving the DVR window (the HLS media sequence of the first listed one, with those still listed before the window). */
  removed?: number;
  /** Stored for some level and not listed yet (waiting for a connected level), start time -> duration. */
  unlisted: Map<bigint, bigint>;
}

/** A QualityLevel without its Index, which the Manifest gives by bitrate order when it is written. */
export function withoutIndex(q: QualityLevel): Omit<QualityLevel, 'index'> {
  const copy: Partial<QualityLevel> = { ...q };
  delete copy.index;
  return copy as Omit<QualityLevel, 'index'>;
}
