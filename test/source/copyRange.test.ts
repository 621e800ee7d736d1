import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyRange, nativeCopyAvailable, nativeCopyStats, type NativeCopyStats } from '../../src/source/copyRange.js';
import { isSmoothpubError, ErrorCode } from '../../src/errors.js';
import { requireAddon } from '../harness/ci.js';
import { mulberry32 } from '../harness/mulberry32.js';
import { withNative } from '../harness/native.js';

const SOURCE_SIZE = 3 * 1024 * 1024 + 123;
const random = mulberry32(7);
const source = Uint8Array.from({ length: SOURCE_SIZE }, () => Math.floor(random() * 256));

/** Runs `fn` with the addon forced off (SMOOTHPUB_NO_NATIVE=1) or on. */
function withPath<T>(path: 'native' | 'js', fn: () => Promise<T>): Promise<T> {
  return withNative(path === 'native', fn);
}

/** The addon's counts, or zeros without it (then nothing can have gone through the kernel). */
async function kernelCounts(): Promise<NativeCopyStats> {
  return (await withNative(true, () => nativeCopyStats())) ?? { calls: 0, bytes: 0 };
}

/** What went through copy_file_range(2) while `fn` ran, by the addon's own count. */
async function kernelCopies(fn: () => Promise<unknown>): Promise<NativeCopyStats> {
  const before = await kernelCounts();
  await fn();
  const after = await kernelCounts();
  return { calls: after.calls - before.calls, bytes: after.bytes - before.bytes };
}

async function copyToNewFile(dir: string, name: string, offset: number, size: number, from = join(dir, 'source')): Promise<Buffer> {
  const src = await open(from, 'r');
  const out = await open(join(dir, name), 'wx');
  try {
    await copyRange(src, from, offset, size, out);
  } finally {
    await out.close();
    await src.close();
  }
  return readFile(join(dir, name));
}

const ranges: [string, number, number][] = [
  ['offset 0', 0, 1000],
  ['middle', 777_777, 65_536],
  ['to the end', SOURCE_SIZE - 4321, 4321],
  ['over 1 MiB', 12_345, 2 * 1024 * 1024 + 17],
  ['0 bytes', 500, 0],
];

test('the addon is built where copyRange looks for it (npm install runs node-gyp) and counts its copies', async (t) => {
  if (!requireAddon(t, 'copy_file_range')) return;
  await withPath('native', async () => {
    assert.equal(nativeCopyAvailable(), true);
    const stats = nativeCopyStats();
    assert.ok(stats !== undefined, 'the addon has stats(): rebuild it (npm ci)');
    assert.equal(typeof stats.calls, 'number');
  });
});

test('SMOOTHPUB_NO_NATIVE=1 forces the portable path', async () => {
  await withPath('js', async () => assert.equal(nativeCopyAvailable(), false));
});

for (const path of ['native', 'js'] as const) {
  test(`${path} path: ranges are copied byte for byte`, async (t) => {
    if (path === 'native' && !requireAddon(t, 'copy_file_range')) return;
    const dir = await mkdtemp(join(tmpdir(), 'smoothpub-copy-'));
    try {
      await writeFile(join(dir, 'source'), source);
      for (const [name, offset, size] of ranges) {
        let copied: Buffer = Buffer.alloc(0);
        const kernel = await kernelCopies(async () => (copied = await withPath(path, () => copyToNewFile(dir, name, offset, size))));
        assert.equal(copied.length, size, name);
        assert.ok(copied.equals(source.subarray(offset, offset + size)), `${name}: bytes differ`);
        // The native path copies every byte in the kernel (nothing to ask for 0 bytes); the portable path none.
        assert.deepEqual(kernel, path === 'native' && size > 0 ? { calls: 1, bytes: size } : { calls: 0, bytes: 0 }, `${name}: kernel copies`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test(`${path} path: a source shorter than the range is ${ErrorCode.READ_FAILED}`, async (t) => {
    if (path === 'native' && !requireAddon(t, 'copy_file_range')) return;
    const dir = await mkdtemp(join(tmpdir(), 'smoothpub-copy-'));
    try {
      await writeFile(join(dir, 'source'), source.subarray(0, 10_000));
      const kernel = await kernelCopies(() =>
        assert.rejects(
          withPath(path, () => copyToNewFile(dir, 'short', 9_000, 2_000)),
          (e: unknown) => isSmoothpubError(e) && e.code === ErrorCode.READ_FAILED && e.context.offset === 10_000 && e.context.file === join(dir, 'source'),
        ),
      );
      // The kernel copies what there is, comes back short, and the portable path finds the end.
      assert.deepEqual(kernel, path === 'native' ? { calls: 1, bytes: 1_000 } : { calls: 0, bytes: 0 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('a copy the kernel refuses (EINVAL: overlapping ranges of one file) falls back to read/write with the same bytes', async (t) => {
  if (!requireAddon(t, 'copy_file_range')) return;
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-copy-'));
  try {
    await writeFile(join(dir, 'source'), source);
    const file = await open(join(dir, 'source'), 'r+');
    const size = 2 * 1024 * 1024 + 17;
    try {
      // copy_file_range(2) answers EINVAL for overlapping ranges of one file, as for a
      // destination that is not a regular file. Copying towards the start, chunk by chunk,
      // reads each chunk before any write reaches it.
      const kernel = await kernelCopies(() => withPath('native', () => copyRange(file, 'source', 1000, size, file, undefined, 500)));
      assert.deepEqual(kernel, { calls: 1, bytes: 0 }, 'the kernel was asked and refused');
    } finally {
      await file.close();
    }
    const got = await readFile(join(dir, 'source'));
    assert.equal(got.length, SOURCE_SIZE);
    assert.ok(got.subarray(0, 500).equals(source.subarray(0, 500)), 'bytes before the destination unchanged');
    assert.ok(got.subarray(500, 500 + size).equals(source.subarray(1000, 1000 + size)), 'the range copied');
    assert.ok(got.subarray(500 + size).equals(source.subarray(500 + size)), 'bytes after the destination unchanged');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

for (const path of ['native', 'js'] as const) {
  test(`copyRange (${path}) writes at the given offset of the destination`, async (t) => {
    if (path === 'native' && !requireAddon(t, 'copy_file_range')) return;
    const dir = await mkdtemp(join(tmpdir(), 'smoothpub-copy-at-'));
    try {
      await writeFile(join(dir, 'source'), source);
      const src = await open(join(dir, 'source'), 'r');
      const out = await open(join(dir, 'out'), 'wx');
      try {
        await out.write(Uint8Array.of(1, 2, 3), 0, 3, 0);
        const kernel = await kernelCopies(() => withPath(path, () => copyRange(src, 'source', 1000, 5000, out, undefined, 3)));
        assert.deepEqual(kernel, path === 'native' ? { calls: 1, bytes: 5000 } : { calls: 0, bytes: 0 });
      } finally {
        await out.close();
        await src.close();
      }
      const got = await readFile(join(dir, 'out'));
      assert.equal(got.length, 5003);
      assert.deepEqual([...got.subarray(0, 3)], [1, 2, 3]);
      assert.ok(got.subarray(3).equals(source.subarray(1000, 6000)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
