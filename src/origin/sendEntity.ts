import { parseRange } from '../http/parseRange.js';
import type { Entity } from './entity.js';
import type { OriginReply, RequestLike } from './reply.js';
import { formatHttpDate, parseHttpDate } from '../http/httpDate.js';

/**
 * The response for an entity: 304 when the client's copy is current (If-None-Match,
 * else If-Modified-Since), 206 for one satisfiable Range (honouring If-Range), 416 for
 * an unsatisfiable one, else 200. HEAD gets the headers only.
 */
export async function sendEntity(request: RequestLike, entity: Entity): Promise<OriginReply> {
  const headers: Record<string, string> = {
    'content-type': entity.contentType,
    'cache-control': entity.cacheControl,
    etag: entity.etag,
    'last-modified': formatHttpDate(entity.lastModified),
    'accept-ranges': 'bytes',
  };
  if (notModified(request, entity)) {
    await entity.release();
    delete headers['content-type'];
    return { status: 304, headers };
  }
  const range = rangeWanted(request, entity);
  if (range === 'unsatisfiable') {
    await entity.release();
    const text = new TextEncoder().encode('416 range not satisfiable\n');
    Object.assign(headers, { 'content-range': `bytes */${entity.size}`, 'content-type': 'text/plain; charset=utf-8', 'content-length': String(text.length) });
    return { status: 416, headers, ...(request.method !== 'HEAD' && { body: text }) };
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

/** RFC 9110 13.2.2: If-None-Match wins; If-Modified-Since only without it. */
function notModified(request: RequestLike, entity: Entity): boolean {
  const inm = request.headers.get('if-none-match');
  if (inm !== null) return matchesAny(inm, entity.etag, true);
  const ims = parseHttpDate(request.headers.get('if-modified-since'));
  return ims !== undefined && Math.floor(entity.lastModified / 1000) * 1000 <= ims;
}

function rangeWanted(request: RequestLike, entity: Entity): ReturnType<typeof parseRange> {
  const header = request.headers.get('range');
  if (header === null) return undefined;
  // If-Range: the range applies only to the representation the client already has part of.
  const ifRange = request.headers.get('if-range');
  if (ifRange !== null) {
    const current = ifRange.trim().startsWith('"') || ifRange.trim().startsWith('W/')
      ? ifRange.trim() === entity.etag
      : parseHttpDate(ifRange) === Math.floor(entity.lastModified / 1000) * 1000;
    if (!current) return undefined;
  }
  return parseRange(header.length > 200 ? undefined : header, entity.size);
}

/** Weak comparison (RFC 9110 8.8.3.2) against a list of entity tags, or `*`. */
function matchesAny(list: string, etag: string, weak: boolean): boolean {
  if (list.trim() === '*') return true;
  const opaque = (t: string): string => (weak && t.startsWith('W/') ? t.slice(2) : t);
  return list.split(',').some((t) => opaque(t.trim()) === opaque(etag));
}
