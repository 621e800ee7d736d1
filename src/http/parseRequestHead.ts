/** A request head in the one shape parseRequestHead accepts: GET or HEAD, no body, nothing to negotiate. */
export interface PlainRequestHead {
  method: 'GET' | 'HEAD';
  /** The request target as sent: starts with '/', visible ASCII only. */
  target: string;
  /** HTTP/1.0 (else HTTP/1.1). */
  http10: boolean;
  /** By lower-case name, values without surrounding spaces; each name came once. */
  headers: Map<string, string>;
  /** Close the connection after the answer: `Connection: close`, or HTTP/1.0 without `keep-alive`. */
  close: boolean;
  /** Offset just past the head's empty line. */
  end: number;
}

/**
 * 'incomplete': what has come so far may still become a plain head; 'other': anything
 * outside the plain shape, for a complete HTTP parser to answer.
 */
export type ParsedHead = PlainRequestHead | 'incomplete' | 'other';

/** Header lines beyond this many: 'other' (a complete parser decides). */
const MAX_HEADERS = 64;

/**
 * The request line, then header lines: a name of token characters (RFC 9110 5.6.2), a
 * colon, a value of visible ASCII, spaces and tabs (no obs-text, no control character).
 */
const PLAIN_HEAD = /^(GET|HEAD) (\/[\x21-\x7e]*) HTTP\/1\.([01])\r\n(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e]*\r\n)*$/;
const BLANK_LINE = Buffer.from('\r\n\r\n', 'latin1');
const CLOSE = /(?:^|,)[\t ]*close[\t ]*(?:,|$)/i;
const KEEP_ALIVE = /(?:^|,)[\t ]*keep-alive[\t ]*(?:,|$)/i;
const UPGRADE = /(?:^|,)[\t ]*upgrade[\t ]*(?:,|$)/i;

/**
 * Parses one HTTP/1.x request head at `buf[start..end)`, accepting only its plainest
 * shape, the one an origin's hot requests have: `GET` or `HEAD` of an origin-form target
 * of visible ASCII, `HTTP/1.1` with exactly one Host or `HTTP/1.0`, CRLF line ends, header
 * names of token characters and values of visible ASCII, spaces and tabs, each name once,
 * at most 64 of them, no body (Content-Length absent or 0, no Transfer-Encoding) and
 * nothing to negotiate (no Expect, no Upgrade). Anything else, well-formed or not, is
 * 'other', as soon as the bytes so far show it: never guessed at, so that a complete
 * parser (node:http) answers it exactly as it would have. Looks at most `maxHead` bytes:
 * a longer head is 'other' too. Pure.
 */
export function parseRequestHead(buf: Buffer, start: number, end: number, maxHead: number): ParsedHead {
  const stop = Math.min(end, start + maxHead);
  const blank = buf.indexOf(BLANK_LINE, start);
  if (blank < 0 || blank + 4 > stop) return end - start >= maxHead || !plainSoFar(buf, start, stop) ? 'other' : 'incomplete';
  const head = buf.toString('latin1', start, blank + 2);
  const line = PLAIN_HEAD.exec(head);
  if (line === null) return 'other';
  const http10 = line[3] === '0';
  const headers = new Map<string, string>();
  let hosts = 0;
  for (let i = head.indexOf('\n') + 1; i < head.length; ) {
    const eol = head.indexOf('\r', i);
    const colon = head.indexOf(':', i);
    if (headers.size >= MAX_HEADERS) return 'other';
    const key = head.slice(i, colon).toLowerCase();
    if (headers.has(key)) return 'other';
    const value = head.slice(colon + 1, eol).trim();
    headers.set(key, value);
    if (key === 'host') hosts++;
    else if (key === 'transfer-encoding' || key === 'expect' || key === 'upgrade' || (key === 'content-length' && value !== '0')) return 'other';
    i = eol + 2;
  }
  // RFC 9112 3.2: an HTTP/1.1 request without Host is answered 400; the complete parser does it.
  if (!http10 && hosts !== 1) return 'other';
  const connection = headers.get('connection');
  if (connection !== undefined && UPGRADE.test(connection)) return 'other';
  const close = connection === undefined ? http10 : CLOSE.test(connection) || (http10 && !KEEP_ALIVE.test(connection));
  return { method: line[1] as 'GET' | 'HEAD', target: line[2]!, http10, headers, close, end: blank + 4 };
}

/**
 * The bytes so far (no empty line among them yet) may still begin a plain head: a prefix of
 * `GET /` or `HEAD /`, then only visible ASCII, spaces, tabs and CRLF line ends.
 */
function plainSoFar(buf: Buffer, start: number, stop: number): boolean {
  const n = stop - start;
  const get = 'GET /';
  const head = 'HEAD /';
  let isGet = true;
  let isHead = true;
  for (let k = 0; k < n && k < head.length; k++) {
    const c = buf[start + k];
    isGet &&= k >= get.length || c === get.charCodeAt(k);
    isHead &&= c === head.charCodeAt(k);
  }
  if (!isGet && !isHead) return false;
  for (let k = start; k < stop; k++) {
    const c = buf[k]!;
    if (c === 13) {
      if (k + 1 < stop && buf[k + 1] !== 10) return false;
    } else if (c === 10) {
      if (k === start || buf[k - 1] !== 13) return false;
    } else if (c !== 9 && (c < 0x20 || c > 0x7e)) return false;
  }
  return true;
}
