// The node adapter's timeouts: a slow or silent client does not hold a connection open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { createOrigin } from '../../src/origin/nodeOrigin.js';
import { createOriginServer } from '../../src/origin/nodeAdapter.js';
import { makeRoot } from './helpers.js';

/** Connects, sends `data`, and resolves with what came back once the server closes. */
function hold(port: number, data: string): Promise<{ reply: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(data));
    let reply = '';
    socket.setEncoding('latin1').on('data', (d: string) => (reply += d));
    socket.on('close', () => resolve({ reply, ms: Date.now() - started }));
    socket.on('error', reject);
  });
}

test('headers that never finish, and an idle connection, are cut off', { timeout: 20_000 }, async (t) => {
  const r = await makeRoot();
  const server = createOriginServer(createOrigin({ root: r.root }), { headersTimeoutMs: 300, requestTimeoutMs: 300, idleTimeoutMs: 400, keepAliveTimeoutMs: 200 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await r.cleanup();
  });
  const { port } = server.address() as AddressInfo;
  const slow = await hold(port, 'GET /clean/clean.ism/Manifest HTTP/1.1\r\nHost: x\r\n');
  assert.ok(slow.ms < 3000, `closed after ${slow.ms} ms`);
  assert.match(slow.reply, /^(HTTP\/1\.1 408|$)/);
  const silent = await hold(port, '');
  assert.ok(silent.ms < 3000, `closed after ${silent.ms} ms`);
  // A kept-alive connection after a complete answer is closed after keepAliveTimeout.
  const kept = await hold(port, 'GET /clean/clean.ism/Manifest HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.match(kept.reply, /^HTTP\/1\.1 200/);
  assert.ok(kept.ms < 3000, `closed after ${kept.ms} ms`);
});
