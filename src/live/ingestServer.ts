import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isSmoothpubError } from '../errors.js';
import type { Format } from '../formats/model.js';
import { listen } from '../http/listen.js';
import { DEFAULT_FRAGMENT_CACHE_CONTROL } from '../plan/cacheControl.js';
import { DEFAULT_RETRY_POLICY, GlobalPause, type RetryPolicy } from '../publish/backoff.js';
import { createRetrying } from '../publish/publishPlan.js';
import { IngestConnection } from './ingestConnection.js';
import type { LiveEvent } from './liveEvent.js';
import { HELD_PREFIX, type LivePresentation } from './livePresentation.js';
import { DEFAULT_MAX_BOX_SIZE } from './pushParser.js';
import type { IngestStore } from './readStored.js';
import { recoverPresentation } from './recoverPresentation.js';

import { DEFAULT_FINALIZE_AFTER_MS, DEFAULT_LIVE_MANIFEST_CACHE_CONTROL } from './defaults.js';

export { DEFAULT_FINALIZE_AFTER_MS, DEFAULT_LIVE_MANIFEST_CACHE_CONTROL };

export interface IngestOptions {
  store: IngestStore;
  port?: number;
  host?: string;
  /** HTTP Basic credentials every push must carry (`user:password`); never logged. */
  auth?: { user: string; password: string };
  /** Largest box a push may send (an mdat: a fragment's media), bytes. */
  maxFragmentSize?: number;
  /** No data from any encoder of a presentation for this long finalises it as VOD. */
  finalizeAfterMs?: number;
  fragmentCacheControl?: string;
  manifestCacheControl?: string;
  retry?: RetryPolicy;
  onEvent?: (e: LiveEvent) => void;
  /** At the end of each event, write each level as an .ismv under `<name>.archive/` (levels pushed since this server started). */
  archive?: boolean;
  /** `--dvr`: how far behind the live edge clients may seek (the live Manifest's DVRWindowLength); older fragments are deleted. Undefined: unbounded. */
  dvrWindowMs?: number;
  /** How long after a chunk left the DVR window its fragments are deleted (default 30 s): documents cached for their max-age and downloads under way still ask for it. */
  dvrMarginMs?: number;
  /** `--formats`: Smooth alone by default; with dash or hls, init segments, the MPD and playlists beside the Manifest. */
  formats?: readonly Format[];
}

export interface Ingest {
  server: Server;
  /** `http://host:port`: encoders push to `<url>/<name>.isml/Streams(<id>)`. */
  url: string;
  /** Stops: no new pushes, connections cut, uploads under way finished (or abandoned after `graceMs`), Manifests written (still live: encoders may come back). */
  close(graceMs?: number): Promise<void>;
}

interface Event {
  live: Promise<LivePresentation>;
  connections: number;
  lastData: number;
  finalizing: Promise<void> | undefined;
}

