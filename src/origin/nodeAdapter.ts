import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Origin, OriginHandler } from './createOrigin.js';
import type { OriginReply, RequestLike } from './reply.js';
import { drained, writeReply } from './writeReply.js';
import { serveOnSockets } from './socketAdapter.js';

export interface OriginServerOptions {
  /** Longest time to receive a whole request; default 30 s. */
  requestTimeoutMs?: number;
  /** Longest time to receive the request headers; default 10 s. */
  headersTimeoutMs?: number;
  /** How long an idle kept-alive connection stays open; default 5 s. */
  keepAliveTimeoutMs?: number;
  /** A socket with no traffic either way this long is closed (a stalled reader); default 60 s. */
  idleTimeoutMs?: number;
  /**
   * createOrigin's replies: 'sockets' (default) answers plain GET and HEAD requests on the
   * sockets directly (serveOnSockets) and hands anything else to node:http; 'node' leaves
   * every request to node:http (for comparison). The environment variable
   * SMOOTHPUB_ORIGIN_HTTP=node chooses 'node' where this is not given.
   */
  transport?: 'sockets' | 'node';
}

/**
 * A node:http server around a fetch-style handler: each IncomingMessage becomes a
 * Request, each Response body is written with backpressure (the next chunk is pulled
 * only when the socket drains), and a client that goes away cancels the body, which
 * releases what it holds (the source file).
 *
 * createOrigin's own handler skips the fetch objects: its replies are written straight
 * to the socket, file runs with sendfile(2) where it can (writeReply), and its plain GET
 * and HEAD requests skip node:http too (serveOnSockets).
 */
export function createOriginServer(handler: OriginHandler | Origin, opts: OriginServerOptions = {}): Server {
  const requestTimeout = opts.requestTimeoutMs ?? 30_000;
  const headersTimeout = Math.min(opts.headersTimeoutMs ?? 10_000, requestTimeout);
  const server = createServer(
    {
      requestTimeout,
      headersTimeout,
      keepAliveTimeout: opts.keepAliveTimeoutMs ?? 5_000,
      // Node checks the two timeouts above only this often (default 30 s).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, headersTimeout / 2)),
    },
    'reply' in handler
      ? (req, res) => {
          // A repeat of a fragment answered before: no request object, no promise.
          if (handler.fragmentNow !== undefined && req.method === 'GET' && req.url !== undefined && isPlain(req.rawHeaders)) {
            const now = handler.fragmentNow(req.url);
            if (now !== undefined) {
              writeReply({ status: 200, headers: now.headers, body: { src: now.src, parts: now.prefix === null ? [{ offset: now.offset, size: now.size }] : [now.prefix, { offset: now.offset, size: now.size }], chunk: now.chunk } }, res).catch(() => res.destroy());
              return;
            }
          }
          serveReply(handler.reply, req, res).catch(() => res.destroy());
        }
      : (req, res) => {
          serve(handler, req, res).catch(() => res.destroy());
        },
  );
  // No 'timeout' listener on the server: node destroys an idle socket itself.
  server.timeout = opts.idleTimeoutMs ?? 60_000;
  const transport = opts.transport ?? (process.env['SMOOTHPUB_ORIGIN_HTTP'] === 'node' ? 'node' : 'sockets');
  if ('reply' in handler && transport === 'sockets') {
    serveOnSockets(server, handler, { headersTimeoutMs: headersTimeout, keepAliveTimeoutMs: server.keepAliveTimeout, idleTimeoutMs: server.timeout });
  }
  return server;
}

/** No Range and no precondition header: the answer depends on the target alone (Origin.fragmentNow). */
function isPlain(rawHeaders: string[]): boolean {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const c = name.charCodeAt(0) | 0x20;
    if ((c === 0x72 || c === 0x69) && /^(range|if-)/i.test(name)) return false;
  }
  return true;
}

async function serveReply(reply: (r: RequestLike, target?: string) => Promise<OriginReply>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const target = req.url ?? '/';
  if (!target.startsWith('/')) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'content-length': '16', 'cache-control': 'no-store' }).end('400 bad request\n');
    return;
  }
  const headers = req.headers;
  const request: RequestLike = {
    method: req.method ?? 'GET',
    url: `http://origin.invalid${target}`,
    headers: {
      get(name) {
        const v = headers[name];
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
      },
    },
  };
  await writeReply(await reply(request, target), res);
}

async function serve(handler: OriginHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const request = toRequest(req, controller.signal);
  if (request === undefined) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'content-length': '16', 'cache-control': 'no-store' }).end('400 bad request\n');
    return;
  }
  const response = await handler(request);
  const body = req.method === 'HEAD' ? null : response.body;
  try {
    const headers: string[] = [];
    response.headers.forEach((value, name) => headers.push(name, value));
    res.writeHead(response.status, headers);
  } catch (e) {
    await response.body?.cancel();
    throw e;
  }
  if (body === null) {
    await response.body?.cancel();
    res.end();
    return;
  }
  await pipeBody(body, res, controller.signal);
}

/** Only the path and query of the request target are used; the host is not trusted. */
function toRequest(req: IncomingMessage, signal: AbortSignal): Request | undefined {
  const target = req.url ?? '/';
  if (!target.startsWith('/')) return undefined;
  const headers = new Headers();
  try {
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    return new Request(`http://origin.invalid${target}`, { method: req.method ?? 'GET', headers, signal });
  } catch {
    return undefined;
  }
}

async function pipeBody(body: ReadableStream<Uint8Array>, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const reader = body.getReader();
  // A pending read resolves (done) when the client goes away mid-body.
  const onAbort = (): void => {
    reader.cancel().catch(() => undefined);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  let complete = false;
  try {
    while (!signal.aborted) {
      const { done, value } = await reader.read();
      if (done) {
        complete = !signal.aborted;
        break;
      }
      if (!res.write(value)) await drained(res);
    }
  } catch {
    // The source failed mid-body: the status line is gone, so cut the connection
    // (a client must not take a short body for a whole one).
  } finally {
    signal.removeEventListener('abort', onAbort);
    // Whatever ended the loop early, the body's source is released here.
    if (!complete) await reader.cancel().catch(() => undefined);
  }
  if (complete) res.end();
  else res.destroy();
}
