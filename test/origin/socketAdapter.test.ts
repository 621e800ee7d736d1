// The plain-request path on the sockets (serveOnSockets) against node:http answering the
// same origin: the same answers for plain, unusual and hostile requests, pipelined requests
// answered in order across a hand-off, no 5xx, no crash. SMOOTHPUB_FUZZ_SEED changes the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { createOrigin } from '../../src/origin/nodeOrigin.js';
import { createOriginServer } from '../../src/origin/nodeAdapter.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { formatFragmentUrl } from '../../src/smooth/url.js';
import { nativeSendFileStats } from '../../src/origin/sendFileRange.js';
import { closeGracefully } from '../../src/http/closeGracefully.js';
import { testNumber } from '../harness/ci.js';
import { mulberry32 } from '../harness/mulberry32.js';
import { makeRoot, type Root } from './helpers.js';

const SEED = testNumber('SMOOTHPUB_FUZZ_SEED', 0x50c4_e75) >>> 0;

interface Pair {
  sockets: number;
  node: number;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A fresh root served twice: on the sockets path (the default) and by node:http alone; both closed and the root removed after the test. */
async function startPair(t: { after: (fn: () => Promise<void>) => void }): Promise<Pair> {
  const root = await makeRoot();
  const pair = await servePair(root);
  t.after(async () => {
    await pair.close();
    await root.cleanup();
  });
  return pair;
}

async function servePair(root: Root): Promise<Pair> {
  const origin = createOrigin({ root: root.root, onError: (e) => assert.fail(String(e)) });
  const timeouts = { headersTimeoutMs: 1000, requestTimeoutMs: 1000, keepAliveTimeoutMs: 1000 };
  const a = createOriginServer(origin, timeouts);
  const b = createOriginServer(origin, { ...timeouts, transport: 'node' });
  const ports = { sockets: await listen(a), node: await listen(b) };
  return {
    ...ports,
    close: async () => {
      for (const s of [a, b]) {
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
      }
      await origin.close();
    },
  };
}

interface Exchange {
  /** Every response's status, head (without Date) and body length, in order. */
  responses: { status: number; head: string; bodyLength: number }[];
  /** The raw bytes, for messages. */
  raw: string;
}

/**
 * Sends `data` (in pieces when given several) and reads until `count` responses came or the
 * server closed; responses are split by Content-Length (every answer here has one, or none
 * and no body).
 */
function exchange(port: number, data: string[], count: number, headOnly = false): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let raw = Buffer.alloc(0);
    const responses: Exchange['responses'] = [];
    const done = (): void => {
      socket.destroy();
      resolve({ responses, raw: raw.toString('latin1').slice(0, 2000) });
    };
    // A server that stops answering: give up after 5 s without traffic (the socket's idle timeout).
    socket.setTimeout(5000, done);
    socket.on('connect', () => {
      let i = 0;
      const next = (): void => {
        if (i < data.length) socket.write(data[i++]!, 'latin1', next);
      };
      next();
    });
    let at = 0;
    socket.on('data', (d: Buffer) => {
      raw = Buffer.concat([raw, d]);
      for (;;) {
        const end = raw.indexOf('\r\n\r\n', at);
        if (end < 0) break;
        const head = raw.toString('latin1', at, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
        const bodyLength = headOnly || status === 304 || status === 100 || status === 204 ? 0 : length;
        if (raw.length < end + 4 + bodyLength) break;
        if (status !== 100) responses.push({ status, head: head.replace(/\r\nDate: [^\r]*/i, ''), bodyLength });
        at = end + 4 + bodyLength;
      }
      if (responses.length >= count) {
        done();
      }
    });
    socket.on('close', done);
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? undefined : reject(e)));
  });
}

/** A header, case-insensitively, from a response head. */
function header(head: string, name: string): string | undefined {
  return new RegExp(`\\r\\n${name}: *([^\\r]*)`, 'i').exec(head)?.[1];
}

