import type { ServerResponse } from 'node:http';
import { releaseReply, type OriginReply, type SourceBody } from './reply.js';
import { nativeSendFileAvailable, sendFileRange, socketFd } from './sendFileRange.js';

/**
 * Writes a reply to a node:http response. A source body goes out with backpressure, one
 * bounded chunk at a time; runs of a local file go from page cache to the socket with
 * sendfile(2) when the addon is built and the socket is plain TCP, until the socket's
 * buffer fills (then the rest is copied through memory as usual). A client that goes
 * away stops the body; the source is released however the body ends.
 */
export async function writeReply(reply: OriginReply, res: ServerResponse): Promise<void> {
  try {
    res.writeHead(reply.status, reply.headers);
  } catch (e) {
    await releaseReply(reply);
    throw e;
  }
  const body = reply.body;
  if (body === undefined) res.end();
  else if (body instanceof Uint8Array) res.end(body);
  else await writeSourceBody(body, res);
}

async function writeSourceBody({ src, parts, chunk }: SourceBody, res: ServerResponse): Promise<void> {
  let gone = false;
  const onClose = (): void => {
    gone = true;
  };
  res.once('close', onClose);
  let complete = false;
  try {
    let zeroCopy = src.fd !== undefined && res.socket != null && socketFd(res.socket) !== undefined && nativeSendFileAvailable();
    for (const part of parts) {
      if (gone) break;
      if (part instanceof Uint8Array) {
        if (!res.write(part)) await drained(res);
        gone ||= res.destroyed;
        continue;
      }
      let done = 0;
      if (zeroCopy) {
        // Headers and earlier parts must be in the kernel before the file's bytes follow them.
        await flushed(res);
        const socket = res.socket;
        if (gone || socket == null || socket.writableLength !== 0) zeroCopy = false;
        else {
          done = await sendFileRange(socket, src.fd!, part.offset, part.size, src.name);
          // The socket's buffer is full; node gives no 'drain' for bytes it did not write.
          if (done < part.size) zeroCopy = false;
        }
      }
      while (done < part.size && !gone) {
        const at = part.offset + done;
        const bytes = await src.read(at, Math.min(chunk, part.size - done));
        if (bytes.length === 0) throw new Error(`${src.name} ended at byte ${at}`);
        done += bytes.length;
        if (!res.write(bytes)) await drained(res);
        gone ||= res.destroyed;
      }
    }
    complete = !gone;
  } catch {
    // The source failed mid-body: the status line is gone, so cut the connection
    // (a client must not take a short body for a whole one).
  } finally {
    res.off('close', onClose);
    await src.close();
  }
  if (complete) res.end();
  else res.destroy();
}

/** Resolves once everything written so far has been handed to the kernel. */
function flushed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    // Already gone: 'close' has fired and will not again.
    if (res.destroyed) return resolve();
    const done = (): void => {
      res.off('close', done);
      resolve();
    };
    res.once('close', done);
    res.write('', done);
  });
}

export function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    // Already gone: 'close' has fired and will not again.
    if (res.destroyed) return resolve();
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
