import { parseRange } from '../http/parseRange.js';
import type { Entity } from './entity.js';
import type { OriginReply, RequestLike } from './reply.js';
import { textResponse } from './responses.js';
import { formatHttpDate, parseHttpDate } from '../http/httpDate.js';

/**
 * The response for an entity: 412 when a precondition fails (If-Match, else
 * If-Unmodified-Since), 304 when the client's copy is current (If-None-Match, else
 * If-Modified-Since), 206 for one satisfiable Range (honouring If-Range), 416 for an
 * unsatisfiable one, else 200. HEAD gets the same status and headers, no body.
 */
export async function sendEntity(request: RequestLike, entity: Entity): Promise<OriginReply> {
  // RFC 9110 8.8.2.1: never a Last-Modified later than the response's Date (a file dated in the future).
  const lastModified = Math.floor(Math.min(entity.lastModified, Date.now()) / 1000) * 1000;
  const headers: Record<string, string> = {
    'content-type': entity.contentType,
    'cache-control': entity.cacheControl,
    etag: entity.etag,
    'last-modified': formatHttpDate(lastModified),
    'accept-ranges': 'bytes',
  };
  if (preconditionFailed(request, entity.etag, lastModified)) {
    await entity.release();
    return textResponse(request, 412, 'precondition failed', headers);
  }
  if (notModified(request, entity.etag, lastModified)) {
    await entity.release();
    // RFC 9110 15.4.5: the validators and Cache-Control a 200 would carry, no content headers.
    delete headers['content-type'];
    return { status: 304, headers };
  }
  const range = rangeWanted(request, entity.etag, lastModified, entity.size);
  if (range === 'unsatisfiable') {
    await entity.release();
    // A cache that stored it under the URL would answer every client with it.
    return textResponse(request, 416, 'range not satisfiable', { ...headers, 'content-range': `bytes */${entity.size}` });
  }
  const start = range?.start ?? 0;
  const length = range ? range.end - range.start + 1 : entity.size;
  headers['content-length'] = String(length);
  if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${entity.size}`;
  const status = range ? 206 : 200;
  if (request.method === 'HEAD' || length === 0) {
    await entity.release();
    return { status, headers };
  }
  return { status, headers, body: entity.body(start, length) };
}

/** RFC 9110 13.2.2 steps 1-2: If-Match (strong comparison) wins; If-Unmodified-Since only without it. */
function preconditionFailed(request: RequestLike, etag: string, lastModified: number): boolean {
  const im = request.headers.get('if-match');
  if (im !== null) return !matchesAny(im, etag, false);
  const ius = parseHttpDate(request.headers.get('if-unmodified-since'));
  return ius !== undefined && lastModified > ius;
}

/** RFC 9110 13.2.2 steps 3-4: If-None-Match (weak comparison) wins; If-Modified-Since only without it. */
function notModified(request: RequestLike, etag: string, lastModified: number): boolean {
  const inm = request.headers.get('if-none-match');
  if (inm !== null) return matchesAny(inm, etag, true);
  const ims = parseHttpDate(request.headers.get('if-modified-since'));
  return ims !== undefined && lastModified <= ims;
}

function rangeWanted(request: RequestLike, etag: string, lastModified: number, size: number): ReturnType<typeof parseRange> {
  const header = request.headers.get('range');
  if (header === null) return undefined;
  // If-Range (RFC 9110 13.1.5): the range applies only to the representation the client
  // already has part of, by strong comparison: a weak tag never matches, a date only exactly.
  const ifRange = request.headers.get('if-range');
  if (ifRange !== null) {
    const v = ifRange.trim();
    const current = v.startsWith('"') || v.startsWith('W/') ? v === etag : parseHttpDate(v) === lastModified;
    if (!current) return undefined;
  }
  return parseRange(header.length > 200 ? undefined : header, size);
}

/** Against a list of entity tags, or `*`: weak comparison (RFC 9110 8.8.3.2) or strong (a weak tag never matches). */
function matchesAny(list: string, etag: string, weak: boolean): boolean {
  if (list.trim() === '*') return true;
  const opaque = (t: string): string => (weak && t.startsWith('W/') ? t.slice(2) : t);
  return list.split(',').some((t) => opaque(t.trim()) === opaque(etag));
}
