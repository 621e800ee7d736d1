import { createOrigin as createOriginHandler, type Origin, type OriginOptions } from '../origin/createOrigin.js';
import { toResponse } from '../origin/reply.js';

/** Workers' TransformStream that declares its length: the runtime then sends Content-Length. */
type FixedLengthStreamClass = new (length: number) => TransformStream<Uint8Array, Uint8Array>;

/**
 * createOrigin for an edge runtime (`smoothpub/edge`). On workerd a streamed body goes out
 * chunked unless it passes through a FixedLengthStream, so a fragment (read from R2 in
 * steps) would reach caches and players without its Content-Length; this sends it.
 * Elsewhere it is the handler as it is.
 */
export function createOrigin(opts: OriginOptions): Origin {
  const origin = createOriginHandler(opts);
  const Fixed = (globalThis as { FixedLengthStream?: FixedLengthStreamClass }).FixedLengthStream;
  if (Fixed === undefined) return origin;
  const handler = async (request: Request): Promise<Response> => {
    const reply = await origin.reply(request);
    const response = toResponse(reply);
    const length = Number(reply.headers['content-length']);
    if (response.body === null || reply.body instanceof Uint8Array || !Number.isSafeInteger(length)) return response;
    const fixed = new Fixed(length);
    // A read failing midway (a source replaced: 412) errors the stream: the client sees a cut response.
    response.body.pipeTo(fixed.writable).catch(() => undefined);
    return new Response(fixed.readable, { status: response.status, headers: response.headers });
  };
  return Object.assign(handler, { close: () => origin.close(), reply: origin.reply });
}
