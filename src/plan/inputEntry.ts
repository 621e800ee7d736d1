import type { SourceIndex } from '../fragments/types.js';
import type { IsmEntry } from '../smooth/ism.js';
import type { InputEntry } from './selectTracks.js';

/**
 * An index named by the id its source is opened by again (a store key, where the byte
 * source's name for messages is a URL), so the plan's bodies name that id.
 */
export function labelIndex(index: SourceIndex, id: string): SourceIndex {
  return index.file === id ? index : { ...index, file: id, tracks: index.tracks.map((t) => ({ ...t, file: id })) };
}

/** A `.ism` entry as the track selection takes it. */
export function toInputEntry(e: IsmEntry): InputEntry {
  const entry: InputEntry = { file: e.src, kind: e.kind };
  if (e.trackId !== undefined) entry.trackId = e.trackId;
  if (e.systemBitrate !== undefined) entry.systemBitrate = e.systemBitrate;
  if (e.trackName !== undefined) entry.trackName = e.trackName;
  if (e.language !== undefined) entry.language = e.language;
  return entry;
}