async function fragmentTargets(port: number): Promise<string[]> {
  const r = await fetch(`http://127.0.0.1:${port}/clean/clean.ism/Manifest`);
  const m = readManifest(await r.text());
  return m.streams.flatMap((s) => s.qualityLevels.flatMap((q) => s.chunks.map((c) => `/clean/clean.ism/${formatFragmentUrl(s.url, q.bitrate, c.t)}`)));
}

test('plain GET and HEAD answered on the sockets as node:http answers them: status, validators, ranges, HTTP/1.0, Connection: close', { timeout: 60_000 }, async (t) => {
  const pair = await startPair(t);
  const [fragment] = await fragmentTargets(pair.node);
  const withHost = (line: string, ...headers: string[]): string => `${line}\r\nHost: x\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;
  const first = await exchange(pair.node, [withHost(`GET ${fragment} HTTP/1.1`)], 1);
  const etag = header(first.responses[0]!.head, 'etag')!;
  const lastModified = header(first.responses[0]!.head, 'last-modified')!;
  const cases = [
    withHost(`GET ${fragment} HTTP/1.1`),
    withHost(`HEAD ${fragment} HTTP/1.1`),
    withHost(`GET ${fragment} HTTP/1.1`, 'Range: bytes=10-99'),
    withHost(`GET ${fragment} HTTP/1.1`, 'Range: bytes=99999999-'),
    withHost(`GET ${fragment} HTTP/1.1`, `If-None-Match: ${etag}`),
    withHost(`GET ${fragment} HTTP/1.1`, `If-Modified-Since: ${lastModified}`),
    withHost(`GET ${fragment} HTTP/1.1`, 'If-Match: "nope"'),
    withHost(`GET ${fragment} HTTP/1.1`, 'Range: bytes=0-9', 'If-Range: "old"'),
    withHost(`GET ${fragment} HTTP/1.1`, 'Origin: https://player.example'),
    withHost('GET /clean/clean.ism/Manifest HTTP/1.1'),
    withHost('HEAD /clean/clean.ism/manifest.mpd HTTP/1.1'),
    withHost('GET /clean/clean.ism/QualityLevels(1)/Fragments(video=0) HTTP/1.1'),
    withHost('GET /clean/clean.ism/QualityLevels(x)/Fragments(video=0) HTTP/1.1'),
    withHost('GET /%2e%2e/secret HTTP/1.1'),
    withHost('GET /crossdomain.xml HTTP/1.1', 'Connection: close'),
    `GET /clean/clean.ism/Manifest HTTP/1.0\r\n\r\n`,
    `GET /clean/clean.ism/Manifest HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`,
  ];
  for (const request of cases) {
    const head = request.startsWith('HEAD');
    const [a, b] = await Promise.all([exchange(pair.sockets, [request], 1, head), exchange(pair.node, [request], 1, head)]);
    assert.equal(a.responses.length, 1, `sockets: ${request}\n${a.raw}`);
    // Same status and headers (node:http's Date aside), same body length.
    assert.deepEqual(a.responses, b.responses, request);
  }
});

test('unusual requests go to node:http and get its answers; pipelined requests stay in order across the hand-off', { timeout: 60_000 }, async (t) => {
  const pair = await startPair(t);
  const get = 'GET /clean/clean.ism/Manifest HTTP/1.1\r\nHost: x\r\n\r\n';
  const cases: [string, number][] = [
    ['POST /clean/clean.ism/Manifest HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello', 405],
    ['PUT /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n', 405],
    ['GET /clean/clean.ism/Manifest HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc', 200],
    ['GET /clean/clean.ism/Manifest HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n', 200],
    ['GET /clean/clean.ism/Manifest HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n', 200],
    ['OPTIONS /clean/clean.ism/Manifest HTTP/1.1\r\nHost: x\r\n\r\n', 204],
    ['BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['PATCH /x HTTP/1.1\r\nHost: x\r\n\r\n', 405],
    ['GET /clean/clean.ism/Manifest HTTP/1.1\r\n\r\n', 400],
    ['GET /clean/clean.ism/Manifest HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n', 200],
    [`GET /clean/clean.ism/Manifest HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(10_000)}\r\n\r\n`, 200],
    [`GET /clean/clean.ism/Manifest HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['GET /clean/clean.ism/Manifest HTTP/9.9\r\nHost: x\r\n\r\n', 400],
    ['GET\x00 / HTTP/1.1\r\n\r\n', 400],
  ];
  for (const [request, status] of cases) {
    const [a, b] = await Promise.all([exchange(pair.sockets, [request], 1), exchange(pair.node, [request], 1)]);
    assert.equal(a.responses[0]?.status, b.responses[0]?.status, `${JSON.stringify(request.slice(0, 120))}\n${a.raw.slice(0, 300)}`);
    assert.equal(a.responses[0]?.status, status, JSON.stringify(request.slice(0, 120)));
    // Pipelined behind plain requests, in one write and in pieces: answered in order, then a plain one again
    // (after an Upgrade node:http reads no further request on the connection).
    if (status < 400 && !request.includes('Upgrade')) {
      const all = get + request + get;
      for (const pieces of [[all], [...all.slice(0, 400)].concat(all.slice(400))]) {
        const p = await exchange(pair.sockets, pieces, 3);
        assert.deepEqual(
          p.responses.map((r) => r.status),
          [200, status, 200],
          JSON.stringify(request.slice(0, 120)),
        );
      }
    }
  }
});

