import { STATUS_CODES, type Server } from 'node:http';
import { Socket } from 'node:net';
import { parseRequestHead, type PlainRequestHead } from '../http/parseRequestHead.js';
import { releaseReply, type OriginReply, type RequestLike, type SourceBody } from './reply.js';
import { drained, sendHeadAndBody, unsentParts, writeSourceBody } from './writeReply.js';
import { sendHeadAndFileRange } from './sendFileRange.js';
import type { FragmentNow, Origin } from './createOrigin.js';

export interface SocketAdapterOptions {
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  idleTimeoutMs: number;
}

/** Longest head answered here; a longer one goes to node:http (which answers 431 past its own limit). */
const MAX_HEAD = 8192;
/** Bytes of pipelined requests held while an answer is being sent, before reading pauses. */
const MAX_PENDING = 65536;

/**
 * Puts a plain HTTP/1.1 path in front of a node:http server for createOrigin's replies: each
 * connection is read by parseRequestHead, and a plain GET or HEAD (no body, nothing to
 * negotiate; nearly every request a player or a CDN sends) is answered here, the head
 * built once and sent with the file run in one call (sendHeadAndBody), without node:http's
 * parser callbacks, IncomingMessage, ServerResponse and their stream machinery (most of
 * the origin's user CPU per request). Anything else on a connection (another method, a
 * body, Expect, Upgrade, a malformed or over-long head, a missing Host...) hands the
 * connection to node:http for the rest of its life, the bytes read so far put back, so
 * that node answers it exactly as it always did. Requests on one connection are answered
 * in order (pipelining); the connection's own timers: the head within headersTimeout,
 * an idle kept-alive connection closed after keepAliveTimeout, a socket without traffic
 * for idleTimeout cut. The server's closeIdleConnections and closeAllConnections (what
 * closeGracefully uses) cover these connections too; after `server.close()` each closes
 * once its answer in flight is sent.
 */
export function serveOnSockets(server: Server, origin: Pick<Origin, 'reply' | 'fragmentNow'>, opts: SocketAdapterOptions): void {
  const handOff = server.listeners('connection')[0] as ((socket: Socket) => void) | undefined;
  if (handOff === undefined) throw new TypeError('serveOnSockets: the server has no connection listener to hand requests to');
  server.removeListener('connection', handOff);
  const connections = new Set<Connection>();
  const shared: Shared = {
    server,
    reply: origin.reply,
    ...(origin.fragmentNow && { fragmentNow: origin.fragmentNow }),
    opts,
    connections,
    handOff: (socket) => handOff.call(server, socket),
    keepAliveLines: Buffer.from(`Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(opts.keepAliveTimeoutMs / 1000)}\r\n\r\n`, 'latin1'),
  };
  server.on('connection', (socket: Socket) => {
    connections.add(new Connection(socket, shared));
  });
  const closeIdle = server.closeIdleConnections.bind(server);
  const closeAll = server.closeAllConnections.bind(server);
  server.closeIdleConnections = () => {
    closeIdle();
    for (const c of connections) if (c.idle()) c.socket.destroy();
  };
  server.closeAllConnections = () => {
    closeAll();
    for (const c of connections) c.socket.destroy();
  };
  const interval = Math.max(50, Math.min(1000, opts.headersTimeoutMs / 2, opts.keepAliveTimeoutMs / 2));
  let sweep: NodeJS.Timeout | undefined;
  server.on('listening', () => {
    clearInterval(sweep);
    sweep = setInterval(() => {
      const now = Date.now();
      for (const c of connections) c.checkTimers(now);
    }, interval).unref();
  });
  server.on('close', () => clearInterval(sweep));
}

interface Shared {
  server: Server;
  reply: (request: RequestLike, target?: string) => Promise<OriginReply>;
  fragmentNow?: (target: string) => FragmentNow | undefined;
  /** The head's last lines on a kept-alive connection. */
  keepAliveLines: Buffer;
  opts: SocketAdapterOptions;
  connections: Set<Connection>;
  handOff: (socket: Socket) => void;
}

