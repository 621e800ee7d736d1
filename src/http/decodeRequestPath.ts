const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

/**
 * Checks a URL path (below a mount point, still percent-encoded) and decodes it exactly
 * once. Returns the decoded relative path, or undefined when the request is malformed
 * or tries to leave its folder: bad escapes, NUL, backslashes, `.` or `..` segments.
 * Decoding once means `%252e%252e` stays the literal name `%2e%2e`.
 */
export function decodeRequestPath(encoded: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  if (DOT_SEGMENT.test(decoded)) return undefined;
  return decoded;
}
