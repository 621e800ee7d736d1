// The CLI's signal handling in-process, on an emitter of the test's own (the real signals
// are exercised on the CLI in signals.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Interrupt } from '../../src/cli/interrupt.js';
import { trackLeftover } from '../../src/util/leftovers.js';

/** An Interrupt whose ends are recorded instead of ending this process. */
function recorded(graceMs: number): { interrupt: Interrupt; source: EventEmitter; ends: string[]; ended: Promise<void>; close(): void } {
  const ends: string[] = [];
  let done: () => void = () => undefined;
  // The grace timer does not hold the process open (unref): this test must, while it waits.
  const keepAlive = setTimeout(() => undefined, 30_000);
  const ended = new Promise<void>((resolve) => (done = resolve)).finally(() => clearTimeout(keepAlive));
  const source = new EventEmitter();
  const interrupt = new Interrupt(
    (code) => {
      ends.push(`exit ${code}`);
      done();
    },
    (signal) => {
      ends.push(signal);
      done();
    },
    graceMs,
  ).listen(source);
  const close = (): void => {
    interrupt.dispose();
    clearTimeout(keepAlive);
  };
  return { interrupt, source, ends, ended, close };
}

test('the first signal aborts the run; a second ends it by that signal, after removing what was being built', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-interrupt-'));
  const building = join(dir, '.out.partial-1-2');
  await mkdir(join(building, 'QualityLevels(1)'), { recursive: true });
  const untrack = trackLeftover(building);
  const { interrupt, source, ends, close } = recorded(60_000);
  try {
    source.emit('SIGTERM', 'SIGTERM');
    assert.equal(interrupt.signal.aborted, true);
    assert.equal((interrupt.signal.reason as Error).name, 'AbortError');
    assert.equal((interrupt.signal.reason as Error).message, 'interrupted by SIGTERM');
    assert.equal(interrupt.exitCode(), 143);
    assert.deepEqual(ends, [], 'the first signal only aborts');
    assert.ok(existsSync(building));
    source.emit('SIGINT', 'SIGINT');
    assert.deepEqual(ends, ['SIGINT']);
    assert.ok(!existsSync(building), 'removed before the end');
  } finally {
    close();
    untrack();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a run that does not stop within its grace time is ended by the signal that stopped it', async () => {
  const { interrupt, source, ends, ended, close } = recorded(100);
  const sent = Date.now();
  source.emit('SIGINT', 'SIGINT');
  await ended;
  assert.ok(Date.now() - sent >= 90, `after ${Date.now() - sent} ms`);
  assert.deepEqual(ends, ['SIGINT']);
  assert.equal(interrupt.exitCode(), 130);
  close();
});

test('a server that asks for more grace gets it; stopped cleanly on SIGTERM its exit code is 0', async () => {
  const { interrupt, source, ends, ended, close } = recorded(50);
  const sent = Date.now();
  source.emit('SIGTERM', 'SIGTERM');
  interrupt.allowGrace(300);
  interrupt.stoppedCleanly();
  assert.equal(interrupt.exitCode(), 0);
  await ended;
  assert.ok(Date.now() - sent >= 290, `after ${Date.now() - sent} ms`);
  // Still held open after a clean stop: ended with its own exit code, not by the signal.
  assert.deepEqual(ends, ['exit 0']);
  close();
});

test('SIGINT after a clean stop is still an interruption (130)', () => {
  const { interrupt, source, close } = recorded(60_000);
  source.emit('SIGINT', 'SIGINT');
  interrupt.stoppedCleanly();
  assert.equal(interrupt.exitCode(), 130);
  close();
});