/** A request as createOrigin reads it: the target as sent, headers by lower-case name. */
class PlainRequest implements RequestLike {
  readonly method: string;
  readonly url: string;
  readonly headers: { get(name: string): string | null };

  constructor(head: PlainRequestHead) {
    this.method = head.method;
    // Only the path and query are used; the host is not trusted.
    this.url = `http://origin.invalid${head.target}`;
    const h = head.headers;
    this.headers = { get: (name) => h.get(name) ?? null };
  }
}

class Connection {
  /** Bytes received and not yet parsed. */
  #pending: Buffer | null = null;
  /** An answer is being made or sent. */
  #busy = false;
  /** When the bytes of the request being received began to come (or the connection, before any). */
  #headSince: number;
  /** When the last answer was sent (0: none yet). */
  #idleSince = 0;
  /** The client has sent all it will (FIN): answer what came whole, then close. */
  #ended = false;
  readonly #shared: Shared;
  readonly #onData = (d: Buffer): void => this.#received(d);
  /**
   * The connection's reads land in SHARED_READ (readIntoShared): a request that came whole
   * while nothing else is pending is parsed and answered from there; any bytes left over
   * are copied out before this returns, since the next read of any connection overwrites them.
   */
  readonly #onRead = (nread: number, shared: Buffer): boolean => {
    if (this.#pending !== null || this.#busy) {
      this.#received(Buffer.from(shared.subarray(0, nread)));
      return true;
    }
    this.#headSince = Date.now();
    this.#next(shared.subarray(0, nread));
    return true;
  };

  constructor(
    readonly socket: Socket,
    shared: Shared,
  ) {
    this.#shared = shared;
    this.#headSince = Date.now();
    if (!readIntoShared(socket, this.#onRead)) socket.on('data', this.#onData);
    socket.on('error', noop);
    socket.once('close', () => shared.connections.delete(this));
    // node:http's server lets a socket stay half open; it is closed here once the answers are out.
    socket.once('end', () => {
      this.#ended = true;
      if (!this.#busy) this.#next();
    });
    socket.setTimeout(shared.opts.idleTimeoutMs, () => socket.destroy());
  }

  /** No answer in flight and no request partly received. */
  idle(): boolean {
    return !this.#busy && this.#pending === null;
  }

  checkTimers(now: number): void {
    if (this.#busy || this.socket.destroyed) return;
    const { headersTimeoutMs, keepAliveTimeoutMs } = this.#shared.opts;
    if (this.#pending !== null || this.#idleSince === 0) {
      if (now - this.#headSince < headersTimeoutMs) return;
      this.#busy = true;
      // As node:http: a request that came only in part is told so before the connection goes.
      if (this.#pending === null) this.socket.destroy();
      else this.socket.write('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n', 'latin1', () => this.socket.destroy());
      this.#pending = null;
    } else if (now - this.#idleSince >= keepAliveTimeoutMs) this.socket.destroy();
  }

  #received(d: Buffer): void {
    if (this.#pending === null) {
      this.#pending = d;
      this.#headSince = Date.now();
    } else this.#pending = Buffer.concat([this.#pending, d]);
    if (this.#busy) {
      if (this.#pending.length > MAX_PENDING) this.socket.pause();
      return;
    }
    this.#next();
  }

  /**
   * Answers the requests received, or hands the connection over. A repeat of a fragment
   * answered before (fragmentNow) that goes out whole at once is answered on this turn,
   * and the next request after it too.
   */
  #next(transient?: Buffer): void {
    // `transient`: bytes in SHARED_READ, valid only until this returns (copied out when kept).
    const buf = transient ?? this.#pending;
    let at = 0;
    for (;;) {
      if (this.socket.destroyed) return;
      const head = buf === null || at === buf.length ? 'incomplete' : parseRequestHead(buf, at, buf.length, MAX_HEAD);
      if (buf === null || head === 'incomplete') {
        this.#pending = buf === null || at === buf.length ? null : kept(buf, at, transient);
        if (this.#ended) this.socket.end();
        return;
      }
      if (head === 'other') return this.#handOff(kept(buf, at, transient));
      at = head.end;
      if (at < buf.length) this.#headSince = Date.now();
      const now = head.method === 'GET' && this.#shared.fragmentNow !== undefined && dependsOnTargetAlone(head.headers) ? this.#shared.fragmentNow(head.target) : undefined;
      // Decided as the request is taken up: one received before the server closed is answered
      // kept alive, so that those pipelined behind it are answered too, whatever its reply awaits.
      const close = head.close || !this.#shared.server.listening;
      const answered = now === undefined ? this.#answer(head, close) : this.#answerNow(now, close);
      if (answered === true) {
        this.#idleSince = Date.now();
        continue;
      }
      if (answered === false) {
        this.#pending = null;
        return;
      }
      this.#pending = at < buf.length ? kept(buf, at, transient) : null;
      this.#busy = true;
      answered.then(
        (keep) => {
          this.#busy = false;
          if (!keep || this.socket.destroyed) {
            this.#pending = null;
            return;
          }
          this.#idleSince = Date.now();
          if (this.socket.isPaused()) this.socket.resume();
          this.#next();
        },
        () => this.socket.destroy(),
      );
      return;
    }
  }

  /**
   * A remembered fragment (fragmentNow): its head built from the remembered headers, sent
   * with the file run in one call when the run is in the page cache; true (or false when
   * the connection closes) when that sent it all, else the rest goes out as #answer sends it.
   */
  #answerNow(now: FragmentNow, close: boolean): boolean | Promise<boolean> {
    const { socket } = this;
    const run = { offset: now.offset, size: now.size };
    let head: Buffer;
    let sent: number | undefined;
    try {
      head = fragmentHead(now.headers, close ? CLOSE_LINES : this.#shared.keepAliveLines);
      sent = socket.writableLength === 0 && now.src.fd !== undefined ? sendHeadAndFileRange(socket, head, now.prefix, now.src.fd, run.offset, run.size, now.src.name) : undefined;
    } catch {
      // A header that cannot be sent, the connection failed (EPIPE...) or the file ended early: cut it.
      void now.src.close();
      socket.destroy();
      return false;
    }
    if (sent === head.length + (now.prefix?.length ?? 0) + run.size) {
      void now.src.close();
      if (close) socket.end();
      return !close && !socket.destroyed;
    }
    // The head is in the shared scratch buffer: its text is taken before anything waits.
    const text = head.toString('latin1');
    const body: SourceBody = { src: now.src, parts: now.prefix === null ? [run] : [now.prefix, run], chunk: now.chunk };
    return this.#sendRest(text, body, sent === undefined ? undefined : { ...body, parts: unsentParts(text, now.prefix, run, sent) }, close);
  }

  async #sendRest(text: string, body: SourceBody, rest: SourceBody | undefined, close: boolean): Promise<boolean> {
    const { socket } = this;
    if (rest === undefined) socket.write(text, 'latin1');
    if (!(await writeSourceBody(rest ?? body, socket, socket))) {
      socket.destroy();
      return false;
    }
    if (close) {
      socket.end();
      return false;
    }
    return !socket.destroyed;
  }

  /** node:http takes the connection from here, the bytes not yet parsed put back first. */
  #handOff(buf: Buffer): void {
    const { socket } = this;
    this.#shared.connections.delete(this);
    this.#pending = null;
    socket.off('data', this.#onData);
    socket.off('error', noop);
    socket.setTimeout(0);
    // Reads into SHARED_READ go on as node's own would: each copied into the socket's stream.
    readIntoStream(socket);
    socket.unshift(buf);
    this.#shared.handOff(socket);
  }

  /** Sends the answer to one request; true when the connection stays open for the next. */
  async #answer(head: PlainRequestHead, close: boolean): Promise<boolean> {
    const { socket } = this;
    const reply = await this.#shared.reply(new PlainRequest(head), head.target);
    let text: string;
    try {
      text = responseHead(reply, close, this.#shared.opts.keepAliveTimeoutMs);
    } catch (e) {
      await releaseReply(reply);
      throw e;
    }
    let body = reply.body;
    if (socket.destroyed || (body !== undefined && head.method === 'HEAD')) {
      await releaseReply(reply);
      if (socket.destroyed) return false;
      body = undefined;
    }
    if (body === undefined || body instanceof Uint8Array) {
      socket.cork();
      let flowing = socket.write(text, 'latin1');
      if (body !== undefined) flowing = socket.write(body);
      socket.uncork();
      // 'drain' comes only after a write that returned false.
      if (!flowing) await drained(socket);
    } else {
      let rest: ReturnType<typeof sendHeadAndBody>;
      try {
        rest = socket.writableLength === 0 ? sendHeadAndBody(body, socket, text) : undefined;
      } catch {
        // The connection failed (EPIPE...) or the file ended early: cut it.
        await body.src.close();
        socket.destroy();
        return false;
      }
      if (rest !== 'sent') return this.#sendRest(text, body, rest, close);
      await body.src.close();
    }
    if (close) {
      socket.end();
      return false;
    }
    return !socket.destroyed;
  }
}

function noop(): void {}

/** Bytes of `buf` from `at` on, to be kept past this turn: a copy when `buf` is SHARED_READ's. */
function kept(buf: Buffer, at: number, transient: Buffer | undefined): Buffer {
  return buf === transient ? Buffer.from(buf.subarray(at)) : buf.subarray(at);
}

/**
 * One read buffer for every connection on this thread: reads are handed over one at a time,
 * and each is parsed (and its bytes copied out if kept) before the next is made.
 */
const SHARED_READ = Buffer.allocUnsafeSlow(65536);

/** The keys net.Socket keeps its `onread` option under (a socket that connects out takes it). */
interface OnreadKeys {
  buffer: symbol;
  callback: symbol;
  generator: symbol;
}

let onreadKeys: OnreadKeys | null | undefined;

/**
 * net.Socket's `onread` option (reads into one buffer, handed to a callback, instead of a
 * new Buffer pushed through the Readable stream and a nextTick per read) is documented for
 * sockets that connect out; an accepted socket takes it the same way once the three values
 * it keeps are set and its handle told (useUserBuffer). The keys are found on a socket made
 * with the option (never connected); when anything is not as expected, null: 'data' events.
 */
function findOnreadKeys(): OnreadKeys | null {
  const buffer = Buffer.alloc(1);
  const callback = (): boolean => true;
  const probe = new Socket({ onread: { buffer, callback } } as ConstructorParameters<typeof Socket>[0]);
  const keys = Object.getOwnPropertySymbols(probe);
  const byValue = (v: unknown, name: string): symbol | undefined => keys.find((k) => (probe as unknown as Record<symbol, unknown>)[k] === v && k.description === name);
  const b = byValue(buffer, 'kBuffer');
  const c = byValue(callback, 'kBufferCb');
  const g = byValue(null, 'kBufferGen');
  probe.destroy();
  return b && c && g ? { buffer: b, callback: c, generator: g } : null;
}

interface UserBufferHandle {
  useUserBuffer?: (buffer: Uint8Array) => void;
}

/** Reads of `socket` go to `onRead` in SHARED_READ (see findOnreadKeys); false when that cannot be set up (then use 'data'). */
function readIntoShared(socket: Socket, onRead: (nread: number, buffer: Buffer) => boolean): boolean {
  if (process.env['SMOOTHPUB_ORIGIN_READ'] === 'stream') return false;
  onreadKeys ??= findOnreadKeys();
  const k = onreadKeys;
  const handle = (socket as unknown as { _handle?: UserBufferHandle | null })._handle;
  const s = socket as unknown as Record<symbol, unknown>;
  if (k === null || typeof handle?.useUserBuffer !== 'function' || s[k.buffer] !== null || s[k.callback] !== null) return false;
  s[k.buffer] = SHARED_READ;
  s[k.callback] = onRead;
  s[k.generator] = null;
  handle.useUserBuffer(SHARED_READ);
  return true;
}

/** A socket set up by readIntoShared hands each read on as a stream would: a copy, pushed (for node:http). */
function readIntoStream(socket: Socket): void {
  const k = onreadKeys;
  const s = socket as unknown as Record<symbol, unknown>;
  if (k === null || k === undefined || s[k.buffer] !== SHARED_READ) return;
  s[k.callback] = (nread: number, shared: Buffer): boolean => socket.push(Buffer.from(shared.subarray(0, nread)));
}

/** No Range and no precondition: the answer depends on the target alone (Origin.fragmentNow). */
function dependsOnTargetAlone(headers: Map<string, string>): boolean {
  for (const name of headers.keys()) if (name === 'range' || name.startsWith('if-')) return false;
  return true;
}

/** A remembered reply's status line and header lines as bytes, checked and joined once per reply. */
const LINES = new WeakMap<Record<string, string>, Buffer>();

function headerLines(headers: Record<string, string>): Buffer {
  let lines = LINES.get(headers);
  if (lines === undefined) {
    let text = 'HTTP/1.1 200 OK\r\n';
    for (const name in headers) {
      const value = headers[name]!;
      if (UNSAFE.test(value)) throw new TypeError(`the response header ${name} holds a line break or NUL`);
      text += `${name}: ${value}\r\n`;
    }
    lines = Buffer.from(text, 'latin1');
    LINES.set(headers, lines);
  }
  return lines;
}

const CLOSE_LINES = Buffer.from('Connection: close\r\n\r\n', 'latin1');

/** Where fragmentHead puts a head together; grown when a head is longer. */
let scratch = Buffer.allocUnsafeSlow(4096);

/**
 * A remembered fragment's 200 head: its header lines, Date, then `last` (Connection...), as
 * bytes copied into one scratch buffer (no string to build and flatten per request). Valid
 * until the next call: send it, or copy it, before anything waits.
 */
function fragmentHead(headers: Record<string, string>, last: Buffer): Buffer {
  const lines = headerLines(headers);
  const date = httpDateLine();
  const length = lines.length + date.length + last.length;
  if (length > scratch.length) scratch = Buffer.allocUnsafeSlow(length * 2);
  scratch.set(lines, 0);
  scratch.set(date, lines.length);
  scratch.set(last, lines.length + date.length);
  return scratch.subarray(0, length);
}

const UNSAFE = /[\r\n\0]/;

let dateSecond = 0;
let dateText = '';
let dateLine = Buffer.alloc(0);

/**
 * The Date header's value, and its `Date: ...\r\n` line as bytes, made once a second (as
 * node:http does). Not formatHttpDate: its one remembered second is the sources' mtime
 * (Last-Modified) on the same requests, so the two would take turns replacing it.
 */
function refreshDate(): void {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
    dateLine = Buffer.from(`Date: ${dateText}\r\n`, 'latin1');
  }
}

function httpDateLine(): Buffer {
  refreshDate();
  return dateLine;
}

function httpDate(): string {
  refreshDate();
  return dateText;
}

/**
 * The status line and headers as node:http writes them for writeHead(status, headers):
 * the reply's headers, then Date and Connection (and Keep-Alive), a Content-Length worked
 * out where the reply has none. A header value with a line break is refused (throws), as
 * node:http refuses it.
 */
export function responseHead(reply: OriginReply, close: boolean, keepAliveTimeoutMs: number): string {
  const { status, headers, body } = reply;
  let text = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\n`;
  for (const name in headers) {
    const value = headers[name]!;
    if (UNSAFE.test(value)) throw new TypeError(`the response header ${name} holds a line break or NUL`);
    text += `${name}: ${value}\r\n`;
  }
  if (headers['content-length'] === undefined && status !== 204 && status !== 304 && status >= 200) {
    const length = body === undefined ? 0 : body instanceof Uint8Array ? body.length : body.parts.reduce((n, p) => n + (p instanceof Uint8Array ? p.length : p.size), 0);
    text += `content-length: ${length}\r\n`;
  }
  text += `Date: ${httpDate()}\r\n`;
  text += close ? 'Connection: close\r\n\r\n' : `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(keepAliveTimeoutMs / 1000)}\r\n\r\n`;
  return text;
}
