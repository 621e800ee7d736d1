import { clientAccessPolicyXml, crossDomainXml } from '../smooth/policy.js';
import { formatFragmentUrl } from '../smooth/url.js';
import { writePresentationManifest, type BuiltPresentation, type LevelBinding } from './buildPresentation.js';
import { bodySize, fragmentContentType, type Plan, type PlannedObject } from './plan.js';
import { DEFAULT_FORMATS, type Format } from '../formats/model.js';
import { ALIASES } from '../formats/names.js';
import { formatObjects } from './formatObjects.js';
import { needsFormatMedia } from './prepareFormats.js';
import { DEFAULT_FRAGMENT_CACHE_CONTROL, DEFAULT_MANIFEST_CACHE_CONTROL } from './cacheControl.js';

function textObject(key: string, xml: string, cacheControl: string): PlannedObject {
  return { key, contentType: MANIFEST_CONTENT_TYPE, cacheControl, body: { kind: 'bytes', data: new TextEncoder().encode(xml) } };
}

/** The Smooth Manifest; with other formats also under the lower-case name media services answered. */
function smoothManifestObjects(xml: string, options: PlanOptions): PlannedObject[] {
  const manifest = manifestObject(xml, options);
  const aliases = needsFormatMedia(options.formats) ? ALIASES.smooth.map((key) => ({ ...manifest, key })) : [];
  return [...aliases, manifest];
}

/** The cross-domain policy files Silverlight and Flash players fetch from the host root. */
export function policyObjects(): PlannedObject[] {
  return [textObject('clientaccesspolicy.xml', clientAccessPolicyXml(), DEFAULT_MANIFEST_CACHE_CONTROL), textObject('crossdomain.xml', crossDomainXml(), DEFAULT_MANIFEST_CACHE_CONTROL)];
}

export function manifestObject(xml: string, options: PlanOptions = {}): PlannedObject {
  return { ...textObject('Manifest', xml, options.manifestCacheControl ?? DEFAULT_MANIFEST_CACHE_CONTROL), document: true };
}

export interface PlanOptions {
  /** Also plan `clientaccesspolicy.xml` and `crossdomain.xml` (Silverlight and Flash players). */
  policy?: boolean;
  /** Fragments never change once written. */
  fragmentCacheControl?: string;
  /** The Manifest may be re-published, so keep it short. */
  manifestCacheControl?: string;
  /**
   * Formats to write (default Smooth alone). DASH and HLS need a presentation prepared by
   * prepareFormats: their init segments and documents go beside the same fragments.
   */
  formats?: readonly Format[];
}

export { DEFAULT_FRAGMENT_CACHE_CONTROL, DEFAULT_MANIFEST_CACHE_CONTROL };
export const MANIFEST_CONTENT_TYPE = 'text/xml; charset=utf-8';

export { fragmentContentType } from './plan.js';

/** The fragment objects of one level, in timeline order. */
export function levelFragmentObjects(built: BuiltPresentation, level: LevelBinding, cacheControl: string = DEFAULT_FRAGMENT_CACHE_CONTROL): PlannedObject[] {
  const stream = built.presentation.streams.find((s) => s.name === level.streamName)!;
  const contentType = fragmentContentType(stream.type);
  return level.track.fragments.map((f, i) => ({
    key: formatFragmentUrl(stream.url, level.bitrate, level.chunks[i]!.t),
    contentType,
    cacheControl,
    body: { kind: 'range', file: level.track.file, offset: f.offset, size: f.size, ...(f.built && { built: f.built }) },
  }));
}

/** Every object of a presentation: fragments by byte range of their sources, then the Manifest. */
export function buildPlan(built: BuiltPresentation, options: PlanOptions = {}): Plan {
  const fragmentCache = options.fragmentCacheControl ?? DEFAULT_FRAGMENT_CACHE_CONTROL;
  const objects = built.levels.flatMap((level) => levelFragmentObjects(built, level, fragmentCache));
  const formats = options.formats ?? DEFAULT_FORMATS;
  if (needsFormatMedia(formats)) {
    objects.push(...formatObjects(built, formats, { fragment: fragmentCache, manifest: options.manifestCacheControl ?? DEFAULT_MANIFEST_CACHE_CONTROL }));
  }
  if (options.policy) objects.push(...policyObjects());
  if (formats.includes('smooth')) objects.push(...smoothManifestObjects(writePresentationManifest(built), options));
  return { objects, totalBytes: objects.reduce((s, o) => s + bodySize(o.body), 0) };
}
