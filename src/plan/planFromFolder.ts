import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { readManifest } from '../smooth/readManifest.js';
import { formatFragmentUrl } from '../smooth/url.js';
import { DEFAULT_FRAGMENT_CACHE_CONTROL, fragmentContentType, manifestObject, policyObjects, type PlanOptions } from './buildPlan.js';
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
 * export): every fragment its Manifest announces, then the Manifest. A fragment the
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
  if (options.policy) {
    // A folder being migrated may carry its own (stricter) policy files: keep them.
    for (const generated of policyObjects()) {
      const own = join(dir, generated.key);
      objects.push(existsSync(own) ? await fileObject(generated.key, generated.contentType, generated.cacheControl) : generated);
    }
  }
  objects.push(manifestObject(xml, options));
  return { objects, totalBytes: objects.reduce((s, o) => s + bodySize(o.body), 0) };
}
