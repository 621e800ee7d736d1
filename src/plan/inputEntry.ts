import { basename, dirname, join } from '../util/posixPath.js';
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
  if (e.subtype !== undefined) entry.subtype = e.subtype;
  return entry;
}

/**
 * Where IIS kept a `.ism`'s client manifest: the path its `clientManifestRelativePath`
 * names, else `<name>.ismc` beside it ('/'-separated, as `.ism` sources are).
 */
export function clientManifestPath(ismPath: string, relativePath: string | undefined): string {
  return join(dirname(ismPath), relativePath ?? `${basename(ismPath).replace(/\.ism$/i, '')}.ismc`);
}
