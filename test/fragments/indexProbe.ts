// Worker thread for corruption.test.ts: indexes one candidate file per message, so that a
// hang (even a synchronous infinite loop) can be detected and the worker terminated.
import { parentPort, workerData } from 'node:worker_threads';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isSmoothpubError } from '../../src/errors.js';
import { indexFile } from '../../src/fragments/indexFile.js';
import { indexSource } from '../../src/fragments/indexSource.js';
import type { SourceIndex } from '../../src/fragments/types.js';
import { cutProgressive } from '../../src/fragments/progressive/cutProgressive.js';
import type { ByteSource } from '../../src/source/source.js';

export interface ProbeRequest {
  id: number;
  bytes: Uint8Array;
}

export interface FragmentSummary {
  trackId: number;
  offset: number;
  size: number;
}

export type Outcome =
  | { kind: 'ok'; method: string; tracks: number; fragments: FragmentSummary[] }
  | { kind: 'error'; smoothpub: boolean; code: string | undefined; name: string; message: string; stack: string };

export interface ProbeReply {
  id: number;
  /** The temp file given to indexFile; its name must appear in error messages. */
  path: string;
  /** The name of the in-memory source given to indexSource. */
  memoryName: string;
  file: Outcome;
  memory: Outcome;
  fileMs: number;
  memoryMs: number;
  /** Largest `length` indexSource asked the in-memory source for. */
  largestRead: number;
  /** Reads at a negative, fractional or non-finite offset or length (descriptions). */
  badReads: string[];
}

function summarize(ix: SourceIndex): Outcome {
  if (ix.method === 'progressive') return summarizeProgressive(ix);
  // Fragments joined at a non-sync start are built (a new moof over the source's sample
  // bytes): checked as plain MP4's are, and left out of the byte-range summary.
  for (const t of ix.tracks) for (const f of t.fragments) if (f.built) checkBuilt(f, ix.size);
  const fragments = ix.tracks.flatMap((t) => t.fragments.filter((f) => !f.built).map((f) => ({ trackId: t.trackId, offset: f.offset, size: f.size })));
  return { kind: 'ok', method: ix.method, tracks: ix.tracks.length, fragments };
}

/** A built fragment's runs lie in the file and, with its head, make its announced size; else a plain Error. */
function checkBuilt(f: SourceIndex['tracks'][number]['fragments'][number], fileSize: number): void {
  const head = f.built!.head();
  let size = head.length;
  for (const r of f.built!.runs()) {
    if (r.offset < 0 || r.offset + r.size > fileSize) throw new Error(`sample run ${r.offset}+${r.size} lies outside the ${fileSize}-byte file`);
    size += r.size;
  }
  if (size !== f.size) throw new Error(`built fragment of ${size} bytes, announced ${f.size}`);
}

/**
 * A plain MP4 has no fragments in the file: cut it as a presentation would and build
 * every fragment head, so corrupt sample tables reach the cutter and the box writers too.
 * Built fragments are summarized as empty (they are not byte ranges of the file); a run
 * outside the file is a bug, thrown as a plain Error so the test reports it.
 */
function summarizeProgressive(ix: SourceIndex): Outcome {
  for (const t of cutProgressive(ix.tracks)) {
    for (const f of t.fragments) checkBuilt(f, ix.size);
  }
  return { kind: 'ok', method: ix.method, tracks: ix.tracks.length, fragments: [] };
}

function describe(e: unknown): Outcome {
  const err = e instanceof Error ? e : new Error(String(e));
  return {
    kind: 'error',
    smoothpub: isSmoothpubError(e),
    code: isSmoothpubError(e) ? e.code : undefined,
    name: err.name,
    message: err.message,
    stack: err.stack ?? '',
  };
}

/** A ByteSource over memory that records what it is asked for, as a remote source would see it. */
function memorySource(name: string, bytes: Uint8Array, reply: ProbeReply): ByteSource {
  return {
    name,
    size: bytes.length,
    read(offset: number, length: number): Promise<Uint8Array> {
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
        reply.badReads.push(`read(${offset}, ${length})`);
      }
      reply.largestRead = Math.max(reply.largestRead, length);
      const start = Math.max(0, Math.min(offset, bytes.length));
      const len = Math.max(0, Math.min(length, bytes.length - start));
      return Promise.resolve(bytes.slice(start, start + len));
    },
    close: () => Promise.resolve(),
  };
}

async function probe(dir: string, req: ProbeRequest): Promise<ProbeReply> {
  const path = join(dir, `case-${req.id}.ismv`);
  const reply: ProbeReply = {
    id: req.id,
    path,
    memoryName: `memory:case-${req.id}`,
    file: { kind: 'ok', method: '', tracks: 0, fragments: [] },
    memory: { kind: 'ok', method: '', tracks: 0, fragments: [] },
    fileMs: 0,
    memoryMs: 0,
    largestRead: 0,
    badReads: [],
  };
  await writeFile(path, req.bytes);
  try {
    let t0 = performance.now();
    try {
      reply.file = summarize(await indexFile(path));
    } catch (e) {
      reply.file = describe(e);
    }
    reply.fileMs = performance.now() - t0;
    t0 = performance.now();
    try {
      reply.memory = summarize(await indexSource(memorySource(reply.memoryName, req.bytes, reply)));
    } catch (e) {
      reply.memory = describe(e);
    }
    reply.memoryMs = performance.now() - t0;
  } finally {
    await rm(path, { force: true });
  }
  return reply;
}

const port = parentPort;
if (port) {
  const { dir } = workerData as { dir: string };
  port.on('message', (req: ProbeRequest | 'close') => {
    // Ending by itself, not by terminate(): node 20 can abort the whole process
    // ("NodePlatform::ForIsolate ... Assertion failed") when a worker is terminated while
    // V8 still compiles its code on a background thread.
    if (req === 'close') port.close();
    else void probe(dir, req).then((r) => port.postMessage(r));
  });
}
