import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, get, Agent, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeGracefully } from '../../src/http/closeGracefully.js';
import { listen } from '../../src/http/listen.js';

/** A server whose `/slow` answers send one byte, then wait for the test to finish them. */
async function startServer(): Promise<{ server: ReturnType<typeof createServer>; url: string; slow: Promise<ServerResponse> }> {
  let slowArrived: (res: ServerResponse) => void = () => undefined;
  const slow = new Promise<ServerResponse>((resolve) => (slowArrived = resolve));
  const server = createServer((req, res) => {
    if (req.url === '/slow') {
      res.writeHead(200, { 'content-length': '2' }).write('a');
      slowArrived(res);
    } else res.end('ok');
  });
  await listen(server, 0, '127.0.0.1');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, slow };
}

function fetchBody(url: string, agent?: Agent): Promise<{ status: number; body: Promise<string> }> {
  return new Promise((resolve, reject) => {
    get(url, agent ? { agent } : {}, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      resolve({ status: res.statusCode ?? 0, body: new Promise((ok, fail) => res.on('end', () => ok(body)).on('error', fail).on('aborted', () => fail(new Error('aborted')))) });
    }).on('error', reject);
  });
}

test('closeGracefully: stops accepting, closes idle kept-alive connections, lets a response in flight finish', async () => {
  const { server, url, slow } = await startServer();
  const agent = new Agent({ keepAlive: true });
  try {
    const idle = await fetchBody(`${url}/fast`, agent);
    assert.equal(await idle.body, 'ok');
    const inFlight = await fetchBody(`${url}/slow`);
    const res = await slow;
    let closed = false;
    const closing = closeGracefully(server, 10_000).then(() => (closed = true));
    await assert.rejects(fetchBody(`${url}/fast`), /ECONNREFUSED/);
    assert.equal(closed, false, 'waits for the response in flight');
    res.end('b');
    assert.equal(await inFlight.body, 'ab');
    const started = Date.now();
    await closing;
    assert.ok(Date.now() - started < 1000, 'the kept-alive connection did not hold it open');
  } finally {
    agent.destroy();
    server.closeAllConnections();
  }
});

test('closeGracefully: a response still going after the grace time is cut', async () => {
  const { server, url, slow } = await startServer();
  const inFlight = await fetchBody(`${url}/slow`);
  await slow;
  const started = Date.now();
  await closeGracefully(server, 200);
  assert.ok(Date.now() - started >= 190, `closed after ${Date.now() - started} ms`);
  await assert.rejects(inFlight.body);
});

test('listen: a port in use is net.port-in-use with the host and port', async () => {
  const { server } = await startServer();
  const port = (server.address() as AddressInfo).port;
  const other = createServer();
  await assert.rejects(listen(other, port, '127.0.0.1'), (e: unknown) => {
    const err = e as { code: string; context: unknown; message: string };
    assert.equal(err.code, 'net.port-in-use');
    assert.deepEqual(err.context, { host: '127.0.0.1', port });
    assert.match(err.message, /EADDRINUSE.*choose another --port/);
    return true;
  });
  await closeGracefully(server, 0);
});
