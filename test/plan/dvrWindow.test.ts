import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planDvrWindow } from '../../src/plan/dvrWindow.js';
import { SmoothpubError } from '../../src/errors.js';

/** Chunks of 2 s (100 ns units) from `t0`, `n` of them. */
function chunks(n: number, t0 = 0n, d = 20_000_000n): { t: bigint; d: bigint }[] {
  return Array.from({ length: n }, (_, i) => ({ t: t0 + BigInt(i) * d, d }));
}
const S = 10_000_000n;

test('planDvrWindow names the chunks that end inside the window, the newest always', () => {
  const c = chunks(10); // 0..20 s
  assert.deepEqual(planDvrWindow({ chunks: c, edge: 20n * S, window: 6n * S, margin: 0n }), { first: 7, removable: 7 }, 'a 6 s window: chunks from 14 s');
  assert.deepEqual(planDvrWindow({ chunks: c, edge: 20n * S, window: 5n * S, margin: 0n }), { first: 7, removable: 7 }, 'the chunk 14-16 s reaches into the 15 s window start');
  assert.deepEqual(planDvrWindow({ chunks: c, edge: 20n * S, window: 1n, margin: 0n }), { first: 9, removable: 9 }, 'a window shorter than a chunk still names the newest');
  assert.deepEqual(planDvrWindow({ chunks: c, edge: 20n * S, window: 60n * S, margin: 0n }), { first: 0, removable: 0 }, 'everything inside');
  assert.deepEqual(planDvrWindow({ chunks: c, edge: 20n * S, window: undefined, margin: 0n }), { first: 0, removable: 0 }, 'no --dvr: unbounded');
  assert.deepEqual(planDvrWindow({ chunks: [], edge: 0n, window: 6n * S, margin: 0n }), { first: 0, removable: 0 });
});

test('planDvrWindow deletes a chunk only the safety margin after it left the window', () => {
  const c = chunks(10);
  assert.deepEqual(planDvrWindow({ chunks: c, edge: 20n * S, window: 6n * S, margin: 4n * S }), { first: 7, removable: 5 }, 'chunks ending by 10 s may go; 12 and 14 s wait');
  assert.deepEqual(planDvrWindow({ chunks: c, edge: 20n * S, window: 6n * S, margin: 100n * S }), { first: 7, removable: 0 });
  // As the edge moves, removal follows the window by the margin, never ahead of it.
  let removed = 0;
  for (let n = 1; n <= 10; n++) {
    const w = planDvrWindow({ chunks: c.slice(0, n), edge: BigInt(n) * 2n * S, window: 6n * S, margin: 4n * S });
    assert.ok(w.removable <= w.first && w.removable >= removed, `step ${n}: ${JSON.stringify(w)}`);
    removed = w.removable;
  }
  assert.equal(removed, 5);
});

test('planDvrWindow works on live clocks beyond 2^53 and with gaps', () => {
  const t0 = 17_650_000_000_000_000n; // 100 ns since 1970, in 2025
  const c = [...chunks(3, t0), ...chunks(3, t0 + 100n * S)]; // a 94 s gap after the third
  assert.deepEqual(planDvrWindow({ chunks: c, edge: t0 + 106n * S, window: 10n * S, margin: 0n }), { first: 3, removable: 3 });
});

test('planDvrWindow refuses a window of 0 or less and a negative margin, naming them', () => {
  assert.throws(() => planDvrWindow({ chunks: chunks(2), edge: 4n * S, window: 0n, margin: 0n }), (e) => e instanceof SmoothpubError && /DVR window/.test(e.message));
  assert.throws(() => planDvrWindow({ chunks: chunks(2), edge: 4n * S, window: S, margin: -1n }), (e) => e instanceof SmoothpubError && /margin/.test(e.message));
});