/** Presentation names: folders and a name of letters, digits, `_`, `-` and `.`, as store keys and URLs take them unescaped. */
const PUSH_PATH = /^\/((?:[A-Za-z0-9_-][A-Za-z0-9_.-]*\/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*)\.isml(?:\/Streams\(([^()/]{1,128})\))?\/?$/;

/**
 * The live ingest server: encoders POST a fragmented-MP4 push (chunked, long-running) to
 * `<name>.isml/Streams(<id>)`; each fragment goes to the store at its Smooth URL under
 * `<name>.ism/` as it completes, and the live Manifest is rewritten after it. When every
 * encoder of a presentation has ended its push, or none sent data for `finalizeAfterMs`, the
 * Manifest becomes a static VOD Manifest in place.
 */
export async function startIngest(options: IngestOptions): Promise<Ingest> {
  const emit = options.onEvent ?? ((): void => undefined);
  const stop = new AbortController();
  const withRetries = createRetrying(
    {
      retry: options.retry ?? DEFAULT_RETRY_POLICY,
      signal: stop.signal,
      onEvent: (e) => {
        if (e.type === 'retry') emit({ type: 'retry', key: e.key, attempt: e.attempt, delayMs: e.delayMs, reason: e.reason });
      },
    },
    new GlobalPause(),
  );
  const out = {
    store: options.store,
    withRetries,
    fragmentCacheControl: options.fragmentCacheControl ?? DEFAULT_FRAGMENT_CACHE_CONTROL,
    manifestCacheControl: options.manifestCacheControl ?? DEFAULT_LIVE_MANIFEST_CACHE_CONTROL,
    onEvent: emit,
    archive: options.archive === true,
    ...(options.dvrWindowMs !== undefined && { dvrWindow: BigInt(Math.round(options.dvrWindowMs)) * 10_000n }),
    ...(options.dvrMarginMs !== undefined && { dvrMargin: BigInt(Math.round(options.dvrMarginMs)) * 10_000n }),
    ...(options.formats !== undefined && { formats: options.formats }),
  };
  const maxBoxSize = options.maxFragmentSize ?? DEFAULT_MAX_BOX_SIZE;
  const finalizeAfterMs = options.finalizeAfterMs ?? DEFAULT_FINALIZE_AFTER_MS;
  const events = new Map<string, Event>();
  const connections = new Set<IngestConnection>();
  let serial = 0;
  await withRetries('prepare', () => options.store.prepare());

  /** A `dropped` event for work the store failed (reading a presentation back, finalising): `what` says which. */
  const storeDropped = (source: string, e: unknown, what = ''): void => emit({ type: 'dropped', source, code: isSmoothpubError(e) ? e.code : 'store.request-failed', message: `${what}${(e as Error).message}` });

  const eventFor = (name: string): Event => {
    let event = events.get(name);
    if (!event) {
      event = { live: recoverPresentation(name, options.store, out), connections: 0, lastData: Date.now(), finalizing: undefined };
      // A failed recovery is tried again by the next push.
      event.live.catch(() => events.delete(name));
      events.set(name, event);
    }
    return event;
  };

  const finalize = (event: Event): void => {
    event.finalizing ??= event.live
      .then((live) => (live.finalized || live.streams.length === 0 ? undefined : live.finalize()))
      .catch((e: unknown) => storeDropped('finalize', e))
      .finally(() => {
        event.finalizing = undefined;
      });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!;
    const reject = (status: number, reason: string, headers: Record<string, string> = {}): void => {
      emit({ type: 'rejected', status, method: req.method ?? '', path, reason });
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close', ...headers });
      res.end(`${reason}\n`);
      // The encoder may be sending a body we will not read.
      res.once('finish', () => req.destroy());
    };
    if (options.auth && !authorized(req.headers.authorization, options.auth)) {
      // ffmpeg sends credentials only after a 401 naming Basic (its first try carries Expect: 100-continue and none).
      return reject(401, 'authentication required', { 'WWW-Authenticate': 'Basic realm="smoothpub ingest"' });
    }
    if (req.method !== 'POST') return reject(405, 'live ingest takes POST <name>.isml/Streams(<id>)', { Allow: 'POST' });
    const m = PUSH_PATH.exec(decodeURIComponent(path));
    if (m === null || m[1]!.split('/').some((s) => s === '.' || s === '..')) return reject(404, 'expected POST /<name>.isml/Streams(<id>)');
    const name = m[1]!;
    const streamId = m[2];
    // An empty POST is an encoder's probe of the publishing point.
    if (req.headers['content-length'] === '0' || streamId === undefined) {
      if (expectsContinue) res.writeContinue();
      req.resume();
      res.writeHead(200, { 'Content-Length': '0' });
      res.end();
      return;
    }
    const event = eventFor(name);
    const source = `${name}.isml/Streams(${streamId})#${++serial}`;
    req.pause();
    let live: LivePresentation;
    try {
      live = await event.live;
    } catch (e) {
      storeDropped(source, e, "the presentation's Manifest cannot be read back: ");
      return reject(503, 'the store cannot be read');
    }
    if (expectsContinue) res.writeContinue();
    const connection = new IngestConnection(source, live, maxBoxSize, emit);
    connections.add(connection);
    event.connections++;
    emit({ type: 'connection', source, presentation: name, stream: streamId });
    let ended = false;
    const done = async (clean: boolean, error?: unknown): Promise<void> => {
      if (ended) return;
      ended = true;
      let failure = error;
      try {
        await connection.finish(clean && error === undefined);
      } catch (e) {
        failure ??= e;
      }
      connections.delete(connection);
      event.connections--;
      if (failure !== undefined) {
        const f = failure as Error & { code?: string; context?: { offset?: number } };
        emit({ type: 'dropped', source, code: f.code ?? 'live.bad-push', message: f.message, ...(f.context?.offset !== undefined && { offset: f.context.offset }) });
        if (!res.headersSent && !res.destroyed) reject(400, f.message);
        else req.destroy();
      } else {
        emit({ type: 'ended', source, clean, bytes: connection.bytes, fragments: connection.fragments });
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(200, { 'Content-Length': '0' });
          res.end();
        }
      }
      // Every encoder of the event ended its push: the event is over (an empty push, a probe, says nothing).
      if (clean && failure === undefined && connection.fragments > 0 && event.connections === 0 && !stop.signal.aborted) finalize(event);
    };
    req.on('data', (chunk: Buffer) => {
      if (ended) return;
      event.lastData = Date.now();
      try {
        connection.push(chunk);
      } catch (e) {
        void done(false, e);
        return;
      }
    });
    req.on('end', () => void done(true));
    // A push received whole closes its connection right after its last chunk (ffmpeg): 'end' comes too.
    req.on('close', () => {
      if (!req.complete) void done(false);
    });
    req.resume();
  };

  const server = createServer({ requestTimeout: 0, headersTimeout: 30_000 });
  const onRequest = (expectsContinue: boolean) => (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res, expectsContinue).catch((e: unknown) => {
      emit({ type: 'dropped', source: req.url ?? '', code: isSmoothpubError(e) ? e.code : 'internal', message: (e as Error).message });
      if (!res.headersSent) res.writeHead(500).end();
      req.destroy();
    });
  };
  server.on('request', onRequest(false));
  // Answered by hand so a push without credentials gets its 401 before it sends the body.
  server.on('checkContinue', onRequest(true));
  const host = options.host ?? '127.0.0.1';
  await listen(server, options.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;

  // Presentations a previous run was ingesting when it died (kill -9) have held fragments
  // kept aside: read back now, so those fragments are stored and listed without waiting for
  // an encoder; with none coming back, the event ends after finalizeAfterMs as usual.
  if (options.store.delete !== undefined) {
    const crashed = new Set<string>();
    await withRetries(`${HELD_PREFIX}/ (list)`, async () => {
      crashed.clear();
      for await (const o of options.store.list(HELD_PREFIX)) {
        const m = /^(.+)\.ism\/QualityLevels\(/.exec(o.key);
        if (m !== null && PUSH_PATH.test(`/${m[1]!}.isml`)) crashed.add(m[1]!);
      }
    });
    for (const name of crashed) {
      eventFor(name).live.catch((e: unknown) => storeDropped(`${name}.ism`, e, 'the presentation cannot be read back: '));
    }
  }

  const timer = setInterval(() => {
    const now = Date.now();
    for (const event of events.values()) if (now - event.lastData >= finalizeAfterMs) finalize(event);
  }, Math.min(1000, finalizeAfterMs));
  timer.unref();

  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: async (graceMs = 3000) => {
      clearInterval(timer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Encoders' pushes never end on their own: cut them; what they sent whole is stored.
      server.closeAllConnections();
      // The fragments each level held back for their tfrf are stored (with an empty one) once the pushes are cut.
      const drained = Promise.all([...connections].map((c) => c.settled())).then(() =>
        Promise.all([...events.values()].map((e) => e.live.then((live) => (live.finalized ? undefined : live.storeHeldFragments())).catch(() => undefined))),
      );
      const finalizing = Promise.all([...events.values()].map((e) => e.finalizing));
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all([drained, finalizing]), new Promise((resolve) => (timeout = setTimeout(resolve, graceMs)))]);
      clearTimeout(timeout);
      stop.abort(new Error('ingest stopped'));
      await closed;
      await options.store.close?.();
    },
  };
}

/** HTTP Basic credentials compared in constant time (hashed first: timingSafeEqual needs equal lengths). */
function authorized(header: string | undefined, auth: { user: string; password: string }): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (m === null) return false;
  const given = createHash('sha256').update(Buffer.from(m[1]!, 'base64')).digest();
  const expected = createHash('sha256').update(`${auth.user}:${auth.password}`).digest();
  return timingSafeEqual(given, expected);
}
