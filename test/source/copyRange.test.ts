import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyRange, nativeCopyAvailable } from '../../src/source/copyRange.js';
import { isSmoothpubError, ErrorCode } from '../../src/errors.js';
import { mulberry32 } from '../harness/mulberry32.js';

const SOURCE_SIZE = 3 * 1024 * 1024 + 123;
const random = mulberry32(7);
const source = Uint8Array.from({ length: SOURCE_SIZE }, () => Math.floor(random() * 256));

/** Runs `fn` with the addon forced off (SMOOTHPUB_NO_NATIVE=1) or left as installed. */
async function withPath<T>(path: 'native' | 'js', fn: () => Promise<T>): Promise<T> {
  const saved = process.env['SMOOTHPUB_NO_NATIVE'];
  if (path === 'js') process.env['SMOOTHPUB_NO_NATIVE'] = '1';
  else delete process.env['SMOOTHPUB_NO_NATIVE'];
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env['SMOOTHPUB_NO_NATIVE'];
    else process.env['SMOOTHPUB_NO_NATIVE'] = saved;
  }
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

test('the addon is built where copyRange looks for it (npm install runs node-gyp)', (t) => {
  // A machine without a compiler installs fine and only uses the portable path.
  if (!existsSync('build/Release/copy_file_range.node')) return t.skip('addon not built here');
  assert.equal(nativeCopyAvailable(), true);
  return undefined;
});

test('SMOOTHPUB_NO_NATIVE=1 forces the portable path', async () => {
  await withPath('js', async () => assert.equal(nativeCopyAvailable(), false));
});

for (const path of ['native', 'js'] as const) {
  test(`${path} path: ranges are copied byte for byte`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'smoothpub-copy-'));
    try {
      await writeFile(join(dir, 'source'), source);
      for (const [name, offset, size] of ranges) {
        const copied = await withPath(path, () => copyToNewFile(dir, name, offset, size));
        assert.equal(copied.length, size, name);
        assert.ok(copied.equals(source.subarray(offset, offset + size)), `${name}: bytes differ`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test(`${path} path: a source shorter than the range is ${ErrorCode.READ_FAILED}`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'smoothpub-copy-'));
    try {
      await writeFile(join(dir, 'source'), source.subarray(0, 10_000));
      await assert.rejects(
        withPath(path, () => copyToNewFile(dir, 'short', 9_000, 2_000)),
        (e: unknown) => isSmoothpubError(e) && e.code === ErrorCode.READ_FAILED && e.context.offset === 10_000 && e.context.file === join(dir, 'source'),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('a destination the kernel refuses to copy_file_range into (a device) falls back to read/write', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-copy-'));
  try {
    await writeFile(join(dir, 'source'), source);
    const src = await open(join(dir, 'source'), 'r');
    const out = await open('/dev/null', 'w');
    try {
      // copy_file_range(2) answers EINVAL for a non-regular file; the copy must still succeed.
      await withPath('native', () => copyRange(src, 'source', 100, 2 * 1024 * 1024, out));
    } finally {
      await out.close();
      await src.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

for (const path of ['native', 'js'] as const) {
  test(`copyRange (${path}) writes at the given offset of the destination`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'smoothpub-copy-at-'));
    try {
      await writeFile(join(dir, 'source'), source);
      const src = await open(join(dir, 'source'), 'r');
      const out = await open(join(dir, 'out'), 'wx');
      try {
        await out.write(Uint8Array.of(1, 2, 3), 0, 3, 0);
        await withPath(path, () => copyRange(src, 'source', 1000, 5000, out, undefined, 3));
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
