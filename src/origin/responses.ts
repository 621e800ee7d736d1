import type { ErrorOutcome } from './errorStatus.js';

/** A short plain-text response: `404 not found`. HEAD gets the same headers, no body. */
export function textResponse(request: Request, status: number, text: string, headers: Record<string, string> = {}): Response {
  const body = `${status} ${text}\n`;
  return new Response(request.method === 'HEAD' ? null : body, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(body.length), 'cache-control': 'no-store', ...headers },
  });
}

export function notFound(request: Request): Response {
  return textResponse(request, 404, 'not found');
}

export function badRequest(request: Request, why: string): Response {
  return textResponse(request, 400, `bad request: ${why}`);
}

/** The stable error code, never a message: messages name server paths. */
export function errorResponse(request: Request, outcome: ErrorOutcome): Response {
  return textResponse(request, outcome.status, outcome.code, { 'x-smoothpub-error': outcome.code });
}

/**
 * Adds CORS headers. `cors` is `*`, one origin, or a comma-separated list (the
 * request's Origin is echoed when listed); empty disables CORS.
 */
export function withCors(request: Request, response: Response, cors: string): Response {
  if (cors === '') return response;
  const h = response.headers;
  if (cors === '*') {
    h.set('access-control-allow-origin', '*');
  } else {
    const origin = request.headers.get('origin');
    const allowed = cors.split(',').map((s) => s.trim());
    h.append('vary', 'Origin');
    if (origin === null || !allowed.includes(origin)) return response;
    h.set('access-control-allow-origin', origin);
  }
  h.set('access-control-expose-headers', 'Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified');
  return response;
}
