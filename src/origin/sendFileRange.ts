import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { loadAddon } from '../util/loadAddon.js';

interface NativeSend {
  /**
   * sendfile(2) on libuv's thread pool: resolves with the bytes sent, fewer than `length`
   * when the socket's send buffer filled (EAGAIN). Rejects with `code` = errno name, or
   * 'EOF' (with `bytesSent`) when the file ended first.
   */
  sendFile(socketFd: number, fileFd: number, offset: number, length: number): Promise<number>;
  /**
   * The same on the calling thread, only when every page of the range is in the page
   * cache (cachestat(2), Linux 6.5+): bytes sent, or -1 (then use sendFile). Throws as
   * sendFile rejects. Absent from addons built before it existed.
   */
  sendFileCached?(socketFd: number, fileFd: number, offset: number, length: number): number;
  /**
   * `head` (latin1) and `prefix` in one sendmsg(2) with MSG_MORE, then the range as
   * sendFileCached does, only when every page of it is cached: bytes sent in all, or -1
   * with nothing sent. The range is sent only when head and prefix went whole. Absent from
   * addons built before it existed.
   */
  sendHeadAndFileCached?(socketFd: number, head: string | Uint8Array, prefix: Uint8Array | null, fileFd: number, offset: number, length: number): number;
  /** Absent from addons built before it existed. */
  stats?(): NativeSendStats;
}

/** What the addon counted for this process, every thread included. */
export interface NativeSendStats {
  /** Sends run on libuv's thread pool (sendFile). */
  pool: number;
  /** Sends run on the calling thread because the range was in the page cache (sendFileCached). */
  cached: number;
  /** Of the cached sends, those that carried a response head (sendHeadAndFileRange); absent from older addons. */
  withHead?: number;
  /** File bytes both sent. */
  bytes: number;
  /** False once the kernel answered that it has no cachestat(2) (before Linux 6.5): then every send takes the pool. */
  cachestat: boolean;
}

/** The libuv handle behind a net.Socket; `fd` is a property of node's TCP wrap on Unix. */
interface SocketHandle {
  constructor: { name: string };
  fd?: number;
}

function loadNative(): NativeSend | null {
  return loadAddon<NativeSend>('sendfile');
}

/** True when sendFileRange can move file bytes to sockets inside the kernel. */
export function nativeSendFileAvailable(): boolean {
  return loadNative() !== null;
}

/** The addon's counts, for tests and diagnostics: which path sends took. Undefined without the addon. */
export function nativeSendFileStats(): NativeSendStats | undefined {
  return loadNative()?.stats?.();
}

/**
 * The kernel descriptor of a plain TCP socket, or undefined when bytes written to it would
 * not reach the peer as they are (TLS encrypts in user space), when it is not TCP (pipes,
 * duplex streams standing in for sockets), or when it is not connected or already closed.
 */
