// One worker of `serve --workers N`, started by superviseWorkers.ts with node:cluster: the
// same origin as a single process on the shared port. It tells the primary when it listens
// or why it could not; it stops on the primary's `stop`, or on SIGINT/SIGTERM of its own
// (Ctrl-C reaches every process of the terminal's group): no new connections, responses in
// flight finish for up to DRAIN_MS, then it exits. A second signal ends it at once, and so
// does the primary's end (node:cluster exits a worker whose IPC channel closes).
import { isSmoothpubError } from '../errors.js';
import { openServe } from './serveOrigin.js';
import { DRAIN_MS, untilAborted } from './interrupt.js';
import { WORKER_SETTINGS, type WorkerMessage, type WorkerSettings } from './superviseWorkers.js';
import { closeGracefully } from '../http/closeGracefully.js';
import type { AddressInfo } from 'node:net';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

const stop = new AbortController();
const onSignal = (): void => {
  if (stop.signal.aborted) process.exit(0);
  stop.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('message', (m: WorkerMessage) => {
  if (m.smoothpub === 'stop') stop.abort();
});

const { root, opts } = JSON.parse(process.env[WORKER_SETTINGS] ?? '{}') as WorkerSettings;
try {
  const { server, handler, description } = await openServe(root, opts, stop.signal);
  if (server.listening) await send({ smoothpub: 'listening', port: (server.address() as AddressInfo).port, root: description });
  await untilAborted(stop.signal);
  // Should the drain hang (a blocked read), the worker still goes, as a single process does.
  setTimeout(() => process.exit(0), DRAIN_MS + 1000).unref();
  await closeGracefully(server, DRAIN_MS);
  await handler.close();
  process.exit(0);
} catch (e) {
  await send({ smoothpub: 'failed', error: isSmoothpubError(e) ? e.toData() : { internal: e instanceof Error ? (e.stack ?? e.message) : String(e) } });
  process.exit(1);
}
