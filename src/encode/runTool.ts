import { spawn } from 'node:child_process';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { createLineTail } from './lineTail.js';

export interface RunToolOptions {
  /** 'ffmpeg' or 'ffprobe', for messages. */
  tool: string;
  /** The media file, named in errors. */
  input: string;
  signal?: AbortSignal;
  /** Called with each line the tool writes to stdout; then stdout is not collected. */
  onLine?: (line: string) => void;
}

/**
 * Runs an ffmpeg tool to completion and returns its stdout. Not found / not executable
 * -> `encode.ffmpeg-missing`; a non-zero exit -> `encode.failed` with the last lines of
 * its stderr; an abort kills it (SIGKILL: its output is thrown away anyway) and rejects
 * with the signal's reason once the process has exited.
 */
export function runTool(command: string, args: string[], options: RunToolOptions): Promise<string> {
  const { signal } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr = createLineTail(12);
    const stdout: string[] = [];
    let pending = '';
    let spawnError: NodeJS.ErrnoException | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (!options.onLine) {
        stdout.push(chunk);
        return;
      }
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) options.onLine(line);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    const onAbort = (): void => {
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e;
    });
    const settle = (code: number | null, killedBy: NodeJS.Signals | null): void => {
      if (signal?.aborted) reject(signal.reason);
      else if (spawnError !== undefined) reject(missingOrFailed(command, options, spawnError));
      else if (code !== 0) {
        const lines = stderr.lines();
        const why = lines.length > 0 ? `:\n  ${lines.join('\n  ')}` : ` (${killedBy ?? `exit ${code}`}, no message)`;
        reject(new SmoothpubError(ErrorCode.ENCODE_FAILED, `${options.tool} failed${why}`, { file: options.input }));
      } else resolve(stdout.join(''));
    };
    child.on('close', (code, killedBy) => {
      signal?.removeEventListener('abort', onAbort);
      if (pending !== '' && options.onLine) options.onLine(pending);
      // Ctrl-C on a terminal reaches ffmpeg too, and it may exit before our own SIGINT
      // handler has aborted `signal`: give that a moment, so the run reads as interrupted.
      if (code !== 0 && !signal?.aborted) setTimeout(() => settle(code, killedBy), 100);
      else settle(code, killedBy);
    });
  });
}

function missingOrFailed(command: string, options: RunToolOptions, e: NodeJS.ErrnoException): SmoothpubError {
  if (e.code === 'ENOENT' || e.code === 'EACCES') {
    const hint = options.tool === 'ffprobe' ? 'install ffmpeg (it includes ffprobe) or pass --ffprobe <path> / set SMOOTHPUB_FFPROBE' : 'install ffmpeg (e.g. apt install ffmpeg) or pass --ffmpeg <path> / set SMOOTHPUB_FFMPEG';
    const found = e.code === 'ENOENT' ? 'not found' : 'not executable';
    return new SmoothpubError(ErrorCode.ENCODE_FFMPEG_MISSING, `${options.tool} ${found} ('${command}'): ${hint}`, {}, { cause: e });
  }
  return new SmoothpubError(ErrorCode.ENCODE_FAILED, `${options.tool} could not start ('${command}'): ${e.code ?? ''} ${e.message}`, { file: options.input }, { cause: e });
}
