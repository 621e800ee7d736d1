const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
/** Stands in for the origin while a relative reference is resolved against a relative base. */
const PLACEHOLDER_ORIGIN = 'http://relative.invalid';

/**
 * `ref` resolved against `base` as RFC 3986 does (`new URL`), also when `base` is itself
 * relative (a BaseURL chain read without the MPD's address): then the result stays
 * relative. No base leaves `ref` as it is, so an MPD read from a folder names its objects
 * by their keys.
 */
export function resolveUrl(base: string | undefined, ref: string): string {
  if (base === undefined || base === '' || SCHEME.test(ref)) return ref;
  if (SCHEME.test(base)) return new URL(ref, base).href;
  const resolved = new URL(ref, new URL(base, `${PLACEHOLDER_ORIGIN}/`));
  if (resolved.origin !== PLACEHOLDER_ORIGIN) return resolved.href; // `ref` was protocol-relative
  const path = base.startsWith('/') || ref.startsWith('/') ? resolved.pathname : resolved.pathname.slice(1);
  return path + resolved.search + resolved.hash;
}
