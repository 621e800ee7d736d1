import { ErrorCode, SmoothpubError } from '../errors.js';

/** Where a published presentation lives, from its Manifest URL. */
export interface ManifestLocation {
  manifest: URL;
  /** The presentation root (`.../video.ism/`): the Manifest URL minus `Manifest`, without query. */
  base: string;
  /** The Manifest URL's query (e.g. a SAS token), sent with every request: '' or '?...'. */
  query: string;
}

/**
 * Checks that `text` is an http(s) URL whose path ends in `/Manifest` (any case):
 * clients derive fragment URLs by stripping exactly that (GStreamer does), so a
 * Manifest elsewhere cannot be played.
 */
export function parseManifestUrl(text: string): ManifestLocation {
  const url = parseHttpUrl(text);
  if (!/\/manifest$/i.test(url.pathname)) {
    throw new SmoothpubError(ErrorCode.BAD_URL, `manifest URL must end in /Manifest (e.g. https://host/video.ism/Manifest), found ${JSON.stringify(redactUrl(text))}`);
  }
  const base = new URL(url.href);
  base.pathname = url.pathname.slice(0, -'Manifest'.length);
  base.search = '';
  base.hash = '';
  return { manifest: url, base: base.href, query: url.search };
}

/** The absolute URL of an object under the presentation root, carrying the Manifest's query. */
export function objectUrl(loc: ManifestLocation, key: string): string {
  const url = new URL(key, loc.base);
  url.search = loc.query;
  return url.href;
}

// Query parameters that carry secrets: Azure SAS `sig`, S3 presigned `X-Amz-Signature`,
// `X-Amz-Credential`, `X-Amz-Security-Token`, and the like.
const SECRET_PARAM = /sig|signature|token|credential|secret|key|password/i;

/** A URL fit for output: secret query values and user info replaced. */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text.replace(/([?&][^=&]*(?:sig|signature|token|credential|secret|key|password)[^=&]*=)[^&#]*/gi, '$1REDACTED');
  }
  if (url.username !== '' || url.password !== '') {
    url.username = 'REDACTED';
    url.password = '';
  }
  if (url.search === '') return url.href;
  const parts = url.search.slice(1).split('&').map((part) => {
    const eq = part.indexOf('=');
    if (eq < 0) return part;
    let name = part.slice(0, eq);
    try {
      name = decodeURIComponent(name);
    } catch {
      // keep the raw name
    }
    return SECRET_PARAM.test(name) ? `${part.slice(0, eq)}=REDACTED` : part;
  });
  url.search = `?${parts.join('&')}`;
  return url.href;
}

/** An absolute http(s) URL, or `smooth.bad-url` saying what it is instead (secrets redacted). */
export function parseHttpUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SmoothpubError(ErrorCode.BAD_URL, `manifest URL must be an absolute http(s) URL, found ${JSON.stringify(redactUrl(text))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SmoothpubError(ErrorCode.BAD_URL, `manifest URL must be http or https, found ${url.protocol}`);
  }
  return url;
}
