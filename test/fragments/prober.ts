// Runs each candidate file through indexFile and indexSource in a worker thread
// (indexProbe.ts) with a watchdog: a hang, even a synchronous loop, ends in a terminated
// worker and a 'hang' result instead of a stuck test run.
import { Worker } from 'node:worker_threads';
import { testNumber } from '../harness/ci.js';
import type { ProbeReply, ProbeRequest } from './indexProbe.js';

/** A call that takes longer than this is a hang. */
export const HANG_MS = 5000;
/** A call that takes longer than this betrays work (or allocation) proportional to a declared size (SMOOTHPUB_SLOW_MS may only lower it). */
export const SLOW_MS = testNumber('SMOOTHPUB_SLOW_MS');

export type Probe = { kind: 'reply'; reply: ProbeReply } | { kind: 'hang' } | { kind: 'crash'; error: string };

export class Prober {
  private worker: Worker;
  private nextId = 0;

  constructor(private readonly dir: string) {
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    return new Worker(new URL('./indexProbe.js', import.meta.url), { workerData: { dir: this.dir } });
  }

  async probe(bytes: Uint8Array): Promise<Probe> {
    const id = this.nextId++;
    const worker = this.worker;
    let timer: NodeJS.Timeout | undefined;
    let onMessage: ((r: ProbeReply) => void) | undefined;
    let onError: ((e: Error) => void) | undefined;
    const result = await new Promise<Probe>((resolve) => {
      onMessage = (r) => {
        if (r.id === id) resolve({ kind: 'reply', reply: r });
      };
      onError = (e) => resolve({ kind: 'crash', error: e.stack ?? String(e) });
      worker.on('message', onMessage);
      worker.on('error', onError);
      timer = setTimeout(() => resolve({ kind: 'hang' }), HANG_MS);
      const req: ProbeRequest = { id, bytes };
      worker.postMessage(req);
    });
    clearTimeout(timer);
    if (onMessage) worker.off('message', onMessage);
    if (onError) worker.off('error', onError);
    if (result.kind !== 'reply') {
      await worker.terminate();
      this.worker = this.spawn();
    }
    return result;
  }

  /** Like probe, but a slow answer is timed up to twice more: only a case slow every time counts as slow (the machine may be busy). */
  async probeTimedIfSlow(bytes: Uint8Array): Promise<Probe> {
    let best = await this.probe(bytes);
    for (let attempt = 0; attempt < 2; attempt++) {
      if (best.kind !== 'reply' || Math.max(best.reply.fileMs, best.reply.memoryMs) <= SLOW_MS) return best;
      const again = await this.probe(bytes);
      if (again.kind !== 'reply') return again;
      best = { kind: 'reply', reply: { ...again.reply, fileMs: Math.min(best.reply.fileMs, again.reply.fileMs), memoryMs: Math.min(best.reply.memoryMs, again.reply.memoryMs) } };
    }
    return best;
  }

  /** Lets the worker end by itself (see indexProbe.ts); terminated only if it does not within HANG_MS. */
  async close(): Promise<void> {
    const worker = this.worker;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('close');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), HANG_MS)));
    if ((await Promise.race([exited, late])) === 'late') await worker.terminate();
    clearTimeout(timer);
  }
}
