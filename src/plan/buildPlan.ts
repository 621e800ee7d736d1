import { clientAccessPolicyXml, crossDomainXml } from '../smooth/policy.js';
import { formatFragmentUrl } from '../smooth/url.js';
import { writeManifest } from '../smooth/writeManifest.js';
import type { BuiltPresentation } from './buildPresentation.js';
import { bodySize, type Plan, type PlannedObject } from './plan.js';

export interface PlanOptions {
  /** Also plan `clientaccesspolicy.xml` and `crossdomain.xml` (Silverlight and Flash players). */
  policy?: boolean;
  /** Fragments never change once written. */
  fragmentCacheControl?: string;
  /** The Manifest may be re-published, so keep it short. */
  manifestCacheControl?: string;
}

export const DEFAULT_FRAGMENT_CACHE_CONTROL = 'public, max-age=31536000, immutable';
export const DEFAULT_MANIFEST_CACHE_CONTROL = 'public, max-age=60';
export const MANIFEST_CONTENT_TYPE = 'text/xml; charset=utf-8';

/** Every object of a presentation: fragments by byte range of their sources, then the Manifest. */
export function buildPlan(built: BuiltPresentation, options: PlanOptions = {}): Plan {
  const fragmentCache = options.fragmentCacheControl ?? DEFAULT_FRAGMENT_CACHE_CONTROL;
  const objects: PlannedObject[] = [];
  for (const level of built.levels) {
    const stream = built.presentation.streams.find((s) => s.name === level.streamName)!;
    const contentType = stream.type === 'video' ? 'video/mp4' : 'audio/mp4';
    level.track.fragments.forEach((f, i) => {
      objects.push({
        key: formatFragmentUrl(stream.url, level.bitrate, level.chunks[i]!.t),
        contentType,
        cacheControl: fragmentCache,
        body: { kind: 'range', file: level.track.file, offset: f.offset, size: f.size },
      });
    });
  }
  const text = (key: string, xml: string, cacheControl: string): PlannedObject => ({
    key,
    contentType: MANIFEST_CONTENT_TYPE,
    cacheControl,
    body: { kind: 'bytes', data: new TextEncoder().encode(xml) },
  });
  if (options.policy) {
    objects.push(text('clientaccesspolicy.xml', clientAccessPolicyXml(), DEFAULT_MANIFEST_CACHE_CONTROL));
    objects.push(text('crossdomain.xml', crossDomainXml(), DEFAULT_MANIFEST_CACHE_CONTROL));
  }
  objects.push(text('Manifest', writeManifest(built.presentation), options.manifestCacheControl ?? DEFAULT_MANIFEST_CACHE_CONTROL));
  return { objects, totalBytes: objects.reduce((s, o) => s + bodySize(o.body), 0) };
}
