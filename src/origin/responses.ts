import type { ErrorOutcome } from './errorStatus.js';
import type { OriginReply, RequestLike } from './reply.js';

/**
 * A short plain-text reply: `404 not found`, never stored by a cache (createOrigin gives a
 * 404 its own Cache-Control). `headers` are added: an entity's validators, Allow,
 * Retry-After; the text's own content headers and `no-store` win over theirs. HEAD gets
 * the same headers, no body.
 */
export function textResponse(request: RequestLike, status: number, text: string, headers: Record<string, string> = {}): OriginReply {
  const body = new TextEncoder().encode(`${status} ${text}\n`);
  return {
    status,
    headers: { ...headers, 'content-type': 'text/plain; charset=utf-8', 'content-length': String(body.length), 'cache-control': 'no-store' },
    ...(request.method !== 'HEAD' && { body }),
  };
}

export function notFound(request: RequestLike): OriginReply {
  return textResponse(request, 404, 'not found');
}

export function badRequest(request: RequestLike, why: string): OriginReply {
  return textResponse(request, 400, `bad request: ${why}`);
}

/** The stable error code, never a message: messages name server paths. */
export function errorResponse(request: RequestLike, outcome: ErrorOutcome): OriginReply {
  return textResponse(request, outcome.status, outcome.code, { 'x-smoothpub-error': outcome.code });
}

/**
 * Adds CORS headers. `cors` is `*`, one origin, or a comma-separated list (the
 * request's Origin is echoed when listed); empty disables CORS.
 */
export function withCors(request: RequestLike, reply: OriginReply, cors: string): OriginReply {
  if (cors === '') return reply;
  const h = reply.headers;
  if (cors === '*') {
    h['access-control-allow-origin'] = '*';
  } else {
    const origin = request.headers.get('origin');
    const allowed = cors.split(',').map((s) => s.trim());
    h['vary'] = h['vary'] === undefined ? 'Origin' : `${h['vary']}, Origin`;
    if (origin === null || !allowed.includes(origin)) return reply;
    h['access-control-allow-origin'] = origin;
  }
  h['access-control-expose-headers'] = 'Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified, Date';
  return reply;
}
