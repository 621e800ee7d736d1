import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { readManifest } from '../smooth/readManifest.js';
import { formatFragmentUrl } from '../smooth/url.js';
import { DEFAULT_FRAGMENT_CACHE_CONTROL, DEFAULT_MANIFEST_CACHE_CONTROL, fragmentContentType, manifestObject, policyObjects, type PlanOptions } from './buildPlan.js';
import { ALIASES, initKey, MASTER_PLAYLIST_KEY, mediaPlaylistKey, MPD_CONTENT_TYPE, MPD_KEY, PLAYLIST_CONTENT_TYPE } from '../formats/names.js';
import { bodySize, type Plan, type PlannedObject } from './plan.js';

/** True when `path` is a packaged presentation folder (holds a `Manifest`). */
export async function isPresentationFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory() && (await stat(join(path, 'Manifest'))).isFile();
  } catch {
    return false;
  }
}

/**
 * The plan of an already packaged presentation folder (ours, ffmpeg's, IIS's static
 * export): every fragment its Manifest announces, the DASH and HLS objects package wrote
 * beside them (init segments, MPD, playlists and their aliases), then the Manifest. A fragment the
 * Manifest names but the folder lacks is an error: publishing would leave a hole.
 */
export async function planFromFolder(dir: string, options: PlanOptions = {}): Promise<Plan> {
  const manifestPath = join(dir, 'Manifest');
  const xml = await readFile(manifestPath, 'utf8');
  const presentation = (() => {
    try {
      return readManifest(xml);
    } catch (e) {
      throw e instanceof SmoothpubError ? e.withContext({ file: manifestPath }) : e;
    }
  })();
  const objects: PlannedObject[] = [];
  const manifestCache = options.manifestCacheControl ?? DEFAULT_MANIFEST_CACHE_CONTROL;
  const fileObject = async (key: string, contentType: string, cacheControl: string): Promise<PlannedObject> => {
    const file = join(dir, ...key.split('/'));
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      throw new SmoothpubError(ErrorCode.MISSING_BOX, 'the Manifest announces this fragment but the folder has no such file', { file, key });
    }
    return { key, contentType, cacheControl, body: { kind: 'range', file, offset: 0, size } };
  };
  for (const stream of presentation.streams) {
    const contentType = fragmentContentType(stream.type);
    for (const level of stream.qualityLevels) {
      for (const chunk of stream.chunks) {
        objects.push(await fileObject(formatFragmentUrl(stream.url, level.bitrate, chunk.t), contentType, options.fragmentCacheControl ?? DEFAULT_FRAGMENT_CACHE_CONTROL));
      }
    }
  }
  // DASH and HLS written beside the fragments (package --formats): init segments, then the documents.
  const present = async (key: string): Promise<boolean> => (await stat(join(dir, ...key.split('/'))).catch(() => undefined))?.isFile() === true;
  const documents: PlannedObject[] = [];
  for (const stream of presentation.streams) {
    for (const level of stream.qualityLevels) {
      const init = initKey(stream.name, level.bitrate);
      if (await present(init)) objects.push(await fileObject(init, fragmentContentType(stream.type), options.fragmentCacheControl ?? DEFAULT_FRAGMENT_CACHE_CONTROL));
      const playlist = mediaPlaylistKey(stream.name, level.bitrate);
      if (await present(playlist)) documents.push({ ...(await fileObject(playlist, PLAYLIST_CONTENT_TYPE, manifestCache)), document: true });
    }
  }
  for (const [key, contentType] of [
    [MASTER_PLAYLIST_KEY, PLAYLIST_CONTENT_TYPE],
    ...ALIASES.hls.map((k) => [k, PLAYLIST_CONTENT_TYPE]),
    [MPD_KEY, MPD_CONTENT_TYPE],
    ...ALIASES.dash.map((k) => [k, MPD_CONTENT_TYPE]),
  ] as const) {
    if (await present(key)) documents.push({ ...(await fileObject(key, contentType, manifestCache)), document: true });
  }
  objects.push(...documents);
  if (options.policy) {
    // A folder being migrated may carry its own (stricter) policy files: keep them.
    for (const generated of policyObjects()) {
      const own = join(dir, generated.key);
      objects.push(existsSync(own) ? await fileObject(generated.key, generated.contentType, generated.cacheControl) : generated);
    }
  }
  // The lower-case alias is another name of the Manifest only when it holds the same bytes.
  const alias = join(dir, ALIASES.smooth[0]!);
  if (ALIASES.smooth[0] !== 'Manifest' && (await readFile(alias, 'utf8').catch(() => undefined)) === xml) objects.push({ ...manifestObject(xml, options), key: ALIASES.smooth[0]! });
  objects.push(manifestObject(xml, options));
  return { objects, totalBytes: objects.reduce((s, o) => s + bodySize(o.body), 0) };
}
