// The origin as its own process for bench/origin.ts: `node dist/bench/originServe.js <root> [formats]`
// (formats comma-separated as `serve --formats`, default smooth) prints `{"url": ...}` once listening and serves until SIGTERM.
// SMOOTHPUB_READ_CHUNK overrides the read chunk size (for experiments).
import type { AddressInfo } from 'node:net';
import { createOrigin } from '../src/origin/nodeOrigin.js';
import { createOriginServer } from '../src/origin/nodeAdapter.js';
import { parseFormats } from '../src/cli/options.js';

const root = process.argv[2];
if (root === undefined) throw new Error('usage: originServe <root> [formats]');
const formats = parseFormats(process.argv[3] ?? 'smooth');
const server = createOriginServer(createOrigin({ root, formats, ...(process.env['SMOOTHPUB_READ_CHUNK'] !== undefined && { readChunkBytes: Number(process.env['SMOOTHPUB_READ_CHUNK']) }), onError: (e) => process.stderr.write(`origin error: ${String(e)}\n`) }), { keepAliveTimeoutMs: 60_000 });
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${port}` }) + '\n');
});
// SIGUSR2: collect garbage (when run with --expose-gc) and print memory use as a JSON line.
process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  process.stdout.write(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers }) + '\n');
});
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
