/**
 * The '/'-separated path operations the media model, the origin and the store keys need,
 * without node:path: the same answers as node's `path.posix` (test/util/posixPath.test.ts
 * compares them), so that this code also runs where node's modules do not (an edge worker).
 */

/** `a/./b/../c` -> `a/c`; keeps a leading '/' and a trailing one; '' -> '.'. */
export function normalize(path: string): string {
  if (path === '') return '.';
  const absolute = path.startsWith('/');
  const trailing = path.endsWith('/');
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
    } else out.push(segment);
  }
  let joined = out.join('/');
  if (joined === '' && !absolute) joined = '.';
  if (trailing && joined !== '' && joined !== '.' && !joined.endsWith('/')) joined += '/';
  else if (trailing && joined === '.') joined = './';
  return absolute ? `/${joined}` : joined;
}

export function join(...parts: string[]): string {
  const joined = parts.filter((p) => p !== '').join('/');
  return joined === '' ? '.' : normalize(joined);
}

/** The folder of a path: `a/b` -> `a`, `a` -> `.`, `/a` -> `/`. */
export function dirname(path: string): string {
  if (path === '') return '.';
  let end = path.length;
  while (end > 1 && path[end - 1] === '/') end--;
  const slash = path.lastIndexOf('/', end - 1);
  if (slash === -1) return '.';
  if (slash === 0) return '/';
  // node keeps a doubled root ('//a' -> '//').
  return slash === 1 && path[0] === '/' ? '//' : path.slice(0, slash);
}

/** The last segment: `a/b/` -> `b`. */
export function basename(path: string): string {
  let end = path.length;
  while (end > 0 && path[end - 1] === '/') end--;
  return path.slice(path.lastIndexOf('/', end - 1) + 1, end);
}

export function isAbsolute(path: string): boolean {
  return path.startsWith('/');
}
