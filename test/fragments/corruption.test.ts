// Corrupt and truncated inputs: indexing must end in a valid index or a SmoothpubError with
// a known code naming the file; never another exception, a hang, or a huge read.
// Every candidate runs in a worker thread with a watchdog (prober.ts), so a hang is caught
// even when it is a synchronous loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ErrorCode, isSmoothpubError } from '../../src/errors.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import type { Outcome } from './indexProbe.js';
import { loadSubjects, mutate, Rng, type Subject } from './mutate.js';
import { HANG_MS, Prober, SLOW_MS, type Probe } from './prober.js';
import { testNumber, testVariable } from '../harness/ci.js';
import { rawHeader, type RawBox, setU32, setU64, typeAt, walkBoxes } from './rawBoxes.js';

const FIX = 'test/fixtures';
const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));
/** indexSource may read a 16 KiB speculative window past the end; anything beyond means a declared size was trusted. */
const READ_SLACK = 16 * 1024 + 64;
// Override to hunt locally: SMOOTHPUB_FUZZ_SEED=123 SMOOTHPUB_FUZZ_CASES=50000 SMOOTHPUB_FUZZ_DUMP=/tmp/cases node scripts/run-tests.js corruption
// (test/harness/ci.ts: the case count may only grow, and only outside CI).
const FUZZ_SEED = testNumber('SMOOTHPUB_FUZZ_SEED', 0x5eed_c0de) >>> 0;
const FUZZ_CASES = testNumber('SMOOTHPUB_FUZZ_CASES');
/** A folder to save failing fuzz cases in, to replay them with indexFile. */
const FUZZ_DUMP = testVariable('SMOOTHPUB_FUZZ_DUMP');

const FUZZ_FIXTURES = ['clean/v120.ismv', 'clean/audio.isma', 'users/v120.ismv', 'multitrack.ismv', 'cmaf/video.mp4', 'cmaf/audio.mp4', 'progressive/v100.mp4', 'progressive/v300.mp4', 'progressive/ctts1.mp4', 'othertools/ismlmux.ismv', 'othertools/qtmux.mov'];

// ---------------------------------------------------------------------------------------
// What counts as an acceptable outcome.

/** Problems with one outcome of indexing `bytes` (the candidate file's exact content). */
function outcomeProblems(o: Outcome, name: string, bytes: Uint8Array): string[] {
  if (o.kind === 'error') {
    const problems: string[] = [];
    if (!o.smoothpub) problems.push(`threw ${o.name}, not a SmoothpubError: ${o.stack}`);
    else if (o.code === undefined || !KNOWN_CODES.has(o.code)) problems.push(`unknown error code ${String(o.code)}: ${o.message}`);
    if (o.smoothpub && !o.message.includes(name)) problems.push(`message does not name the file ${name}: ${o.message}`);
    return problems;
  }
  const problems: string[] = [];
  const sorted = [...o.fragments].sort((a, b) => a.offset - b.offset);
  let prevEnd = 0;
  for (const f of sorted) {
    const where = `fragment of track ${f.trackId} at ${f.offset}+${f.size}`;
    if (f.offset + f.size > bytes.length) {
      problems.push(`${where} ends past the end of the ${bytes.length}-byte file: a cut fragment was accepted as complete`);
      continue;
    }
    if (f.offset < prevEnd) problems.push(`${where} overlaps the previous fragment (ends at ${prevEnd})`);
    prevEnd = f.offset + f.size;
    const moof = rawHeader(bytes, f.offset, f.offset + f.size);
    if (typeAt(bytes, f.offset) !== 'moof' || !moof) {
      problems.push(`${where} does not start with a complete 'moof'`);
      continue;
    }
    const mdatAt = f.offset + moof.size;
    const mdat = rawHeader(bytes, mdatAt, f.offset + f.size);
    if (mdatAt + 8 > bytes.length || typeAt(bytes, mdatAt) !== 'mdat' || !mdat || moof.size + mdat.size !== f.size) {
      problems.push(`${where} is not exactly a 'moof' followed by a complete 'mdat'`);
    }
  }
  return problems;
}

