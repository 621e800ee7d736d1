import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter } from '../../src/util/limiter.js';

/** One turn of the event loop (not a wait for time): lets the other tasks run. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('never more than `size` tasks at once across all callers, started in the order asked', async () => {
  const limiter = new Limiter(3);
  let running = 0;
  let peak = 0;
  const started: number[] = [];
  const task = (i: number) => async (): Promise<number> => {
    started.push(i);
    running++;
    peak = Math.max(peak, running);
    for (let k = 0; k < 1 + (i % 4); k++) await tick();
    running--;
    return i;
  };
  // Two "presentations" sharing one limiter.
  const a = Promise.all(Array.from({ length: 10 }, (_, i) => limiter.run(task(i))));
  const b = Promise.all(Array.from({ length: 10 }, (_, i) => limiter.run(task(100 + i))));
  assert.deepEqual(await a, Array.from({ length: 10 }, (_, i) => i));
  assert.equal((await b).length, 10);
  assert.equal(peak, 3);
  assert.deepEqual(started.slice(0, 3), [0, 1, 2]);
  assert.equal(limiter.active, 0);
});

test('a failing task frees its slot; an abort rejects a waiter without taking one', async () => {
  const limiter = new Limiter(1);
  await assert.rejects(limiter.run(() => Promise.reject(new Error('boom'))), /boom/);
  let release!: () => void;
  const holder = limiter.run(() => new Promise<void>((r) => (release = r)));
  const controller = new AbortController();
  const waiter = limiter.run(() => Promise.resolve('never'), controller.signal);
  controller.abort(new Error('stopped'));
  await assert.rejects(waiter, /stopped/);
  const next = limiter.run(() => Promise.resolve('next'));
  release();
  await holder;
  assert.equal(await next, 'next');
  assert.throws(() => new Limiter(0), RangeError);
});
