import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ErrorCode, SmoothpubError, isSmoothpubError } from '../errors.js';
import { bodySize, type ObjectBody, type Plan, type PlannedObject } from '../plan/plan.js';
import { copyRange } from './copyRange.js';
import { fragmentParts, piecesOf, spanOf } from '../index/fragmentParts.js';
import { readAt } from '../source/readAt.js';
import { runAll } from '../util/runAll.js';

export interface WriteProgress {
  objects: number;
  totalObjects: number;
  bytes: number;
  totalBytes: number;
}

export interface WriteOptions {
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: WriteProgress) => void;
}

/**
 * Writes every planned object under `dir` (keys are relative paths). Objects are written
 * in plan order as far as concurrency allows, and the last object (the Manifest) only
 * after all others have finished.
 */
export async function writePlanToFolder(plan: Plan, dir: string, options: WriteOptions = {}): Promise<void> {
  const sources = new Map<string, Promise<FileHandle>>();
  const source = (file: string): Promise<FileHandle> => {
    let fh = sources.get(file);
    if (!fh) sources.set(file, (fh = open(file, 'r')));
    return fh;
  };
  const progress: WriteProgress = { objects: 0, totalObjects: plan.objects.length, bytes: 0, totalBytes: plan.totalBytes };
  const madeDirs = new Set<string>();
  const writeOne = async (obj: PlannedObject, buffer: Uint8Array): Promise<void> => {
    options.signal?.throwIfAborted();
    const path = join(dir, obj.key);
    const parent = dirname(path);
    if (!madeDirs.has(parent)) {
      await mkdir(parent, { recursive: true });
      madeDirs.add(parent);
    }
    const out = await open(path, 'wx');
    try {
      if (obj.body.kind === 'bytes') await out.writeFile(obj.body.data);
      else await writeFragment(await source(obj.body.file), obj.body, out, buffer);
    } finally {
      await out.close();
    }
    progress.objects++;
    progress.bytes += bodySize(obj.body);
    options.onProgress?.({ ...progress });
  };
  try {
    const last = plan.objects[plan.objects.length - 1];
    const rest = plan.objects.slice(0, -1);
    // Every worker stops and settles before an error surfaces, so the caller can
    // remove the folder without a write still landing in it.
    const free: Uint8Array[] = [];
    await runAll(rest, Math.max(1, options.concurrency ?? 4), async (obj) => {
      // Each write in flight borrows one copy buffer and gives it back.
      const buffer = free.pop() ?? new Uint8Array(1024 * 1024);
      try {
        await writeOne(obj, buffer);
      } finally {
        free.push(buffer);
      }
    });
    if (last) await writeOne(last, new Uint8Array(1024 * 1024));
  } catch (e) {
    if (isSmoothpubError(e) || options.signal?.aborted) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new SmoothpubError(ErrorCode.WRITE_FAILED, `writing the presentation failed: ${err.code ?? ''} ${err.message}`, { file: err.path ?? dir }, { cause: e });
  } finally {
    for (const fh of sources.values()) await fh.then((h) => h.close(), () => undefined);
  }
}

/**
 * A fragment's bytes into `out`: stored ranges and built heads piece by piece (ranges
 * copied in the kernel); many scattered runs (an interleaved plain MP4, one sample per
 * chunk) read as their one span and written once, which beats a kernel copy per sample.
 */
async function writeFragment(from: FileHandle, body: Extract<ObjectBody, { kind: 'range' }>, out: FileHandle, buffer: Uint8Array): Promise<void> {
  const parts = fragmentParts(body);
  const span = spanOf(parts);
  if (span !== undefined) {
    // Into the worker's copy buffer when it fits: no allocation per fragment.
    const bytes = await readAt(from, span.offset, span.size, span.size <= buffer.length ? buffer : undefined);
    if (bytes.length < span.size) throw new SmoothpubError(ErrorCode.READ_FAILED, 'source ended early; was it changed during the run?', { file: body.file, offset: span.offset + bytes.length });
    await out.writev(piecesOf(parts, span, bytes), 0);
    return;
  }
  let at = 0;
  for (const part of parts) {
    if (part instanceof Uint8Array) await out.write(part, 0, part.length, at);
    else await copyRange(from, body.file, part.offset, part.size, out, buffer, at);
    at += part instanceof Uint8Array ? part.length : part.size;
  }
}
