import { readSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { loadAddon } from '../util/loadAddon.js';

const CHUNK = 1024 * 1024;

interface NativeCopy {
  /** copy_file_range(2) in a loop; returns bytes copied (fewer only at the source's end). */
  copyFileRange(fdIn: number, offIn: number, fdOut: number, offOut: number, length: number): number;
  /** Absent from addons built before it existed. */
  stats?(): NativeCopyStats;
}

/** What the addon counted for this process, every thread included (worker threads share the loaded library). */
export interface NativeCopyStats {
  /** copyFileRange calls, those the kernel refused included. */
  calls: number;
  /** Bytes copied by the calls that succeeded. */
  bytes: number;
}

/** Errnos meaning "this kernel or filesystem pair can't do it": copy through user space instead. */
const UNSUPPORTED = new Set(['ENOSYS', 'EXDEV', 'EINVAL', 'EOPNOTSUPP']);

/** Set when the kernel has no copy_file_range(2): the portable path from then on. */
let kernelLacksIt = false;

function loadNative(): NativeCopy | null {
  return kernelLacksIt ? null : loadAddon<NativeCopy>('copy_file_range');
}

/** True when fragment copies go through copy_file_range(2) rather than a user-space buffer. */
export function nativeCopyAvailable(): boolean {
  return loadNative() !== null;
}

/** The addon's counts, for tests and diagnostics: proof that copies went through the kernel. Undefined without the addon. */
export function nativeCopyStats(): NativeCopyStats | undefined {
  return loadAddon<NativeCopy>('copy_file_range')?.stats?.();
}

/**
 * Copies `size` bytes at `offset` of `from` to `to` at `toOffset` (default its start). Uses the kernel's
 * copy_file_range(2), as `cp` does, when the addon is available; otherwise (or when the
 * kernel refuses this pair of files) reads and writes through one reused buffer, so
 * memory stays bounded whatever the fragment size.
 *
 * The kernel copy is a synchronous call on the caller's thread: for a fragment (tens of
 * KB to a few MB in page cache) it is shorter than a hop to libuv's thread pool, and
 * callers still yield to the event loop, and so to an AbortSignal, between objects.
 */
export async function copyRange(from: FileHandle, fromName: string, offset: number, size: number, to: FileHandle, buffer?: Uint8Array, toOffset = 0): Promise<void> {
  if (copyInKernel(from.fd, offset, size, to.fd, toOffset)) return;
  let done = 0;
  buffer ??= new Uint8Array(Math.min(CHUNK, size));
  while (done < size) {
    const want = Math.min(buffer.length, size - done);
    const { bytesRead } = await from.read(buffer, 0, want, offset + done);
    if (bytesRead === 0) throw sourceEnded(fromName, offset + done, size - done);
    let written = 0;
    while (written < bytesRead) {
      // Explicit positions: the same bytes land at the same place whichever path ran first.
      const { bytesWritten } = await to.write(buffer, written, bytesRead - written, toOffset + done + written);
      written += bytesWritten;
    }
    done += bytesRead;
  }
}

/** The same with blocking calls on plain descriptors, for a thread that only writes files (folderWriter). */
export function copyRangeSync(from: number, fromName: string, offset: number, size: number, to: number, buffer: Uint8Array, toOffset = 0): void {
  if (copyInKernel(from, offset, size, to, toOffset)) return;
  let done = 0;
  while (done < size) {
    const bytesRead = readSync(from, buffer, 0, Math.min(buffer.length, size - done), offset + done);
    if (bytesRead === 0) throw sourceEnded(fromName, offset + done, size - done);
    let written = 0;
    while (written < bytesRead) written += writeSync(to, buffer, written, bytesRead - written, toOffset + done + written);
    done += bytesRead;
  }
}

/**
 * The kernel copy when the addon is there and the filesystems allow it. False means
 * "copy through user space", which also tells a short copy (the source ended, or a
 * filesystem quirk: some report 0 for bytes they have) apart by rewriting from the start.
 */
function copyInKernel(from: number, offset: number, size: number, to: number, toOffset: number): boolean {
  const addon = loadNative();
  if (!addon || size === 0) return false;
  try {
    return addon.copyFileRange(from, offset, to, toOffset, size) === size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSYS') kernelLacksIt = true;
    if (code === undefined || !UNSUPPORTED.has(code)) throw e;
    return false;
  }
}

function sourceEnded(fromName: string, at: number, missing: number): SmoothpubError {
  return new SmoothpubError(ErrorCode.READ_FAILED, `source ended at byte ${at}, expected ${missing} more bytes; was it changed during the run?`, { file: fromName, offset: at });
}
