import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import assert from 'node:assert/strict';
import type { PutOptions, Store, StoredObject } from '../../src/stores/store.js';
import { StoreError } from '../../src/stores/store.js';

export function md5(data: Uint8Array | string): Buffer {
  return createHash('md5').update(data).digest();
}

export function putOptions(body: Uint8Array, extra: Partial<PutOptions> = {}): PutOptions {
  return { size: body.length, contentType: 'video/mp4', cacheControl: 'public, max-age=31536000, immutable', md5: md5(body), ...extra };
}

export async function listAll(store: Store): Promise<Map<string, StoredObject>> {
  const map = new Map<string, StoredObject>();
  for await (const o of store.list()) map.set(o.key, o);
  return map;
}

/** Every way an error reaches a user: message, String(), JSON (CLI --json), util.inspect (console.error). */
export function renderings(e: unknown): string[] {
  return [e instanceof Error ? e.message : '', String(e), JSON.stringify(e), inspect(e, { depth: 10 })];
}

export function assertNoSecret(e: unknown, secrets: string[]): void {
  for (const text of renderings(e)) {
    for (const secret of secrets) assert.ok(!text.includes(secret), `secret leaked in: ${text}`);
  }
}

export async function catchStoreError(p: Promise<unknown>): Promise<StoreError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StoreError, `expected a StoreError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a StoreError');
}

/** A fake store service answering every request with `reply`; `close` ends it. */
export async function startFakeService(reply: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => reply(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Parenthesized keys as a Smooth presentation has them. */
export const SMOOTH_KEYS = [
  'QualityLevels(400000)/Fragments(video=0)',
  'QualityLevels(400000)/Fragments(video=20000000)',
  'QualityLevels(128000)/Fragments(audio_eng=0)',
  'QualityLevels(128000)/Fragments(audio=-213333)',
  'Manifest',
];

/** A TCP relay to 127.0.0.1:`targetPort` that counts the connections clients open through it. */
export async function startCountingRelay(targetPort: number): Promise<{ port: number; connections(): number; close(): Promise<void> }> {
  const { createServer: createTcpServer, connect } = await import('node:net');
  let count = 0;
  const sockets = new Set<import('node:net').Socket>();
  const server = createTcpServer((client) => {
    count++;
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    connections: () => count,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Runs `fn` over items with at most `concurrency` running at once. */
export async function inParallel<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
