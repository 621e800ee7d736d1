import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ByteRun } from '../../src/fragments/types.js';
import type { Plan } from '../../src/plan/plan.js';
import { ErrorCode, isSmoothpubError } from '../../src/errors.js';
import { FolderWriting, writePlanToFolder, type WriteProgress } from '../../src/package/writePlanToFolder.js';
import { WriterPool, defaultWriterThreads, prestartWriter } from '../../src/package/writerPool.js';
import { nativeCopyStats, type NativeCopyStats } from '../../src/source/copyRange.js';
import { requireAddon } from '../harness/ci.js';
import { withNative } from '../harness/native.js';
import { mulberry32 } from '../harness/mulberry32.js';

const random = mulberry32(11);
const source = Uint8Array.from({ length: 3 * 1024 * 1024 }, () => Math.floor(random() * 256));
const head = Uint8Array.from({ length: 77 }, (_, i) => 255 - i);

/** The copy addon's counts (zeros without it: then nothing went through the kernel). */
async function kernelCounts(): Promise<NativeCopyStats> {
  return (await withNative(true, () => nativeCopyStats())) ?? { calls: 0, bytes: 0 };
}

/** Threads of this process (/proc/self/status): each writer thread is one while it runs. */
function threadCount(): number {
  return Number(/^Threads:\s+(\d+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
}

/** A built fragment: `head` then the runs, as a plain MP4's fragment is laid out. */
function builtBody(file: string, runs: ByteRun[]): Plan['objects'][number]['body'] {
  const size = head.length + runs.reduce((s, r) => s + r.size, 0);
  return { kind: 'range', file, offset: runs[0]!.offset, size, built: { head: () => head, runs: () => runs } };
}

function expected(runs: ByteRun[]): Buffer {
  return Buffer.concat([head, ...runs.map((r) => source.subarray(r.offset, r.offset + r.size))]);
}

/** Built fragments byte for byte: few runs copied, many close runs as one span, spans larger than the copy buffer. */
async function writesBuiltFragments(path: 'kernel copy' | 'portable copy'): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-wpf-'));
  try {
    const file = join(dir, 'source.mp4');
    await writeFile(file, source);
    // Interleaved like a plain MP4 with one sample per chunk: video runs with audio between.
    const interleaved = Array.from({ length: 40 }, (_, i) => ({ offset: 1000 + i * 5000, size: 3000 + (i % 7) }));
    const wide = Array.from({ length: 10 }, (_, i) => ({ offset: 4096 + i * 200_000, size: 150_000 }));
    const cases: Record<string, ByteRun[]> = {
      'one run': [{ offset: 123, size: 45_678 }],
      'two runs far apart': [{ offset: 10, size: 100 }, { offset: 2_000_000, size: 500 }],
      interleaved,
      'span over the 1 MiB copy buffer': wide,
    };
    const plan: Plan = {
      objects: Object.entries(cases).map(([name, runs]) => ({ key: `f/${name}`, contentType: 'video/mp4', cacheControl: 'x', body: builtBody(file, runs) })),
      totalBytes: 0,
    };
    plan.objects.push({ key: 'Manifest', contentType: 'text/xml', cacheControl: 'x', body: { kind: 'bytes', data: Uint8Array.of(1) } });
    // The writer thread takes a copy of the environment when it starts: SMOOTHPUB_NO_NATIVE=1 there turns the addon off.
    const before = await kernelCounts();
    await withNative(path === 'kernel copy', () => writePlanToFolder(plan, join(dir, 'out')));
    const after = await kernelCounts();
    for (const [name, runs] of Object.entries(cases)) {
      const got = await readFile(join(dir, 'out', 'f', name));
      assert.ok(got.equals(expected(runs)), `${name}: ${got.length} bytes written, ${expected(runs).length} expected`);
    }
    // The writer threads share the loaded addon and its counts: the runs copied alone
    // ('one run', 'two runs far apart') went through copy_file_range(2), the spans did not.
    const copiedAlone = [...cases['one run']!, ...cases['two runs far apart']!];
    const kernel = { calls: after.calls - before.calls, bytes: after.bytes - before.bytes };
    assert.deepEqual(kernel, path === 'kernel copy' ? { calls: copiedAlone.length, bytes: copiedAlone.reduce((n, r) => n + r.size, 0) } : { calls: 0, bytes: 0 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

for (const path of ['kernel copy', 'portable copy'] as const) {
  test(`built fragments are written byte for byte (${path}): few runs copied, many close runs as one span, spans larger than the copy buffer`, async (t) => {
    if (path === 'kernel copy' && !requireAddon(t, 'copy_file_range')) return;
    await writesBuiltFragments(path);
  });
}

/** A plan of `n` one-run fragments of `file` (each 20,000 bytes) and a Manifest last. */
function rangePlan(file: string, n: number): Plan {
  const objects: Plan['objects'] = Array.from({ length: n }, (_, i) => ({ key: `QualityLevels(1)/Fragments(video=${i})`, contentType: 'video/mp4', cacheControl: 'x', body: { kind: 'range' as const, file, offset: (i * 20_000) % 3_000_000, size: 20_000 } }));
  objects.push({ key: 'Manifest', contentType: 'text/xml', cacheControl: 'x', body: { kind: 'bytes', data: new TextEncoder().encode('<SmoothStreamingMedia/>') } });
  return { objects, totalBytes: n * 20_000 + 23 };
}

async function withSource(fn: (dir: string, file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-wpf-'));
  try {
    const file = join(dir, 'source.mp4');
    await writeFile(file, source);
    await fn(dir, file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

for (const concurrency of [1, 3]) {
  test(`${concurrency} writer thread(s): every object written, progress reaches the totals, the Manifest last`, async () => {
    await withSource(async (dir, file) => {
      const plan = rangePlan(file, 150);
      const seen: WriteProgress[] = [];
      const out = join(dir, 'out');
      await writePlanToFolder(plan, out, { concurrency, onProgress: (p) => seen.push(p) });
      assert.deepEqual(seen.at(-1), { objects: 151, totalObjects: 151, bytes: plan.totalBytes, totalBytes: plan.totalBytes });
      assert.ok(seen.length >= 151 / 32, `progress reported per batch (${seen.length} times)`);
      // The Manifest comes only in the last report: every fragment was counted before it.
      assert.ok(seen.slice(0, -1).every((p) => p.objects <= 150));
      for (const [i, obj] of plan.objects.slice(0, -1).entries()) {
        const r = obj.body as { offset: number; size: number };
        assert.ok((await readFile(join(out, obj.key))).equals(source.subarray(r.offset, r.offset + r.size)), `object ${i}`);
      }
      assert.equal(await readFile(join(out, 'Manifest'), 'utf8'), '<SmoothStreamingMedia/>');
    });
  });
}

test('a prestarted writer thread is taken by the next pool, writes its objects and ends with it', async () => {
  await withSource(async (dir, file) => {
    const before = threadCount();
    prestartWriter();
    assert.equal(threadCount(), before + 1, 'the prestarted thread runs');
    const plan = rangePlan(file, 40);
    const out = join(dir, 'out');
    await writePlanToFolder(plan, out);
    for (const [i, obj] of plan.objects.slice(0, -1).entries()) {
      const r = obj.body as { offset: number; size: number };
      assert.ok((await readFile(join(out, obj.key))).equals(source.subarray(r.offset, r.offset + r.size)), `object ${i}`);
    }
    // Not taken, it would still be running (it waits for a setup that never comes).
    assert.equal(threadCount(), before, 'no thread left once the pool closed');
  });
});

test('with no concurrency asked for a pool has a writer thread a core, up to two, and takes as many prestarted', async () => {
  await withSource(async (dir, file) => {
    const threads = defaultWriterThreads();
    assert.equal(threads, Math.min(2, availableParallelism()));
    const before = threadCount();
    prestartWriter(threads);
    assert.equal(threadCount(), before + threads, 'the prestarted threads run');
    let most = 0;
    const plan = rangePlan(file, 40);
    const out = join(dir, 'out');
    await writePlanToFolder(plan, out, { onProgress: () => (most = Math.max(most, threadCount())) });
    assert.equal(most, before + threads, 'the pool took the prestarted threads and started none');
    assert.equal((await readdir(join(out, 'QualityLevels(1)'))).length, 40, 'every fragment written');
    assert.equal(threadCount(), before, 'no thread left once the pool closed');
  });
});

test('a prestarted writer thread no pool takes does not keep the process alive', () => {
  const script = `import { prestartWriter } from ${JSON.stringify(new URL('../../src/package/writerPool.js', import.meta.url).href)}; prestartWriter(); process.stdout.write('started');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.signal, null, 'ended on its own, not killed at the timeout');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'started');
});

test('fragments sent early: those the plan keeps stay, the others and folders it does not use go, the rest is written; progress counts each once', async () => {
  await withSource(async (dir, file) => {
    const out = join(dir, 'out');
    await mkdir(out);
    const plan = rangePlan(file, 100);
    const kept = plan.objects.slice(0, 60);
    // Early guesses the plan does not keep: another stream's name in a folder of its own, and a planned key with other bytes.
    const renamed = kept.slice(0, 40).map((o) => ({ ...o, key: o.key.replace('QualityLevels(1)/Fragments(video=', 'QualityLevels(7)/Fragments(audio=') }));
    const otherBytes = { ...plan.objects[70]!, body: { kind: 'range' as const, file, offset: 5, size: 999 } };
    const seen: WriteProgress[] = [];
    const writing = new FolderWriting(out, { onProgress: (p) => seen.push(p) });
    try {
      writing.sendEarly(kept);
      writing.sendEarly([...renamed, otherBytes]);
      await writing.finish(plan);
    } finally {
      await writing.close();
    }
    assert.deepEqual((await readdir(out)).sort(), ['Manifest', 'QualityLevels(1)']);
    assert.equal((await readdir(join(out, 'QualityLevels(1)'))).length, 100);
    for (const [i, obj] of plan.objects.slice(0, -1).entries()) {
      const r = obj.body as { offset: number; size: number };
      assert.ok((await readFile(join(out, obj.key))).equals(source.subarray(r.offset, r.offset + r.size)), `object ${i}`);
    }
    assert.deepEqual(seen.at(-1), { objects: 101, totalObjects: 101, bytes: plan.totalBytes, totalBytes: plan.totalBytes });
  });
});

test('an abort stops the writer threads: the promise rejects with the reason, no Manifest, nothing lands afterwards', async () => {
  await withSource(async (dir, file) => {
    const out = join(dir, 'out');
    const controller = new AbortController();
    const plan = rangePlan(file, 2000);
    const threadsBefore = threadCount();
    const run = writePlanToFolder(plan, out, { signal: controller.signal, onProgress: (p) => p.objects >= 64 && controller.abort() });
    await assert.rejects(run, (e: Error) => e.name === 'AbortError');
    const count = async (): Promise<number> => (await readdir(join(out, 'QualityLevels(1)'))).length;
    const after = await count();
    assert.ok(after >= 64 && after < 2000, `${after} fragments written before the abort took effect`);
    // No write can land once no writer thread is left; they are gone when the promise settles.
    assert.ok(threadCount() <= threadsBefore, `${threadCount() - threadsBefore} writer thread(s) still running after the promise settled`);
    assert.equal(await count(), after, 'no write after the promise settled');
    assert.equal(existsSync(join(out, 'Manifest')), false);
  });
});

test('a source that ends early fails with input.read-failed naming it and the byte offset, from the writer thread', async () => {
  await withSource(async (dir, file) => {
    const plan = rangePlan(file, 3);
    plan.objects[1]!.body = { kind: 'range', file, offset: source.length - 100, size: 5000 };
    await assert.rejects(writePlanToFolder(plan, join(dir, 'out')), (e: unknown) => {
      assert.ok(isSmoothpubError(e), String(e));
      assert.equal(e.code, ErrorCode.READ_FAILED);
      assert.deepEqual(e.context, { file, offset: source.length });
      assert.match(e.message, /source ended at byte \d+, expected 4900 more bytes/);
      return true;
    });
  });
});

test('a file already there is output.exists naming the path', async () => {
  await withSource(async (dir, file) => {
    const out = join(dir, 'out');
    await mkdir(join(out, 'QualityLevels(1)'), { recursive: true });
    await writeFile(join(out, 'QualityLevels(1)', 'Fragments(video=2)'), 'x');
    await assert.rejects(writePlanToFolder(rangePlan(file, 5), out), (e: unknown) => {
      assert.ok(isSmoothpubError(e));
      assert.equal(e.code, ErrorCode.OUTPUT_EXISTS);
      assert.match(e.message, /EEXIST/);
      assert.equal(e.context.file, join(out, 'QualityLevels(1)', 'Fragments(video=2)'));
      return true;
    });
    assert.equal(existsSync(join(out, 'Manifest')), false);
  });
});

test('senders waiting for room side by side all get it (levels protected at once each send their fragments)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-pool-'));
  try {
    const pool = new WriterPool(dir, 1, () => {});
    try {
      // Ten senders at once on one thread that holds two batches: eight must wait, and every one must be woken.
      await Promise.all(Array.from({ length: 10 }, (_, i) => pool.send([{ key: `f${i}`, parts: [Uint8Array.of(i)] }], 1)));
      await pool.drain();
    } finally {
      await pool.close();
    }
    assert.deepEqual((await readdir(dir)).sort(), Array.from({ length: 10 }, (_, i) => `f${i}`).sort());
    assert.deepEqual([...(await readFile(join(dir, 'f7')))], [7]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
