import { ErrorCode, type SmoothpubWarning } from '../errors.js';
import { VERSION } from '../version.js';

/**
 * With `--json` every command prints only JSON lines on stdout, each an object whose
 * first key `event` says what it is:
 *
 * - `start`     the command began: `command`, `version`
 * - `progress`  how far it is (package, remux, publish, verify, encode; at most 4 a second, and the last)
 * - `object`    one object written (publish: uploaded, skipped or kept; index: each sidecar)
 * - `warning`   something to look at that does not fail the command: `code`, `message`, `context`
 * - `problem`   something wrong with the media or the published objects (inspect, verify): `code`, `message`, `context`
 * - `listening` a server is ready (serve, play, ingest): `url`
 * - `live`      what ingest did: a connection, its tracks, a fragment stored or dropped as a duplicate, a Manifest written, an event finalised (`type` says which)
 * - `result`    the command's outcome, its last line: `command` and the library call's result
 * - `error`     the command failed, its last line: `code`, `message`, `context`
 *
 * Warnings, problems and errors share `code` (stable), `message` (for people) and `context`.
 */
export type EventName = 'start' | 'progress' | 'object' | 'warning' | 'problem' | 'listening' | 'live' | 'result' | 'error';

/** JSON that can carry bigint media times (as decimal strings). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? undefined : v));
}

/** Every event's fields but `event` itself. */
export type EventFields = Record<string, unknown>;

/** One line; `event` comes first and no field can replace it. */
export function eventLine(event: EventName, fields: EventFields = {}): string {
  return toJson(Object.assign({ event }, fields, { event })) + '\n';
}

export function printEvent(event: EventName, fields: EventFields = {}): void {
  process.stdout.write(eventLine(event, fields));
}

/** The first line of every command run with `--json`. */
export function printStart(command: string): void {
  printEvent('start', { command, version: VERSION });
}

/** `warning`, `problem` and `error` lines: the same three fields. */
export function diagnostic(code: string, message: string, context: object = {}): EventFields {
  return { code, message, context };
}

/** A command line commander refused (unknown command or option, missing argument or value). */
export function printUsageError(commanderMessage: string): void {
  printEvent('error', diagnostic(ErrorCode.USAGE, commanderMessage.replace(/^error: /, '')));
}

/** Progress lines at most every `intervalMs`, except those `final` says must not be dropped. */
export function throttle<T>(print: (p: T) => void, final: (p: T) => boolean, intervalMs = 250): (p: T) => void {
  let last = -Infinity;
  return (p) => {
    const now = performance.now();
    if (!final(p) && now - last < intervalMs) return;
    last = now;
    print(p);
  };
}

/** A command's warnings: `warning` events with --json, else `warning <code>: <message>` lines on stderr. */
export function reportWarnings(warnings: readonly SmoothpubWarning[], json: boolean): void {
  for (const w of warnings) {
    if (json) printEvent('warning', diagnostic(w.code, w.message, w.context));
    else process.stderr.write(`warning ${w.code}: ${w.message}\n`);
  }
}
