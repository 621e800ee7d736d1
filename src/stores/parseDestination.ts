import { ErrorCode, SmoothpubError } from '../errors.js';

export type ParsedDestination =
  | { kind: 'azure'; container: string; prefix: string }
  | { kind: 's3'; bucket: string; prefix: string }
  | { kind: 'folder'; path: string };

/**
 * `az://<container>/<prefix>`, `s3://<bucket>/<prefix>`, or a local folder path.
 * The prefix loses leading, trailing and repeated slashes; `.` and `..` segments are refused
 * (a store has no directories to climb out of, and a player would resolve them away).
 */
export function parseDestination(dest: string): ParsedDestination {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/]*)(.*)$/i.exec(dest);
  if (m === null) return { kind: 'folder', path: dest };
  const scheme = m[1]!.toLowerCase();
  const name = m[2]!;
  const rest = m[3]!;
  if (scheme === 'az') {
    checkContainer(name, dest);
    return { kind: 'azure', container: name, prefix: normalizePrefix(rest, dest) };
  }
  if (scheme === 's3') {
    checkBucket(name, dest);
    return { kind: 's3', bucket: name, prefix: normalizePrefix(rest, dest) };
  }
  // `https://...` or `gs://...` would otherwise become a folder named `https:`.
  throw bad(dest, `unknown scheme ${scheme}://, expected az://<container>/<prefix>, s3://<bucket>/<prefix> or a folder path`);
}

/** Azure container names: 3-63 of a-z, 0-9 and `-`, starting with a letter or digit, no `--`; `$root` and `$web` are special containers. */
function checkContainer(name: string, dest: string): void {
  if (name === '$root' || name === '$web') return;
  const problem =
    name.length === 0
      ? 'the container name is missing'
      : name.length < 3 || name.length > 63
        ? `container name "${name}" has ${name.length} characters, expected 3 to 63`
        : !/^[a-z0-9-]+$/.test(name)
          ? `container name "${name}" may contain only lowercase letters, digits and hyphens`
          : !/^[a-z0-9]/.test(name) || name.endsWith('-')
            ? `container name "${name}" must start and end with a letter or digit`
            : name.includes('--')
              ? `container name "${name}" must not contain consecutive hyphens`
              : undefined;
  if (problem !== undefined) throw bad(dest, problem);
}

/** S3 general-purpose bucket naming rules. */
function checkBucket(name: string, dest: string): void {
  const problem =
    name.length === 0
      ? 'the bucket name is missing'
      : name.length < 3 || name.length > 63
        ? `bucket name "${name}" has ${name.length} characters, expected 3 to 63`
        : !/^[a-z0-9.-]+$/.test(name)
          ? `bucket name "${name}" may contain only lowercase letters, digits, dots and hyphens`
          : !/^[a-z0-9].*[a-z0-9]$/.test(name)
            ? `bucket name "${name}" must start and end with a letter or digit`
            : name.includes('..')
              ? `bucket name "${name}" must not contain two adjacent dots`
              : /^\d+\.\d+\.\d+\.\d+$/.test(name)
                ? `bucket name "${name}" must not look like an IP address`
                : /^(xn--|sthree-|amzn-s3-demo-)|(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)
                  ? `bucket name "${name}" uses a prefix or suffix S3 reserves`
                  : undefined;
  if (problem !== undefined) throw bad(dest, problem);
}

function normalizePrefix(path: string, dest: string): string {
  const segments = path.split('/').filter((s) => s !== '');
  for (const s of segments) {
    if (s === '.' || s === '..') throw bad(dest, `the prefix must not contain "${s}" segments`);
  }
  if (/[?#]/.test(path)) throw bad(dest, 'the prefix must not contain "?" or "#": players would read them as a query or fragment');
  return segments.join('/');
}

function bad(dest: string, problem: string): SmoothpubError {
  return new SmoothpubError(ErrorCode.BAD_DESTINATION, `bad destination ${JSON.stringify(dest)}: ${problem}`);
}