function replyProblems(p: Probe, bytes: Uint8Array): string[] {
  if (p.kind === 'hang') return [`no answer within ${HANG_MS} ms (hang)`];
  if (p.kind === 'crash') return [`worker crashed: ${p.error}`];
  const r = p.reply;
  const problems = [...outcomeProblems(r.file, r.path, bytes).map((s) => `indexFile: ${s}`), ...outcomeProblems(r.memory, r.memoryName, bytes).map((s) => `indexSource: ${s}`)];
  if (r.fileMs > SLOW_MS) problems.push(`indexFile took ${r.fileMs.toFixed(0)} ms`);
  if (r.memoryMs > SLOW_MS) problems.push(`indexSource took ${r.memoryMs.toFixed(0)} ms`);
  if (r.largestRead > bytes.length + READ_SLACK) problems.push(`indexSource asked for a ${r.largestRead}-byte read of a ${bytes.length}-byte source`);
  if (r.badReads.length > 0) problems.push(`invalid reads: ${r.badReads.slice(0, 3).join(', ')}`);
  // The error code may differ: with an mfra, fragments are read in parallel and the first
  // failing read wins. Whether the file indexes, and to what, may not.
  const same = r.file.kind === 'ok' && r.memory.kind === 'ok' ? JSON.stringify(r.file.fragments) === JSON.stringify(r.memory.fragments) : r.file.kind === r.memory.kind;
  if (!same && problems.length === 0) problems.push(`indexFile and indexSource disagree: ${brief(r.file)} vs ${brief(r.memory)}`);
  return problems;
}

function brief(o: Outcome): string {
  return o.kind === 'ok' ? `ok (${o.method}, ${o.fragments.length} fragments)` : `${o.code ?? o.name}`;
}

interface Tally {
  cases: number;
  ok: number;
  errors: Map<string, number>;
  slowestMs: number;
  slowest: string;
  failures: string[];
}

function newTally(): Tally {
  return { cases: 0, ok: 0, errors: new Map(), slowestMs: 0, slowest: '', failures: [] };
}

/** Records one case; returns whether it had problems. */
function record(t: Tally, label: string, p: Probe, bytes: Uint8Array): boolean {
  t.cases++;
  if (p.kind === 'reply') {
    const ms = Math.max(p.reply.fileMs, p.reply.memoryMs);
    if (ms > t.slowestMs) [t.slowestMs, t.slowest] = [ms, label];
    const o = p.reply.file;
    if (o.kind === 'ok') t.ok++;
    else t.errors.set(o.code ?? o.name, (t.errors.get(o.code ?? o.name) ?? 0) + 1);
  }
  const problems = replyProblems(p, bytes);
  for (const problem of problems) t.failures.push(`${label}: ${problem}`);
  return problems.length > 0;
}

function assertTally(t: Tally, what: string): void {
  const summary = `${what}: ${t.cases} cases, ${t.ok} indexed, errors ${JSON.stringify(Object.fromEntries(t.errors))}, slowest call ${t.slowestMs.toFixed(0)} ms (${t.slowest})`;
  console.log(summary);
  assert.equal(t.failures.length, 0, `${summary}\n${t.failures.length} problems, first ones:\n${t.failures.slice(0, 10).join('\n')}`);
}

// ---------------------------------------------------------------------------------------
// Truncation at every box boundary.

const TRUNCATED_FIXTURES = ['clean/v400.ismv', 'clean/audio.isma', 'users/v250.ismv', 'multitrack.ismv', 'cmaf/video.mp4', 'cmaf/audio.mp4', 'progressive/v100.mp4', 'progressive/v300.mp4', 'othertools/ismlmux.ismv', 'othertools/qtmux.mov'];

/** Offsets where a box starts, its header ends, or it ends; plus a few inside each box. */
function cutPoints(boxes: RawBox[], size: number): Map<number, string> {
  const cuts = new Map<number, string>();
  const add = (at: number, what: string): void => {
    if (at >= 0 && at <= size && !cuts.has(at)) cuts.set(at, what);
  };
  for (const b of boxes) {
    add(b.start, `start of ${b.path}`);
    add(b.end, `end of ${b.path}`);
    add(b.start + b.headerSize, `end of ${b.path} header`);
  }
  for (const b of boxes) {
    add(b.start + 4, `inside ${b.path} header`);
    add(b.start + Math.floor((b.end - b.start) / 2), `middle of ${b.path}`);
    add(b.end - 1, `last byte of ${b.path} missing`);
  }
  return cuts;
}

