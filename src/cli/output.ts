import { isSmoothpubError } from '../errors.js';
import { diagnostic, printEvent } from './events.js';

/** Exit codes: 0 success, 1 failed (bad input, I/O), 2 usage error, 130 interrupted (SIGINT, Ctrl-C), 143 terminated (SIGTERM). */
export const ExitCode = { OK: 0, FAILED: 1, USAGE: 2, INTERRUPTED: 130, TERMINATED: 143 } as const;

/** One line per error, the same facts as an `error` event with --json (see events.ts). */
export function reportError(e: unknown, json: boolean): number {
  if (isSmoothpubError(e)) {
    if (json) printEvent('error', diagnostic(e.code, e.message, e.context));
    else process.stderr.write(`error ${e.code}: ${e.message}\n`);
    return e.code.startsWith('cli.') ? ExitCode.USAGE : ExitCode.FAILED;
  }
  if (e instanceof Error && e.name === 'AbortError') return reportInterrupted(/^interrupted by SIG/.test(e.message) ? e.message : 'interrupted', json);
  const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
  if (json) printEvent('error', diagnostic('internal', message));
  else process.stderr.write(`internal error (please report): ${message}\n`);
  return ExitCode.FAILED;
}

/** The one line an interrupted run prints (whatever error the abort surfaced as). */
export function reportInterrupted(message: string, json: boolean): number {
  if (json) printEvent('error', diagnostic('interrupted', message));
  else process.stderr.write(`${message}\n`);
  return ExitCode.INTERRUPTED;
}

export function formatSeconds(ticks: bigint, timescale: number): string {
  return (Number(ticks) / timescale).toFixed(3);
}

export function formatBitrate(bps: number): string {
  return bps >= 1e6 ? `${(bps / 1e6).toFixed(2)} Mbit/s` : `${Math.round(bps / 1e3)} kbit/s`;
}

export function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}
