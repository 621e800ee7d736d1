import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SmoothpubError, type SmoothpubErrorData } from '../errors.js';
import type { WireObject } from './folderWriter.js';

/** What a writer thread is started with. */
export interface WriterSetup {
  dir: string;
  /** Set to non-zero to make every thread stop before its next object. */
  stop: Int32Array;
}

export type WriterRequest = { type: 'setup'; setup: WriterSetup } | { type: 'batch'; id: number; objects: WireObject[] } | { type: 'end' };

export type WriterReply =
  /** `sizes`: each object's bytes as written, in the batch's order. */
  | { type: 'done'; id: number; sizes: number[] }
  | { type: 'failed'; smoothpub?: SmoothpubErrorData; system?: { message: string; code?: string; path?: string } };

/** A system error from a writer thread, rebuilt with its errno code and path. */
export interface WriterSystemError extends Error {
  code?: string;
  path?: string;
}

/** Batches a thread may hold: one being written, one waiting, so it never idles between them. */
const IN_FLIGHT_PER_THREAD = 2;

/** What a batch held, for progress: counted when sent, so the batch itself is not kept. */
export interface BatchSize {
  objects: number;
  bytes: number;
}

/** Told when a batch is written (each object's size as written, in order), or when the pool fails first. */
export interface BatchWritten {
  written(sizes: number[]): void;
  failed(e: Error): void;
}

/** A batch a thread holds: its size for progress, and who waits for it to be written. */
interface InFlight extends BatchSize {
  waiting?: BatchWritten;
}

/** A thread's module; writer threads start from it with their setup as workerData, or sent later (prestartWriter). */
const THREAD_URL = new URL('./folderWriterThread.js', import.meta.url);
/** A writer keeps nothing alive between batches: a small young generation (V8 would grow it to tens of MB on a long run) saves about 6 MB of RSS at no measurable cost. */
const THREAD_LIMITS = { maxYoungGenerationSizeMb: 2 };

/** Threads started by prestartWriter, not yet taken by a pool. */
const spare: Worker[] = [];

/**
 * Writer threads when none are asked for: one a core, up to two. The copy is the kernel's
 * work (copy_file_range, as `cp` does), a core's worth for one thread; a second thread on a
 * second core shares it (README, Benchmarks: bench:package). More than two were not measured.
 */
export function defaultWriterThreads(): number {
  return Math.min(2, availableParallelism());
}

/**
 * Starts `count` writer threads now, for the next pool to take: a thread takes 0.05-0.2 s to start
 * (node's bootstrap and its modules), which the CLI overlaps with loading and indexing
 * instead of paying it once the output folder is made. Until taken it holds nothing and
 * does not keep the process alive; one that fails or exits meanwhile is just not taken.
 */
export function prestartWriter(count = 1): void {
  for (let i = 0; i < count; i++) prestartOne();
}

function prestartOne(): void {
  const worker = new Worker(THREAD_URL, { resourceLimits: THREAD_LIMITS });
  worker.unref();
  const drop = (): void => {
    const at = spare.indexOf(worker);
    if (at >= 0) spare.splice(at, 1);
  };
  worker.once('error', drop);
  worker.once('exit', drop);
  spare.push(worker);
}

interface Thread {
  worker: Worker;
  inFlight: Map<number, InFlight>;
  exited: Promise<void>;
}

/**
 * Threads that write objects into one folder (folderWriterThread). The main thread builds
 * each batch (fragment heads are generated there) while the threads write earlier ones,
 * so building and the file system's work overlap. `send` waits while every thread already
 * holds its share of batches, which bounds the memory held in batches. A batch sent is
 * copied to its thread and not kept here: objects still referenced while threads write
 * would survive collections and teach V8 to allocate their kind straight into the old
 * generation, which then fills with garbage (tens of MB on a long run).
 */
export class WriterPool {
  private readonly threads: Thread[];
  private readonly stop = new Int32Array(new SharedArrayBuffer(4));
  private nextId = 0;
  private failure: Error | undefined;
  /**
   * Resolved when a batch is answered or the pool fails: `send` and `drain` wait on it,
   * several at once (levels protected side by side each send their fragments).
   */
  private wake: (() => void)[] = [];

  constructor(dir: string, count: number, private readonly onBatchDone: (done: BatchSize) => void) {
    this.threads = Array.from({ length: Math.max(1, count) }, () => this.startThread({ dir, stop: this.stop }));
  }

