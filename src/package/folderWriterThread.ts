// A writer thread (see writerPool): writes the batches of objects it is sent into its
// folder with blocking calls, and answers each batch, or the first failure, as data.
import { parentPort, workerData } from 'node:worker_threads';
import { isSmoothpubError } from '../errors.js';
import { FolderWriter } from './folderWriter.js';
import type { WriterReply, WriterRequest, WriterSetup } from './writerPool.js';

const port = parentPort!;
// Started with its setup, or prestarted (writerPool's prestartWriter) and sent it first.
let setup = workerData as WriterSetup | undefined;
let writer = setup && new FolderWriter(setup.dir);
let failed = false;

function reply(message: WriterReply): void {
  port.postMessage(message);
}

port.on('message', (request: WriterRequest) => {
  if (request.type === 'setup') {
    setup = request.setup;
    writer = new FolderWriter(setup.dir);
    return;
  }
  if (request.type === 'end') {
    // Nothing else keeps this thread alive: it exits once the port is closed.
    try {
      writer?.close();
    } finally {
      port.close();
    }
    return;
  }
  // After a failure or a stop, queued batches are dropped unanswered: the pool is ending.
  if (failed) return;
  try {
    if (!setup || !writer) throw new Error('a writer thread was sent objects before its setup');
    const sizes: number[] = [];
    for (const obj of request.objects) {
      if (Atomics.load(setup.stop, 0) !== 0) return;
      sizes.push(writer.write(obj));
    }
    reply({ type: 'done', id: request.id, sizes });
  } catch (e) {
    failed = true;
    if (isSmoothpubError(e)) reply({ type: 'failed', smoothpub: e.toData() });
    else {
      const err = e as NodeJS.ErrnoException;
      reply({ type: 'failed', system: { message: err.message, ...(err.code !== undefined && { code: err.code }), ...(err.path !== undefined && { path: err.path }) } });
    }
  }
});