test('fixtures walk: the independent box walker covers every fixture byte', async () => {
  for (const f of TRUNCATED_FIXTURES) {
    const bytes = await readFile(join(FIX, f));
    const top = walkBoxes(bytes).filter((b) => !b.path.includes('/'));
    assert.equal(top.at(-1)?.end, bytes.length, `${f}: top-level boxes tile the file`);
    const sampleTables = walkBoxes(bytes).some((b) => b.path === 'moov/trak/mdia/minf/stbl/stsz');
    assert.ok(walkBoxes(bytes).some((b) => b.path === 'moof/traf/trun') || (/^(progressive|othertools)\//.test(f) && sampleTables), `${f}: walker descends into fragments or sample tables`);
  }
});

test(`truncation at every box boundary (and inside each box) of ${TRUNCATED_FIXTURES.length} fixtures: valid index or typed error`, { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-trunc-'));
  const prober = new Prober(dir);
  const tally = newTally();
  try {
    for (const f of TRUNCATED_FIXTURES) {
      const bytes = await readFile(join(FIX, f));
      const full = await prober.probe(bytes);
      assert.ok(full.kind === 'reply' && full.reply.file.kind === 'ok', `${f} indexes intact`);
      const fullCount = full.reply.file.kind === 'ok' ? full.reply.file.fragments.length : 0;
      for (const [at, what] of [...cutPoints(walkBoxes(bytes), bytes.length)].sort((a, b) => a[0] - b[0])) {
        const cut = bytes.slice(0, at);
        const p = await prober.probeTimedIfSlow(cut);
        const label = `${f} truncated to ${at} bytes (${what})`;
        record(tally, label, p, cut);
        // A cut inside the fragments must never give the intact file's full fragment list.
        if (p.kind === 'reply' && p.reply.file.kind === 'ok' && at < bytes.length) {
          const lastFragmentEnd = Math.max(...p.reply.file.fragments.map((x) => x.offset + x.size));
          if (p.reply.file.fragments.length === fullCount && lastFragmentEnd > at) tally.failures.push(`${label}: index claims all ${fullCount} fragments`);
        }
      }
    }
  } finally {
    await prober.close();
    await rm(dir, { recursive: true, force: true });
  }
  assertTally(tally, 'truncation');
  assert.ok(tally.cases > 1000, `expected many cut points, got ${tally.cases}`);
});


// ---------------------------------------------------------------------------------------
// Seeded fuzz.

test(`fuzz: ${FUZZ_CASES} mutated files (mulberry32 seed 0x${FUZZ_SEED.toString(16)}): valid index or typed error, fast`, { timeout: 60_000 + FUZZ_CASES * 100 }, async () => {
  const subjects = await loadSubjects(FIX, FUZZ_FIXTURES);
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-fuzz-'));
  const prober = new Prober(dir);
  const tally = newTally();
  const r = new Rng(FUZZ_SEED);
  try {
    await prober.probe(subjects[0]!.bytes); // warm up the worker before timing calls
    for (let i = 0; i < FUZZ_CASES; i++) {
      const s = subjects[i % subjects.length]!;
      const m = mutate(s, r);
      const bad = record(tally, `fuzz case ${i} (${s.name}: ${m.what})`, await prober.probeTimedIfSlow(m.bytes), m.bytes);
      if (bad && FUZZ_DUMP !== undefined) await writeFile(join(FUZZ_DUMP, `fuzz-${FUZZ_SEED}-${i}.mp4`), m.bytes);
    }
  } finally {
    await prober.close();
    await rm(dir, { recursive: true, force: true });
  }
  assertTally(tally, 'fuzz');
});

// Regression: a `trun` with no per-sample fields may declare up to 2^20 samples, and readTrun
// used to materialize one object per sample (summed as BigInts by readTraf): ~0.3 s and 100+ MB
// of garbage per fragment from 12 bytes of input; 60 such fragments took 14 s and 414 MB.
// Found by the fuzz (seed 7: cmaf/video.mp4 with 13 bytes deleted at 116012 turns a trun into
// flags 0, count 1040640); fixed in 35c40d9 (O(1): duration = count x default).
test('a trun declaring 2^20 samples without a sample table, in every fragment, indexes fast', { timeout: 60_000 }, async () => {
  const bytes = new Uint8Array(await readFile(join(FIX, 'clean/v120.ismv')));
  const truns = walkBoxes(bytes).filter((b) => b.path === 'moof/traf/trun');
  assert.equal(truns.length, 4);
  for (const t of truns) {
    setU32(bytes, t.start + 8, 0); // version 0, flags 0: no per-sample fields
    setU32(bytes, t.start + 12, 1 << 20); // sample_count
  }
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-trun-'));
  const prober = new Prober(dir);
  const tally = newTally();
  try {
    await prober.probe(new Uint8Array(await readFile(join(FIX, 'clean/v120.ismv')))); // warm up
    record(tally, 'clean/v120.ismv with every trun set to flags 0, sample_count 2^20', await prober.probeTimedIfSlow(bytes), bytes);
  } finally {
    await prober.close();
    await rm(dir, { recursive: true, force: true });
  }
  assertTally(tally, 'table-less trun');
});

// ---------------------------------------------------------------------------------------
// Packaging corrupt inputs mixed with good ones.

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

interface PackageCase {
  name: string;
  /** Builds the corrupt file's bytes from the original fixture (undefined: the file is not written). */
  corrupt?: (s: Subject) => Uint8Array;
  /** Input list; `CORRUPT` is replaced by the corrupt file's path. */
  inputs: string[];
  /** Truncate this input (by path) to half its size right after it is indexed: fails mid-write. */
  truncateAfterIndex?: string;
}

const CORRUPT = '<corrupt>';
const GOOD = [join(FIX, 'clean/v400.ismv'), CORRUPT, join(FIX, 'clean/audio.isma')];

function firstBox(s: Subject, path: string, nth = 0): RawBox {
  const b = s.boxes.filter((x) => x.path === path)[nth];
  if (!b) throw new Error(`${s.name} has no ${path} #${nth}`);
  return b;
}

function withU32(s: Subject, at: number, v: number): Uint8Array {
  const b = s.bytes.slice();
  setU32(b, at, v);
  return b;
}

const PACKAGE_CASES: PackageCase[] = [
  { name: 'cut in the last mdat', inputs: GOOD, corrupt: (s) => s.bytes.slice(0, firstBox(s, 'mdat', 3).start + 100) },
  { name: 'cut right after the last moof', inputs: GOOD, corrupt: (s) => s.bytes.slice(0, firstBox(s, 'mdat', 3).start) },
  { name: 'cut inside moov', inputs: GOOD, corrupt: (s) => s.bytes.slice(0, firstBox(s, 'moov').start + 200) },
  { name: 'cut inside mfra', inputs: GOOD, corrupt: (s) => s.bytes.slice(0, firstBox(s, 'mfra').start + 30) },
  { name: 'mfra removed (still valid)', inputs: GOOD, corrupt: (s) => s.bytes.slice(0, firstBox(s, 'mfra').start) },
  { name: 'moof size 0xffffffff', inputs: GOOD, corrupt: (s) => withU32(s, firstBox(s, 'moof', 1).start, 0xffffffff) },
  { name: 'moov size 0', inputs: GOOD, corrupt: (s) => withU32(s, firstBox(s, 'moov').start, 0) },
  { name: 'trun size 4', inputs: GOOD, corrupt: (s) => withU32(s, firstBox(s, 'moof/traf/trun', 2).start, 4) },
  { name: 'mdat size 1 with largesize 2^60', inputs: GOOD, corrupt: (s) => { const b = withU32(s, firstBox(s, 'mdat', 0).start, 1); setU64(b, firstBox(s, 'mdat', 0).start + 8, 2n ** 60n); return b; } },
  { name: 'tfra offset into an mdat', inputs: GOOD, corrupt: (s) => withU32(s, firstBox(s, 'mfra/tfra').start + 36, firstBox(s, 'mdat', 1).start + 8) },
  { name: 'mfro size points before the first moof', inputs: GOOD, corrupt: (s) => withU32(s, s.bytes.length - 4, s.bytes.length - 10) },
  { name: 'first moof renamed free', inputs: GOOD, corrupt: (s) => { const b = s.bytes.slice(); b.set([0x66, 0x72, 0x65, 0x65], firstBox(s, 'moof', 0).start + 4); return b; } },
  { name: 'tfxd time of fragment 3 moved back (not increasing)', inputs: GOOD, corrupt: (s) => withU32(s, firstBox(s, 'moof/traf/uuid', 2).start + 24 + 4 + 4, 0) },
  { name: 'tfxd time of fragment 2 off by 1 (misaligned with v400)', inputs: GOOD, corrupt: (s) => withU32(s, firstBox(s, 'moof/traf/uuid', 1).start + 24 + 4 + 4, 20_000_001) },
  { name: '8 bytes inserted before the second moof', inputs: GOOD, corrupt: (s) => { const at = firstBox(s, 'moof', 1).start; const b = new Uint8Array(s.bytes.length + 8); b.set(s.bytes.subarray(0, at)); b.set(s.bytes.subarray(at), at + 8); return b; } },
  { name: 'empty file', inputs: GOOD, corrupt: () => new Uint8Array(0) },
  { name: 'text file', inputs: GOOD, corrupt: () => new TextEncoder().encode('#EXTM3U\nthis is not an ismv\n') },
  { name: 'missing input file', inputs: [GOOD[0]!, '/nonexistent/smoothpub/v250.ismv'] },
  { name: 'a folder as input', inputs: [GOOD[0]!, FIX] },
  // Regression: a writer failing while others were still writing made the cleanup race them
  // (ENOTEMPTY instead of the SmoothpubError, `.video.ism.partial-*` left behind; fixed in 9571b8f).
  { name: 'source truncated after indexing (fails while writing)', inputs: GOOD, corrupt: (s) => s.bytes.slice(), truncateAfterIndex: CORRUPT },
  { name: 'all good (control)', inputs: [GOOD[0]!, join(FIX, 'clean/v250.ismv'), GOOD[2]!] },
];

test(`package: ${PACKAGE_CASES.length} input sets with a corrupt file among good ones leave no output or partial folder`, { timeout: 120_000 }, async () => {
  const [subject] = await loadSubjects(FIX, ['clean/v250.ismv']);
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-pkg-'));
  const failures: string[] = [];
  const outcomes: string[] = [];
  try {
    for (const [i, c] of PACKAGE_CASES.entries()) {
      const caseDir = join(dir, `case-${i}`);
      await mkdir(caseDir);
      const corruptPath = join(caseDir, 'v250.ismv');
      if (c.corrupt) await writeFile(corruptPath, c.corrupt(subject!));
      const inputs = c.inputs.map((x) => (x === CORRUPT ? corruptPath : x));
      const victim = c.truncateAfterIndex === CORRUPT ? corruptPath : c.truncateAfterIndex;
      const outParent = join(caseDir, 'out');
      await mkdir(outParent);
      const outDir = join(outParent, 'video.ism');
      let timer: NodeJS.Timeout | undefined;
      try {
        const run = packagePresentation({
          inputs,
          outDir,
          onIndexed: (ix) => {
            if (ix.file === victim) truncateSync(victim, Math.floor(ix.size / 2));
          },
        });
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no result within 20 s (hang)`)), 20_000);
        });
        const result = await Promise.race([run, timeout]);
        outcomes.push(`${c.name}: ok, ${result.objects} objects`);
        if (!(await exists(join(outDir, 'Manifest')))) failures.push(`${c.name}: succeeded but ${outDir}/Manifest is missing`);
        const beside = await readdir(outParent);
        if (beside.join() !== basename(outDir)) failures.push(`${c.name}: succeeded but left ${beside.join(', ')} in ${outParent}`);
      } catch (e) {
        outcomes.push(`${c.name}: ${isSmoothpubError(e) ? e.code : String(e)}`);
        if (!isSmoothpubError(e)) failures.push(`${c.name}: threw ${e instanceof Error ? e.stack : String(e)}, not a SmoothpubError`);
        else if (!KNOWN_CODES.has(e.code)) failures.push(`${c.name}: unknown code ${e.code}`);
        if (await exists(outDir)) failures.push(`${c.name}: failed (${String(e)}) but ${outDir} exists`);
        const leftovers = (await readdir(outParent)).filter((n) => n.startsWith(`.${basename(outDir)}.partial-`) || n === basename(outDir));
        if (leftovers.length > 0) failures.push(`${c.name}: failed but left ${leftovers.join(', ')} in ${dirname(outDir)}`);
      } finally {
        clearTimeout(timer);
      }
      if (c.truncateAfterIndex !== undefined && outcomes.at(-1)?.includes(': ok')) failures.push(`${c.name}: a source cut after indexing was packaged without error`);
    }
    if (!outcomes.at(-1)?.includes(': ok')) failures.push(`control case failed: ${outcomes.at(-1) ?? ''}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.log(outcomes.join('\n'));
  assert.deepEqual(failures, []);
});
