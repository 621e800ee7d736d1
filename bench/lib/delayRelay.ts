// A TCP relay that adds latency: this kernel has no `netem` (docs/architecture.md), so round-trip time
// is emulated in user space. Every chunk read from one side is written to the other
// `oneWayMs` later, in order; with the same delay both ways a request-response costs 2x.
// Limitation: the kernel acknowledges the client's segments at once, so TCP's own
// window ramp-up does not see the delay; only application round trips do.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface DelayRelay {
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

export interface DelayRelayOptions {
  /** Address to listen on, e.g. the host end of a veth pair. */
  listenHost: string;
  /** Where to forward to, e.g. an emulator on 127.0.0.1. */
  targetHost: string;
  targetPort: number;
  oneWayMs: number;
}

/** Pauses the reader while more than this is queued or unwritten on the other side. */
const HIGH_WATER = 4 * 1024 * 1024;

export async function startDelayRelay(opts: DelayRelayOptions): Promise<DelayRelay> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  // Half-open allowed: a side that finished sending still gets the other side's delayed bytes.
  const server: Server = createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
    accepted++;
    const upstream = connect({ host: opts.targetHost, port: opts.targetPort, noDelay: true, allowHalfOpen: true });
    sockets.add(client).add(upstream);
    pipeDelayed(client, upstream, opts.oneWayMs);
    pipeDelayed(upstream, client, opts.oneWayMs);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', () => sockets.delete(client));
    upstream.on('error', drop).on('close', () => sockets.delete(upstream));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, opts.listenHost, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Copies `from` to `to`, each chunk `delayMs` after it arrived, preserving order; ends `to` after the last chunk. */
function pipeDelayed(from: Socket, to: Socket, delayMs: number): void {
  const queue: { due: number; chunk: Buffer | null }[] = [];
  let queued = 0;
  let timer: NodeJS.Timeout | undefined;

  const flush = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.due <= now + 0.5) {
      const { chunk } = queue.shift()!;
      if (chunk === null) {
        to.end();
        return;
      }
      queued -= chunk.length;
      if (!to.destroyed) to.write(chunk);
    }
    if (from.isPaused() && queued + to.writableLength < HIGH_WATER) from.resume();
    schedule();
  };
  const schedule = (): void => {
    if (timer !== undefined || queue.length === 0) return;
    timer = setTimeout(flush, Math.max(0, queue[0]!.due - performance.now()));
  };

  from.on('data', (chunk: Buffer) => {
    queue.push({ due: performance.now() + delayMs, chunk });
    queued += chunk.length;
    if (queued + to.writableLength >= HIGH_WATER) from.pause();
    schedule();
  });
  from.on('end', () => {
    queue.push({ due: performance.now() + delayMs, chunk: null });
    schedule();
  });
  to.on('drain', () => {
    if (from.isPaused() && queued + to.writableLength < HIGH_WATER) from.resume();
  });
  from.on('close', () => {
    if (timer !== undefined && to.destroyed) clearTimeout(timer);
  });
}
