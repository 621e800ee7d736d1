import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import type { ByteSource } from '../source/source.js';
import { trackLeftover } from '../util/leftovers.js';
import { outputError } from '../util/outputError.js';
import { decodeSidecar, encodeSidecarParts, MAX_SIDECAR_BYTES, SIDECAR_SUFFIX } from './sidecarFormat.js';
import type { SourceIndex } from './types.js';

export { MAX_SIDECAR_BYTES, SIDECAR_SUFFIX } from './sidecarFormat.js';

export function sidecarPath(sourcePath: string): string {
  return sourcePath + SIDECAR_SUFFIX;
}

/**
 * Writes `index` as a compact, versioned sidecar (default `<index.file>.smoothidx`),
 * bound to the source's size and mtime. Atomic: a temp file renamed into place, so a
 * reader sees the old sidecar, the new one, or none. Returns the path written.
 */
export async function writeSidecar(index: SourceIndex, path: string = sidecarPath(index.file)): Promise<string> {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const untrack = trackLeftover(temp);
  try {
    const out = await open(temp, 'wx');
    try {
      // Piece by piece: a long plain MP4's sample tables are tens of megabytes of text.
      for (const part of encodeSidecarParts(index)) await out.write(part);
    } finally {
      await out.close();
    }
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw outputError(e, path);
  } finally {
    untrack();
  }
  return path;
}

/**
 * The index stored beside `sourcePath`, or undefined when there is none, or it is
 * stale (the source's size or mtime differs), corrupt, or of another version: the
 * caller then indexes the source. Never throws for a bad sidecar.
 */
export async function readSidecar(sourcePath: string, src: ByteSource & { mtimeMs: number }, path: string = sidecarPath(sourcePath)): Promise<SourceIndex | undefined> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_SIDECAR_BYTES) return undefined;
    text = bytes.toString('utf8');
  } catch {
    return undefined;
  }
  return decodeSidecar(text, { file: src.name, size: src.size, mtimeMs: src.mtimeMs });
}
