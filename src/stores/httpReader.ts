import { collectBody, type ObjectInfo, type ObjectReader } from './objectReader.js';
import { storeError } from './storeFailure.js';

export interface HttpReaderOptions {
  /** No answer (or no progress) for this long fails the request as retryable; default 30 s. */
  timeoutMs?: number;
}

/**
 * Objects under an `http(s)://` base URL (a CDN, a static web server, a public bucket), read
 * with HEAD and Range GETs over node's kept-alive fetch. Cannot list: only presentations
 * named by a `.ism` file can be found. The base's query (a SAS token) is appended to
 * every request and never printed.
 */
export function createHttpReader(base: string, opts: HttpReaderOptions = {}): ObjectReader {
  const u = new URL(base);
  const query = u.search;
  u.search = '';
  u.hash = '';
  const root = u.href.endsWith('/') ? u.href : `${u.href}/`;
  const description = root;
  const secrets = query === '' ? [] : [query.slice(1)];
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const urlOf = (key: string): string => root + key.split('/').map(encodeURIComponent).join('/') + query;
  const fail = (operation: string, key: string, status?: number, detail?: string): Error =>
    storeError({ operation, store: description, key, ...(status !== undefined && { status }), ...(detail !== undefined && { detail }), secrets });
  const request = async (operation: string, key: string, init: RequestInit): Promise<Response> => {
    try {
      return await fetch(urlOf(key), { ...init, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      throw storeError({ operation, store: description, key, detail: err.cause?.code ?? err.message, timedOut: err.name === 'TimeoutError', secrets });
    }
  };
  return {
    description,
    async head(key) {
      const r = await request('read properties', key, { method: 'HEAD' });
      if (r.status === 404 || r.status === 410) return undefined;
      if (!r.ok) throw fail('read properties', key, r.status);
      const size = Number(r.headers.get('content-length'));
      if (!Number.isSafeInteger(size)) throw fail('read properties', key, r.status, 'no Content-Length');
      const info: ObjectInfo = { size, etag: r.headers.get('etag') ?? '', lastModified: Date.parse(r.headers.get('last-modified') ?? '') || 0 };
      return info;
    },
    async read(key, offset, length, ifMatch) {
      if (length <= 0) return new Uint8Array(0);
      const headers: Record<string, string> = { range: `bytes=${offset}-${offset + length - 1}` };
      if (ifMatch !== undefined && ifMatch !== '') headers['if-match'] = ifMatch;
      const r = await request('read', key, { headers });
      if (r.status === 416) {
        await r.body?.cancel();
        return new Uint8Array(0);
      }
      // A server that ignores If-Match still names its version: a different one is a change.
      const etag = r.headers.get('etag');
      if (r.ok && ifMatch !== undefined && ifMatch !== '' && etag !== null && etag !== ifMatch) {
        await r.body?.cancel();
        throw fail('read', key, 412, 'the object changed');
      }
      if (r.status !== 206 && !(r.status === 200 && offset === 0)) {
        await r.body?.cancel();
        throw fail('read', key, r.status, r.status === 200 ? 'the server ignores Range requests' : undefined);
      }
      if (!r.body) return new Uint8Array(0);
      if (r.status === 206) return collectBody(r.body as unknown as AsyncIterable<Uint8Array>, length);
      // 200 for a range from 0: the whole object; keep only what was asked for.
      const reader = r.body.getReader();
      const chunks: Uint8Array[] = [];
      let got = 0;
      while (got < length) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        got += value.length;
      }
      await reader.cancel();
      return (await collectBody(chunks, Infinity)).subarray(0, length);
    },
  };
}
