import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mulberry32 } from './mulberry32.js';

export { mulberry32 };

export type Fault = 'none' | '500' | '503' | 'drop' | 'drop-after';

export interface FaultProxy {
  /** e.g. `http://127.0.0.1:PORT` */
  url: string;
  /** Requests forwarded to the target and answered 2xx, by `METHOD path`. */
  succeeded: Map<string, number>;
  faults: number;
  requests: number;
  /** The most requests of each method (`PUT`, `GET`, ...) the store was working on at once: a concurrency limit seen from the store's side. */
  peakInFlight: Map<string, number>;
  /**
   * No client connection open and no forwarded request still waiting for the store: all
   * that reached the store has been answered. Wait for it (waitUntil) before counting.
   */
  readonly idle: boolean;
  /** Change the failure rate, e.g. to 0 for a clean pass. */
  setRate(rate: number): void;
  close(): Promise<void>;
}


/**
 * A reverse proxy in front of a storage emulator that fails a share of requests:
 * 500, 503 (with Retry-After: 0), a connection dropped before forwarding, or one
 * dropped after the store already did the work (the client cannot know it landed).
 */
export async function startFaultProxy(target: string, options: { rate: number; seed: number }): Promise<FaultProxy> {
  const random = mulberry32(options.seed);
  const targetUrl = new URL(target);
  let rate = options.rate;
  const succeeded = new Map<string, number>();
  const state = { faults: 0, requests: 0, connections: 0, forwarding: 0 };
  const methods = new Map<string, number>();
  const peakInFlight = new Map<string, number>();
  const pick = (): Fault => {
    if (random() >= rate) return 'none';
    const kinds: Fault[] = ['500', '503', 'drop', 'drop-after'];
    return kinds[Math.floor(random() * kinds.length)]!;
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.requests++;
    const fault = pick();
    if (fault !== 'none') state.faults++;
    if (fault === '500' || fault === '503' || fault === 'drop') {
      req.resume();
      req.on('end', () => {
        if (fault === 'drop') {
          res.socket?.destroy();
          return;
        }
        res.writeHead(Number(fault), fault === '503' ? { 'retry-after': '0', 'content-type': 'text/plain' } : { 'content-type': 'text/plain' });
        res.end(`injected ${fault}`);
      });
      return;
    }
    state.forwarding++;
    const method = req.method ?? '';
    const inFlight = (methods.get(method) ?? 0) + 1;
    methods.set(method, inFlight);
    peakInFlight.set(method, Math.max(peakInFlight.get(method) ?? 0, inFlight));
    let answered = false;
    const settle = (): void => {
      if (!answered) {
        state.forwarding--;
        methods.set(method, methods.get(method)! - 1);
      }
      answered = true;
    };
    const upstream = httpRequest(
      { host: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers: { ...req.headers, host: targetUrl.host } },
      (up) => {
        settle();
        const ok = (up.statusCode ?? 0) < 300;
        const key = `${req.method} ${decodeURIComponent((req.url ?? '').split('?')[0]!)}`;
        if (ok) succeeded.set(key, (succeeded.get(key) ?? 0) + 1);
        if (fault === 'drop-after') {
          up.resume();
          up.on('end', () => res.socket?.destroy());
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.socket?.destroy());
    upstream.on('close', settle);
    // A client gone before its body was sent in full: the store can never complete it.
    req.on('close', () => req.complete || upstream.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket) => {
    state.connections++;
    socket.once('close', () => state.connections--);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    succeeded,
    peakInFlight,
    get faults() {
      return state.faults;
    },
    get requests() {
      return state.requests;
    },
    get idle() {
      return state.connections === 0 && state.forwarding === 0;
    },
    setRate(r: number) {
      rate = r;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