export function socketFd(socket: Socket): number | undefined {
  if (socket instanceof TLSSocket) return undefined;
  // `_handle` is node's internal wrap, undocumented but stable since node 0.x; checking its
  // class keeps anything unexpected (a TLS wrap, a Pipe) on the ordinary path.
  const handle = (socket as unknown as { _handle?: SocketHandle | null })._handle;
  if (!handle || handle.constructor.name !== 'TCP') return undefined;
  const fd = handle.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * Sends `length` bytes at `offset` of the open file `fd` to `socket` with sendfile(2), so
 * the bytes go from page cache to the socket without a copy through JavaScript: on the
 * calling thread when the whole range is in the page cache, else on libuv's thread pool
 * (a disk read never blocks the event loop). Resolves with the bytes sent.
 *
 * Preconditions (the caller's to keep; nothing here can check them all):
 * - everything written to the socket before has been handed to the kernel: its write
 *   callbacks have run and `socket.writableLength === 0` (for node:http, the response
 *   headers too: write them with a callback and call this from it);
 * - nothing else writes to the socket until the promise settles;
 * - the socket is a plain TCP socket (`socketFd(socket) !== undefined`) and the addon is
 *   available (`nativeSendFileAvailable()`); otherwise, or when `writableLength` is not 0,
 *   this rejects with a TypeError.
 *
 * It never waits for the client: a result smaller than `length` means the socket's send
 * buffer is full. The caller then continues another way (ordinary writes with
 * backpressure) or waits for the socket to become writable and calls again with the rest.
 * Network failures reject with an Error whose `code` is the errno name (EPIPE, ECONNRESET...):
 * the response is broken, destroy the socket. A file shorter than the range rejects with
 * a SmoothpubError (input.read-failed). `via: 'pool'` always takes the thread pool (tests). Destroying the socket or closing the file while a
 * send runs is safe: the addon works on duplicates of both descriptors.
 */
export async function sendFileRange(socket: Socket, fd: number, offset: number, length: number, fileName?: string, via: 'any' | 'pool' = 'any'): Promise<number> {
  const addon = loadNative();
  if (!addon) throw new TypeError('sendFileRange: the native addon is unavailable; check nativeSendFileAvailable() first');
  const out = socketFd(socket);
  if (out === undefined) throw new TypeError('sendFileRange: not a connected plain TCP socket; check socketFd() first');
  // The one precondition visible from here: bytes still queued in node would land after ours.
  if (socket.writableLength !== 0) throw new TypeError(`sendFileRange: ${socket.writableLength} bytes written before are still queued; wait for their write callback`);
  if (length === 0) return 0;
  try {
    // Cached (the usual case for a busy origin): no hop to the thread pool.
    const sent = via === 'pool' ? -1 : (addon.sendFileCached?.(out, fd, offset, length) ?? -1);
    return sent >= 0 ? sent : await addon.sendFile(out, fd, offset, length);
  } catch (e) {
    throw fileEnded(e, offset, length, 0, fileName);
  }
}

/**
 * The addon's error as it is thrown on: an 'EOF' (the file shorter than the range, with
 * `bytesSent` counting `before` bytes sent ahead of the file's) becomes input.read-failed
 * at the byte where the file ended; anything else is the connection's own error.
 */
function fileEnded(e: unknown, offset: number, length: number, before: number, fileName: string | undefined): unknown {
  const err = e as NodeJS.ErrnoException & { bytesSent?: number };
  if (err.code !== 'EOF') return e;
  const at = offset + (err.bytesSent ?? 0) - before;
  const context = fileName === undefined ? { offset: at } : { file: fileName, offset: at };
  return new SmoothpubError(ErrorCode.READ_FAILED, `file ended at byte ${at}, ${offset + length - at} bytes before the range did; was it changed while serving?`, context, { cause: e });
}

/**
 * A response head (latin1 text, as node:http builds it, or its bytes), then `prefix` bytes, then `length`
 * bytes at `offset` of the file `fd`, sent to `socket` on the calling thread, the head and
 * prefix held by the kernel (MSG_MORE) until the file's pages follow so that the response
 * leaves in full segments. Only when every page of the range is in the page cache and the
 * addon has it: undefined otherwise, with nothing sent. Else the bytes sent in all, which
 * fall short of head + prefix + length when the socket's send buffer filled (the file
 * range is sent only after head and prefix went whole). Same preconditions and failures as
 * sendFileRange: nothing queued in node, nothing else writing meanwhile.
 */
export function sendHeadAndFileRange(socket: Socket, head: string | Uint8Array, prefix: Uint8Array | null, fd: number, offset: number, length: number, fileName?: string): number | undefined {
  const send = loadNative()?.sendHeadAndFileCached;
  const out = socketFd(socket);
  if (send === undefined || out === undefined || socket.writableLength !== 0) return undefined;
  try {
    const sent = send(out, head, prefix, fd, offset, length);
    return sent < 0 ? undefined : sent;
  } catch (e) {
    throw fileEnded(e, offset, length, head.length + (prefix?.length ?? 0), fileName);
  }
}

/** True when the addon can send a response head and a cached file range in one call (sendHeadAndFileRange). */
export function nativeSendHeadAvailable(): boolean {
  return loadNative()?.sendHeadAndFileCached !== undefined;
}
