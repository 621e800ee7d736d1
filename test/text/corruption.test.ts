// Seeded corruption of the subtitle fixtures and of a text fragment: whatever the bytes,
// the readers return cues or throw a SmoothpubError, never another exception. A failure
// names the seed and case, which replay it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmoothpubError } from '../../src/errors.js';
import { readSubtitles } from '../../src/text/readSubtitles.js';
import { readTtmlFragment } from '../../src/text/readTtmlSample.js';
import { textWindows } from '../../src/text/textWindows.js';
import { ttmlFragment } from '../../src/text/ttmlFragment.js';
import { writeTtml } from '../../src/text/writeTtml.js';
import { fixture, utf8 } from './helpers.js';

const SEED = 0x5eed_7e47;
const CASES = 1500;

/** mulberry32: small, seeded, good enough to pick mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [...utf8('<>&:.,-->0123456789\n\r \t/"=;#%'), 0, 0xff, 0xc3, 0xe2];

function mutate(bytes: Uint8Array, r: () => number): Uint8Array {
  const out = [...bytes];
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * out.length);
    switch (Math.floor(r() * 5)) {
      case 0:
        out[at] = INTERESTING[Math.floor(r() * INTERESTING.length)]!;
        break;
      case 1:
        out.splice(at, 1 + Math.floor(r() * 20));
        break;
      case 2:
        out.splice(at, 0, ...out.slice(Math.floor(r() * out.length), Math.floor(r() * out.length)));
        break;
      case 3:
        out.length = at;
        break;
      default:
        out[at] = Math.floor(r() * 256);
    }
  }
  return Uint8Array.from(out);
}

function readsOrTypedError(read: () => unknown, where: string): 'ok' | 'error' {
  try {
    read();
    return 'ok';
  } catch (e) {
    if (!(e instanceof SmoothpubError)) assert.fail(`${where}: ${e instanceof Error ? e.stack : String(e)}`);
    assert.match(e.code, /^(text|bmff)\./, where);
    return 'error';
  }
}

test(`corrupted WebVTT, SRT and TTML files (${CASES} cases, seed ${SEED}): cues or a typed error`, () => {
  const r = prng(SEED);
  const files = ['styled.vtt', 'styled.srt', 'styled.ttml'].map((name) => ({ name, bytes: fixture(name) }));
  const outcomes = { ok: 0, error: 0 };
  for (let i = 0; i < CASES; i++) {
    const f = files[i % files.length]!;
    const bytes = mutate(f.bytes, r);
    outcomes[readsOrTypedError(() => readSubtitles(bytes, f.name), `seed ${SEED} case ${i} (${f.name})`)]++;
  }
  // Both outcomes happen: the mutations reach the parsers, not only the decoder.
  assert.ok(outcomes.ok > CASES / 20 && outcomes.error > CASES / 20, JSON.stringify(outcomes));
});

test(`corrupted text fragments (${CASES} cases): cues or a typed error`, () => {
  const r = prng(SEED + 1);
  const cues = readSubtitles(fixture('styled.vtt'), 'styled.vtt');
  const [window] = textWindows(cues, [{ start: 0, end: 2000 }]);
  const fragment = ttmlFragment(utf8(writeTtml(window!, { language: 'en', timeBase: 'fragment' })), { trackId: 1, sequenceNumber: 1, time: 0n, duration: 20_000_000n, timescale: 10_000_000, tfxd: true, tfdt: true });
  for (let i = 0; i < CASES; i++) {
    // Mutate mostly the boxes (the first 150 bytes), sometimes the document.
    const head = mutate(fragment.subarray(0, 150), r);
    const bytes = r() < 0.7 ? Uint8Array.from([...head, ...fragment.subarray(150)]) : mutate(fragment, r);
    readsOrTypedError(() => readTtmlFragment(bytes, 'fragment', { timescale: 10_000_000, timeBase: 'fragment' }), `seed ${SEED + 1} case ${i}`);
  }
});
