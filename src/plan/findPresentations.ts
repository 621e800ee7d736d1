import * as posix from '../util/posixPath.js';

/** Files a folder presentation (`<name>.ism/`) is made of: Smooth media and plain MP4 renditions. */
export const MEDIA_FILE = /\.(ismv|isma|mp4|m4v|m4a)$/i;
/** A server manifest (SMIL) naming its sources. */
export const ISM_FILE = /\.ism$/i;
/** What marks a folder as an already packaged presentation. */
export const MANIFEST_FILE = 'Manifest';

/**
 * One presentation of a library, at `path` relative to the library's root ('/'-separated):
 * - `ism`: a `.ism` server manifest (its one input);
 * - `folder`: a folder named `*.ism` holding media files, all of them in name order (the inputs);
 * - `packaged`: a folder holding a client `Manifest` (`package` output; its one input).
 * `serve` answers the first two at `<path>/Manifest`; `publish` puts every kind there.
 */
export interface FoundPresentation {
  path: string;
  kind: 'ism' | 'folder' | 'packaged';
  /** Files relative to the root, as the presentation's inputs. */
  inputs: string[];
}

export interface FindOptions {
  /** Count folders with a `Manifest` as packaged presentations (local libraries: a packaged folder can be published as it is). */
  packaged?: boolean;
}

/**
 * Every presentation among the files under a root, given as their keys relative to it:
 * `.ism` files, and folders named `*.ism` with media files directly inside (what the origin
 * serves from such a root). A `.ism` object and a `*.ism/` folder of the same name (object
 * stores allow both) are one presentation, the `.ism`, as the origin decides. Nothing
 * inside a packaged folder is looked at. Sorted by path.
 */
export function findPresentations(keys: Iterable<string>, options: FindOptions = {}): FoundPresentation[] {
  const byFolder = new Map<string, string[]>();
  for (const key of keys) {
    const folder = posix.dirname(key);
    const files = byFolder.get(folder === '.' ? '' : folder);
    if (files) files.push(key);
    else byFolder.set(folder === '.' ? '' : folder, [key]);
  }
  const packaged = new Set<string>();
  if (options.packaged) {
    for (const [folder, files] of byFolder) if (files.some((f) => posix.basename(f) === MANIFEST_FILE)) packaged.add(folder);
  }
  const insidePackaged = (path: string): boolean => {
    for (let p = path; p !== ''; ) {
      p = posix.dirname(p);
      if (p === '.') p = '';
      if (packaged.has(p)) return true;
    }
    return false;
  };
  const found = new Map<string, FoundPresentation>();
  for (const folder of packaged) if (!insidePackaged(folder)) found.set(folder, { path: folder, kind: 'packaged', inputs: [folder] });
  for (const [folder, files] of byFolder) {
    if (packaged.has(folder) || insidePackaged(folder)) continue;
    for (const f of files) if (ISM_FILE.test(f)) found.set(f, { path: f, kind: 'ism', inputs: [f] });
  }
  for (const [folder, files] of byFolder) {
    if (folder === '' || !ISM_FILE.test(folder) || found.has(folder) || packaged.has(folder) || insidePackaged(folder)) continue;
    const media = files.filter((f) => MEDIA_FILE.test(f)).sort();
    if (media.length > 0) found.set(folder, { path: folder, kind: 'folder', inputs: media });
  }
  return [...found.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