  /**
   * Hands a batch (`bytes` its objects' total size) to the least busy thread, first waiting
   * for room; throws the pool's first failure. `waiting` hears when it is written.
   */
  async send(objects: WireObject[], bytes: number, waiting?: BatchWritten): Promise<void> {
    for (;;) {
      this.throwIfFailed();
      const thread = this.threads.reduce((a, b) => (b.inFlight.size < a.inFlight.size ? b : a));
      if (thread.inFlight.size < IN_FLIGHT_PER_THREAD) {
        const id = this.nextId++;
        thread.inFlight.set(id, { objects: objects.length, bytes, ...(waiting && { waiting }) });
        thread.worker.postMessage({ type: 'batch', id, objects } satisfies WriterRequest);
        return;
      }
      await this.nextEvent();
    }
  }

  /**
   * Hands a batch to the least busy thread at once, however many it already holds: for
   * batches of source runs only, which hold no generated bytes (a few dozen bytes an
   * object), sent by a thread too busy to wait for room (indexing the next source).
   * Throws the pool's first failure.
   */
  post(objects: WireObject[], bytes: number, waiting?: BatchWritten): void {
    this.throwIfFailed();
    const thread = this.threads.reduce((a, b) => (b.inFlight.size < a.inFlight.size ? b : a));
    const id = this.nextId++;
    thread.inFlight.set(id, { objects: objects.length, bytes, ...(waiting && { waiting }) });
    thread.worker.postMessage({ type: 'batch', id, objects } satisfies WriterRequest);
  }

  /** Waits until every batch sent so far is written; throws the pool's first failure. */
  async drain(): Promise<void> {
    while (this.threads.some((t) => t.inFlight.size > 0)) {
      this.throwIfFailed();
      await this.nextEvent();
    }
    this.throwIfFailed();
  }

  /** Stops every thread before its next object and fails waiting calls with `reason`. */
  abort(reason: Error): void {
    Atomics.store(this.stop, 0, 1);
    this.fail(reason);
  }

  /** Ends the threads and waits until they have exited: no write lands after this. */
  async close(): Promise<void> {
    if (this.failure) Atomics.store(this.stop, 0, 1);
    for (const t of this.threads) t.worker.postMessage({ type: 'end' } satisfies WriterRequest);
    await Promise.all(this.threads.map((t) => t.exited));
  }

  private startThread(setup: WriterSetup): Thread {
    const prestarted = spare.shift();
    if (prestarted) {
      // It waits for its setup, and from now on keeps the process alive as any other.
      prestarted.removeAllListeners();
      prestarted.ref();
      prestarted.postMessage({ type: 'setup', setup } satisfies WriterRequest);
    }
    const worker = prestarted ?? new Worker(THREAD_URL, { workerData: setup, resourceLimits: THREAD_LIMITS });
    const thread: Thread = { worker, inFlight: new Map(), exited: new Promise((resolve) => worker.once('exit', () => resolve())) };
    worker.on('message', (reply: WriterReply) => {
      if (reply.type === 'done') {
        const done = thread.inFlight.get(reply.id);
        thread.inFlight.delete(reply.id);
        if (done) {
          this.onBatchDone({ objects: done.objects, bytes: done.bytes });
          done.waiting?.written(reply.sizes);
        }
      } else this.fail(reviveFailure(reply));
      this.notify();
    });
    worker.on('error', (e) => this.fail(e));
    worker.once('exit', () => {
      if (thread.inFlight.size > 0) this.fail(new Error('a writer thread exited with batches unwritten'));
    });
    return thread;
  }

  private fail(e: Error): void {
    this.failure ??= e;
    // Batches still held will not be answered: whoever waits for them hears the failure.
    for (const t of this.threads) {
      for (const batch of t.inFlight.values()) batch.waiting?.failed(this.failure);
      for (const batch of t.inFlight.values()) delete batch.waiting;
    }
    this.notify();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = [];
    for (const w of wake) w();
  }

  private nextEvent(): Promise<void> {
    return new Promise((resolve) => this.wake.push(resolve));
  }
}

function reviveFailure(reply: Extract<WriterReply, { type: 'failed' }>): Error {
  if (reply.smoothpub) return SmoothpubError.fromData(reply.smoothpub);
  const e: WriterSystemError = new Error(reply.system?.message ?? 'a writer thread failed');
  if (reply.system?.code !== undefined) e.code = reply.system.code;
  if (reply.system?.path !== undefined) e.path = reply.system.path;
  return e;
}
