import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { createServer as createHttpServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { nativeSendFileAvailable, nativeSendFileStats, sendFileRange, socketFd, type NativeSendStats } from '../../src/origin/sendFileRange.js';
import { ErrorCode, isSmoothpubError } from '../../src/errors.js';
import { requireAddon } from '../harness/ci.js';
import { mulberry32 } from '../harness/mulberry32.js';
import { withNative } from '../harness/native.js';
import { waitUntil } from '../harness/waitUntil.js';

const SOURCE_SIZE = 3 * 1024 * 1024 + 123;
const random = mulberry32(11);
const source = Buffer.from(Uint8Array.from({ length: SOURCE_SIZE }, () => Math.floor(random() * 256)));

/** The addon's counts; the tests that call it have made sure it is there. */
async function sendCounts(): Promise<NativeSendStats> {
  const stats = await withNative(true, () => nativeSendFileStats());
  assert.ok(stats !== undefined, 'the sendfile addon has stats(): rebuild it (npm ci)');
  return stats;
}

async function withSource<T>(fn: (file: FileHandle, path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-sendfile-'));
  const path = join(dir, 'source.ismv');
  await writeFile(path, source);
  const file = await open(path, 'r');
  try {
    return await fn(file, path);
  } finally {
    await file.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Sends a whole range, trying again every millisecond while the socket buffer is full. */
async function sendAll(socket: Socket, fd: number, offset: number, length: number, via: 'any' | 'pool' = 'any'): Promise<number> {
  let done = 0;
  let calls = 0;
  await waitUntil(
    `the client to take all ${length} bytes`,
    async () => {
      done += await sendFileRange(socket, fd, offset + done, length - done, undefined, via);
      calls++;
      return done >= length;
    },
    { intervalMs: 1 },
  );
  return calls;
}

test('the addon is built where sendFileRange looks for it, counts its sends, and SMOOTHPUB_NO_NATIVE=1 turns it off', async (t) => {
  if (!requireAddon(t, 'sendfile')) return;
  await withNative(true, () => assert.equal(nativeSendFileAvailable(), true));
  assert.equal(typeof (await sendCounts()).pool, 'number');
  await withNative(false, () => assert.equal(nativeSendFileAvailable(), false));
});

test('SMOOTHPUB_NO_NATIVE=1: unavailable, and sendFileRange refuses instead of writing', async () => {
  await withNative(false, async () => {
    assert.equal(nativeSendFileAvailable(), false);
    await assert.rejects(sendFileRange(new Socket(), 0, 0, 1), TypeError);
  });
});

test('socketFd: a number for a connected TCP socket only', async () => {
  assert.equal(socketFd(new Socket()), undefined);
  const tls = new TLSSocket(new Socket());
  assert.equal(socketFd(tls), undefined);
  tls.destroy();
  const server = createServer((s) => s.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((resolve) => client.once('connect', resolve));
  const fd = socketFd(client);
  assert.equal(typeof fd, 'number');
  assert.ok(fd !== undefined && fd > 2);
  client.destroy();
  assert.equal(socketFd(client), undefined);
  await new Promise((resolve) => server.close(resolve));
});

const ranges: [string, number, number][] = [
  ['the whole 3 MB file', 0, SOURCE_SIZE],
  ['an odd offset and length', 4097, 300_001],
  ['1 byte not page-aligned', 12_345, 1],
  ['0 bytes', 777, 0],
  ['to the end', SOURCE_SIZE - 4321, 4321],
];

for (const via of ['any', 'pool'] as const) {
  test(`node:http responses carry exactly the file range (${via === 'any' ? 'page cache: calling thread' : 'thread pool'})`, async (t) => {
  if (!requireAddon(t, 'sendfile')) return;
  const before = await sendCounts();
  await withNative(true, () => withSource(async (file) => {
    const server = createHttpServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const offset = Number(url.searchParams.get('offset'));
      const length = Number(url.searchParams.get('length'));
      res.writeHead(200, { 'Content-Length': length });
      // Headers go out through node with a callback; the body follows from the kernel.
      res.write('', () => {
        sendAll(res.socket!, file.fd, offset, length, via).then(() => res.end(), (e: unknown) => res.destroy(e as Error));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      for (const [name, offset, length] of ranges) {
        const body = await new Promise<Buffer>((resolve, reject) => {
          get({ port, host: '127.0.0.1', path: `/?offset=${offset}&length=${length}` }, (res) => {
            const parts: Buffer[] = [];
            res.on('data', (c: Buffer) => parts.push(c));
            res.on('end', () => resolve(Buffer.concat(parts)));
            res.on('error', reject);
          }).on('error', reject);
        });
        assert.equal(body.length, length, name);
        assert.ok(body.equals(source.subarray(offset, offset + length)), `${name}: bytes differ`);
      }
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }));
  // The addon's own counts: every byte went through sendfile(2), on the path the title names.
  const after = await sendCounts();
  const sent = { pool: after.pool - before.pool, cached: after.cached - before.cached, bytes: after.bytes - before.bytes };
  assert.equal(sent.bytes, ranges.reduce((n, [, , length]) => n + length, 0), 'bytes sent by the addon');
  if (via === 'pool') assert.equal(sent.cached, 0, 'no send on the calling thread');
  else if (after.cachestat) assert.ok(sent.cached > 0, `sends on the calling thread (cached ${sent.cached}, pool ${sent.pool})`);
  // Before Linux 6.5 (no cachestat(2)) the calling thread cannot know the range is cached: the pool it is.
  else t.diagnostic('this kernel has no cachestat(2): every send took the thread pool');
  if (via === 'pool' || !after.cachestat) assert.ok(sent.pool > 0, 'sends on the thread pool');
});
}

/** A loopback connection: the server side never reads, so node never notices the peer's fate. */
async function connectPair(): Promise<{ server: Socket; client: Socket; close: () => Promise<void> }> {
  const listener = createServer({ pauseOnConnect: true });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve));
  const client = connect((listener.address() as AddressInfo).port, '127.0.0.1');
  client.on('error', () => undefined);
  const server = await accepted;
  server.on('error', () => undefined);
  await new Promise((resolve) => (client.connecting ? client.once('connect', resolve) : resolve(undefined)));
  return {
    server,
    client,
    close: async () => {
      client.destroy();
      server.destroy();
      await new Promise((resolve) => listener.close(resolve));
    },
  };
}

// A send that waited for this client would never return: the test's timeout is the check, not a clock.
test('a client that does not read: a partial count comes back at once, then 0', { timeout: 30_000 }, async (t) => {
  if (!requireAddon(t, 'sendfile')) return;
  await withNative(true, () => withSource(async (file) => {
    const { server, client, close } = await connectPair();
    client.pause();
    try {
      // 3 MB is more than loopback buffers hold for a peer that never reads; send it a few times to be sure.
      let total = 0;
      let last = SOURCE_SIZE;
      for (let i = 0; i < 8 && last === SOURCE_SIZE; i++) {
        last = await sendFileRange(server, file.fd, 0, SOURCE_SIZE);
        total += last;
      }
      assert.ok(last < SOURCE_SIZE, `still room after ${total} bytes`);
      // Nothing is room now: the next call returns 0 instead of waiting.
      const again = await sendFileRange(server, file.fd, 0, SOURCE_SIZE);
      assert.ok(again < 65_536, `sent ${again} more to a full socket`);
    } finally {
      await close();
    }
  }));
});

test('a client that reset the connection: rejected with EPIPE or ECONNRESET', async (t) => {
  if (!requireAddon(t, 'sendfile')) return;
  await withNative(true, () => withSource(async (file) => {
    const { server, client, close } = await connectPair();
    try {
      client.resetAndDestroy();
      await new Promise((resolve) => client.once('close', resolve));
      // Should the reset not have reached the server side yet, sends fill its buffer and
      // sendAll tries again until the error comes (or its deadline passes).
      const failure = await sendAll(server, file.fd, 0, SOURCE_SIZE).then(
        () => assert.fail('sent to a reset connection'),
        (e: unknown) => e as NodeJS.ErrnoException,
      );
      assert.ok(failure.code === 'EPIPE' || failure.code === 'ECONNRESET', `code ${failure.code}`);
      assert.equal(failure.syscall, 'sendfile');
    } finally {
      await close();
    }
  }));
});

test('a range past the end of the file: SmoothpubError naming the file and offset', async (t) => {
  if (!requireAddon(t, 'sendfile')) return;
  await withNative(true, () => withSource(async (file, path) => {
    const { server, close } = await connectPair();
    try {
      const e = await sendFileRange(server, file.fd, SOURCE_SIZE - 10, 100, path).then(
        () => assert.fail('no error for a short file'),
        (err: unknown) => err,
      );
      assert.ok(isSmoothpubError(e));
      assert.equal(e.code, ErrorCode.READ_FAILED);
      assert.equal(e.context.file, path);
      assert.equal(e.context.offset, SOURCE_SIZE);
    } finally {
      await close();
    }
  }));
});

test('bytes still queued in node: refused rather than reordered', async (t) => {
  if (!requireAddon(t, 'sendfile')) return;
  await withNative(true, () => withSource(async (file) => {
    const { server, client, close } = await connectPair();
    client.pause();
    try {
      server.cork();
      server.write('queued');
      await assert.rejects(sendFileRange(server, file.fd, 0, 10), /still queued/);
    } finally {
      await close();
    }
  }));
});
