/** Where a fragment event happened: the presentation, stream, level and time, and the connection that pushed it. */
export interface FragmentPlace {
  presentation: string;
  stream: string;
  bitrate: number;
  /** Start time, stream timescale, as a decimal string (live times exceed 2^53). */
  t: string;
  /** The connection: `<name>.isml/Streams(<id>)#<n>`. */
  source: string;
}

/** What ingest reports, one event a line with --json. Never carries a credential. */
export type LiveEvent =
  | ({ type: 'fragment'; size: number; d: string; key: string; action: 'stored' | 'adopted' } & FragmentPlace)
  /** A fragment received whole and kept aside until the next one arrives (its copy put under `.smoothpub-ingest/`); `key` is where it will be stored. */
  | ({ type: 'held'; key: string } & FragmentPlace)
  | ({ type: 'duplicate'; size: number } & FragmentPlace)
  | ({ type: 'refused'; code: string; message: string } & FragmentPlace)
  | { type: 'manifest'; presentation: string; live: boolean; chunks: number[]; key: string }
  /** `--formats` dash/hls: the MPD and playlists written after the Manifest (the first key of each). */
  | { type: 'documents'; presentation: string; live: boolean; keys: string[] }
  | { type: 'finalized'; presentation: string; duration: string }
  /** Chunks that left the DVR window (ending at or before `before`, stream timescale) and their fragments, deleted. */
  | { type: 'removed'; presentation: string; stream: string; chunks: number; fragments: number; before: string }
  | { type: 'archived'; presentation: string; key: string; size: number; fragments: number }
  /** A presentation read back after a start: fragments its levels have (orphans: objects not in the Manifest whose length is unknown; held: fragments a previous run held, now stored). */
  | { type: 'recovered'; presentation: string; live: boolean; fragments: number; orphans: number; held?: number }
  | { type: 'connection'; source: string; presentation: string; stream: string }
  | { type: 'tracks'; source: string; tracks: { stream: string; bitrate: number; fourCC: string }[] }
  | { type: 'ended'; source: string; clean: boolean; bytes: number; fragments: number }
  | { type: 'dropped'; source: string; code: string; message: string; offset?: number }
  | { type: 'rejected'; status: number; method: string; path: string; reason: string }
  | { type: 'retry'; key: string; attempt: number; delayMs: number; reason: string };