test('fuzz: hostile request heads get the same status on the sockets as from node:http, never a 5xx; the server keeps answering', { timeout: 120_000 }, async (t) => {
  const pair = await startPair(t);
  const r = mulberry32(SEED);
  const targets = await fragmentTargets(pair.node);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const pieces = ['\r', '\n', '\r\n', ' ', '\t', ':', '\x00', '\x7f', '\x80', '\xff', '"', '\\', '%', '%00', '..', '/', '?', '#', ',', 'GET ', 'HEAD ', ' HTTP/1.1', 'HTTP/1.0', 'Host: x\r\n', 'Content-Length: 1\r\n', 'Transfer-Encoding: chunked\r\n', 'Connection: close\r\n', 'Range: bytes=0-\r\n', 'If-None-Match: *\r\n'];
  const cases = 600;
  for (let i = 0; i < cases; i++) {
    let text = `${pick(['GET', 'HEAD'])} ${pick(targets)} HTTP/1.1\r\nHost: x\r\n${r() < 0.5 ? `Range: bytes=${Math.floor(r() * 100)}-${Math.floor(r() * 200)}\r\n` : ''}\r\n`;
    const edits = 1 + Math.floor(r() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(r() * (text.length - 4));
      const how = r();
      if (how < 0.3) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(r() * 4));
      else if (how < 0.8) text = text.slice(0, at) + pick(pieces) + text.slice(at);
      else text = text.slice(0, at) + String.fromCharCode(Math.floor(r() * 256)) + text.slice(at + 1);
    }
    // Whatever the edits did, the head ends, so that neither side waits for more.
    if (!text.includes('\r\n\r\n')) text += '\r\n\r\n';
    const [a, b] = await Promise.all([exchange(pair.sockets, [text], 1, text.startsWith('HEAD')), exchange(pair.node, [text], 1, text.startsWith('HEAD'))]);
    const sa = a.responses[0]?.status;
    const sb = b.responses[0]?.status;
    assert.equal(sa, sb, `seed ${SEED} case ${i}: ${JSON.stringify(text)}\nsockets: ${a.raw.slice(0, 200)}\nnode: ${b.raw.slice(0, 200)}`);
    assert.ok(sa === undefined || sa < 500, `seed ${SEED} case ${i}: ${sa} for ${JSON.stringify(text)}`);
  }
  const after = await exchange(pair.sockets, ['GET /clean/clean.ism/Manifest HTTP/1.1\r\nHost: x\r\n\r\n'], 1);
  assert.equal(after.responses[0]?.status, 200);
});

