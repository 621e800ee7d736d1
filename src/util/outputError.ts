import { ErrorCode, SmoothpubError, isSmoothpubError, type ErrorCodeValue } from '../errors.js';

/** What a file system error code means for an output path, and what the user can do about it. */
const MEANINGS: Record<string, { code: ErrorCodeValue; reason: string; hint: string }> = {
  ENOTDIR: { code: ErrorCode.OUTPUT_NOT_A_DIRECTORY, reason: 'a part of the path is a file, not a folder', hint: 'choose an output path whose parents are all folders' },
  EEXIST: { code: ErrorCode.OUTPUT_EXISTS, reason: 'something of this name is already there', hint: 'remove it or choose another output path' },
  EISDIR: { code: ErrorCode.OUTPUT_NOT_A_DIRECTORY, reason: 'a folder is in the way of a file', hint: 'remove it or choose another output path' },
  EACCES: { code: ErrorCode.OUTPUT_NOT_WRITABLE, reason: 'permission denied', hint: 'choose a folder you may write to, or change its permissions' },
  EPERM: { code: ErrorCode.OUTPUT_NOT_WRITABLE, reason: 'operation not permitted', hint: 'choose a folder you may write to, or change its permissions' },
  EROFS: { code: ErrorCode.OUTPUT_NOT_WRITABLE, reason: 'the file system is read-only', hint: 'choose a folder on a writable file system' },
  ENOSPC: { code: ErrorCode.OUTPUT_NO_SPACE, reason: 'no space left on the device', hint: 'free some space or choose a folder on another disk' },
  EDQUOT: { code: ErrorCode.OUTPUT_NO_SPACE, reason: 'disk quota exceeded', hint: 'free some space or choose a folder on another disk' },
  EFBIG: { code: ErrorCode.OUTPUT_NO_SPACE, reason: 'file too large for this file system', hint: 'choose a folder on another file system' },
  ENAMETOOLONG: { code: ErrorCode.WRITE_FAILED, reason: 'a name in the path is too long', hint: 'choose a shorter output path' },
  EMFILE: { code: ErrorCode.WRITE_FAILED, reason: 'too many open files', hint: 'raise the limit (ulimit -n) or lower --concurrency' },
  ENFILE: { code: ErrorCode.WRITE_FAILED, reason: 'too many open files on this system', hint: 'raise the limit or lower --concurrency' },
  EIO: { code: ErrorCode.WRITE_FAILED, reason: 'input/output error from the device', hint: 'check the disk' },
};

/**
 * A file system failure writing at `path` as a SmoothpubError with a stable code, the path
 * and what to do. Anything else (a SmoothpubError, an abort, a bug) passes through unchanged.
 */
export function outputError(e: unknown, path: string): unknown {
  const errno = errnoOf(e);
  if (errno === undefined || isSmoothpubError(e)) return e;
  const meaning = MEANINGS[errno];
  if (meaning) return new SmoothpubError(meaning.code, `${meaning.reason} (${errno}); ${meaning.hint}`, { file: path }, { cause: e });
  return new SmoothpubError(ErrorCode.WRITE_FAILED, `cannot write: ${(e as Error).message}`, { file: path }, { cause: e });
}

/** The errno name (`ENOSPC`) of a system error; undefined for other errors (node's own `ERR_*` codes included). */
export function errnoOf(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** Whether `e` is one of the output problems a user causes (a file in the way, no permission, a full disk). */
export function isOutputProblem(e: unknown): boolean {
  const errno = errnoOf(e);
  const meaning = errno === undefined ? undefined : MEANINGS[errno];
  return meaning !== undefined && meaning.code !== ErrorCode.WRITE_FAILED;
}
