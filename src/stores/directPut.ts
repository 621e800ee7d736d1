import { request as httpRequest, type Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import { firstLine, type Failure } from './storeFailure.js';

/**
 * One PUT of an object body straight through node's http client: the store signs the
 * headers, this sends them and the body on the store's keep-alive agent. Publishing is
 * thousands of small puts, and the cloud SDKs' per-request machinery (middleware stacks,
 * schemas, endpoint rules, tracing) cost 1-1.5 ms of CPU per put on this machine against
 * about 0.4 ms for the request itself: on a small machine shared with the store that CPU
 * is upload time. Everything else a store does (listing, setup, reads) stays on the SDK.
 */
export interface DirectPut {
  url: URL;
  headers: Record<string, string>;
  body: Uint8Array | Readable;
  agent: HttpAgent | HttpsAgent;
  /** The socket may be idle (nothing sent, no answer) this long before the put fails with `stallError`. */
  stallMs: number;
  /** The error a stalled put fails with, as the store's SDK names its timeouts (so it is retried the same way). */
  stallError: () => Error;
  signal?: AbortSignal;
}

export interface DirectPutResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The error document of a failed put (at most 64 KiB), '' on success. */
  text: string;
}

/** The longest error body kept: the service's error XML is a few hundred bytes. */
const MAX_ERROR_BODY = 64 * 1024;

/**
 * Sends the put and waits for the answer. Resolves with any HTTP status (the caller maps
 * errors, which differ per store); rejects on socket errors, a stall, or the caller's abort
 * (an AbortError).
 */
export function directPut(put: DirectPut): Promise<DirectPutResponse> {
  return new Promise((resolve, reject) => {
    const { url, body } = put;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: 'PUT', headers: put.headers, agent: put.agent, ...(put.signal !== undefined && { signal: put.signal }) }, (res) => {
      const status = res.statusCode ?? 0;
      const ok = status >= 200 && status < 300;
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (c: Buffer) => {
        if (ok || kept >= MAX_ERROR_BODY) return;
        chunks.push(c);
        kept += c.length;
      });
      res.on('end', () => resolve({ status, headers: res.headers, text: ok ? '' : Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY) }));
      res.on('error', reject);
    });
    req.setTimeout(put.stallMs, () => req.destroy(put.stallError()));
    req.on('error', reject);
    if (body instanceof Uint8Array) {
      req.end(body);
    } else {
      body.on('error', (e) => req.destroy(e));
      body.pipe(req);
    }
  });
}

/** `<Code>` and `<Message>` of a store's XML error document (S3 and Azure alike). */
export function errorDocument(xml: string): { code?: string; message?: string } {
  const field = (name: string): string | undefined => {
    const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
    return m?.[1] === undefined ? undefined : decodeXml(m[1]);
  };
  const code = field('Code');
  const message = field('Message');
  return { ...(code !== undefined && { code }), ...(message !== undefined && { message }) };
}

function decodeXml(s: string): string {
  return s.replace(/&(lt|gt|quot|apos|amp);/g, (_m, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e] ?? '');
}

/**
 * What every rejected direct put reports, whichever store: the status, the service's code
 * and the first line of its message (none for 401/403: an authentication failure's text
 * can quote what was signed; the code says enough), and Retry-After.
 */
export function rejectedPut(response: DirectPutResponse, code: string | undefined, message: string | undefined): Pick<Failure, 'operation' | 'status' | 'code' | 'detail' | 'retryAfter'> {
  const retryAfter = response.headers['retry-after'];
  return {
    operation: 'put',
    status: response.status,
    ...(code !== undefined && { code }),
    ...(response.status !== 401 && response.status !== 403 && { detail: firstLine(message) ?? '' }),
    retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
  };
}