test('a fragment on the sockets path goes out with its head in one addon call, many pipelined on one connection', { timeout: 60_000 }, async (t) => {
  const pair = await startPair(t);
  const targets = await fragmentTargets(pair.node);
  // Page cache warm: the one-call path needs every page cached.
  for (const target of targets) await (await fetch(`http://127.0.0.1:${pair.node}${target}`)).arrayBuffer();
  const requests = targets.map((target) => `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
  const before = nativeSendFileStats();
  const a = await exchange(pair.sockets, [requests.join('')], requests.length);
  const after = nativeSendFileStats();
  const b = await exchange(pair.node, [requests.join('')], requests.length);
  assert.equal(a.responses.length, targets.length);
  assert.deepEqual(a.responses, b.responses);
  // Where the kernel can tell that pages are cached (cachestat, Linux 6.5+), most fragments take the one-call path.
  if (before?.withHead !== undefined && after?.cachestat === true) assert.ok(after.withHead! - before.withHead >= targets.length / 2, `${after.withHead! - before.withHead} of ${targets.length} sends with a head`);
});

test('closeGracefully on the sockets path: idle kept-alive connections closed at once, pipelined answers finished first', { timeout: 30_000 }, async (t) => {
  const root = await makeRoot();
  const origin = createOrigin({ root: root.root });
  const server = createOriginServer(origin);
  const port = await listen(server);
  t.after(async () => {
    server.closeAllConnections();
    await origin.close();
    await root.cleanup();
  });
  const get = 'GET /clean/clean.ism/Manifest HTTP/1.1\r\nHost: x\r\n\r\n';
  const idle = connect(port, '127.0.0.1');
  const idleClosed = new Promise<void>((resolve) => idle.on('close', () => resolve()));
  const firstAnswer = new Promise<void>((resolve) => idle.once('data', () => resolve()));
  idle.write(get);
  await firstAnswer;
  // Three pipelined requests; the close begins once the first answer arrives.
  const busy = connect(port, '127.0.0.1');
  let text = '';
  const busyClosed = new Promise<void>((resolve) => busy.on('close', () => resolve()));
  const started = new Promise<number>((resolve) =>
    busy.setEncoding('latin1').on('data', (d: string) => {
      if (text === '') resolve(Date.now());
      text += d;
    }),
  );
  busy.write(get + get + get);
  await started;
  const t0 = Date.now();
  await closeGracefully(server, 10_000);
  await Promise.all([idleClosed, busyClosed]);
  assert.equal(text.match(/HTTP\/1\.1 200 /g)?.length, 3, text.slice(0, 300));
  assert.ok(Date.now() - t0 < 5000, `closed after ${Date.now() - t0} ms`);
});

test('both ways of reading the sockets (one shared buffer; SMOOTHPUB_ORIGIN_READ=stream: a Buffer per read) answer fragments in pieces and pipelined as node:http does', { timeout: 60_000 }, async (t) => {
  const pair = await startPair(t);
  t.after(async () => {
    delete process.env['SMOOTHPUB_ORIGIN_READ'];
  });
  const targets = (await fragmentTargets(pair.node)).slice(0, 6);
  const all = targets.map((target) => `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
  const expected = await exchange(pair.node, [all], targets.length);
  assert.equal(expected.responses.length, targets.length);
  // Read once a connection is made: set before each exchange.
  for (const mode of ['shared', 'stream'] as const) {
    if (mode === 'stream') process.env['SMOOTHPUB_ORIGIN_READ'] = 'stream';
    else delete process.env['SMOOTHPUB_ORIGIN_READ'];
    for (const pieces of [[all], [...all.slice(0, 150)].concat(all.slice(150, 700), all.slice(700))]) {
      // Twice: the first answers remember the fragments, the second come from the memo.
      for (let round = 0; round < 2; round++) {
        const got = await exchange(pair.sockets, pieces, targets.length);
        assert.deepEqual(got.responses, expected.responses, `${mode}, ${pieces.length} pieces, round ${round}`);
      }
    }
  }
});
