// Reading what a command prints with --json: JSON lines, each an object whose first key is `event`.
import assert from 'node:assert/strict';

export const EVENT_NAMES = ['start', 'progress', 'object', 'warning', 'problem', 'listening', 'live', 'result', 'error'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

export interface EventLine {
  event: EventName;
  [field: string]: unknown;
}

/** Every line of stdout parsed; fails unless each is one JSON object with a known `event` as its first key. */
export function parseEvents(stdout: string): EventLine[] {
  const lines = stdout.split('\n');
  assert.equal(lines.pop(), '', `stdout ends with a newline: ${JSON.stringify(stdout.slice(-200))}`);
  return lines.map((line) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      assert.fail(`not JSON: ${line}`);
    }
    assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), `not an object: ${line}`);
    assert.equal(Object.keys(value)[0], 'event', `event is the first key: ${line}`);
    const e = value as EventLine;
    assert.ok(EVENT_NAMES.includes(e.event), `known event: ${line}`);
    if (e.event === 'warning' || e.event === 'problem' || e.event === 'error') {
      assert.deepEqual([typeof e.code, typeof e.message, typeof e.context], ['string', 'string', 'object'], `code, message, context: ${line}`);
    }
    return e;
  });
}

/** The `result` line, which must be the last; its fields typed as the caller expects. */
export function resultOf<T>(stdout: string): T & EventLine {
  const events = parseEvents(stdout);
  const last = events[events.length - 1];
  assert.equal(last?.event, 'result', `the last line is the result: ${stdout.slice(-500)}`);
  return last as T & EventLine;
}

/** The `error` line, which must be the last. */
export function errorOf(stdout: string): EventLine & { code: string; message: string; context: Record<string, unknown> } {
  const events = parseEvents(stdout);
  const last = events[events.length - 1];
  assert.equal(last?.event, 'error', `the last line is an error: ${stdout.slice(-500)}`);
  return last as EventLine & { code: string; message: string; context: Record<string, unknown> };
}
