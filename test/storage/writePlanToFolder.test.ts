import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ByteRun } from '../../src/index/types.js';
import type { Plan } from '../../src/plan/plan.js';
import { writePlanToFolder } from '../../src/storage/writePlanToFolder.js';
import { mulberry32 } from '../harness/mulberry32.js';

const random = mulberry32(11);
const source = Uint8Array.from({ length: 3 * 1024 * 1024 }, () => Math.floor(random() * 256));
const head = Uint8Array.from({ length: 77 }, (_, i) => 255 - i);

/** A built fragment: `head` then the runs, as a plain MP4's fragment is laid out. */
function builtBody(file: string, runs: ByteRun[]): Plan['objects'][number]['body'] {
  const size = head.length + runs.reduce((s, r) => s + r.size, 0);
  return { kind: 'range', file, offset: runs[0]!.offset, size, built: { head: () => head, runs: () => runs } };
}

function expected(runs: ByteRun[]): Buffer {
  return Buffer.concat([head, ...runs.map((r) => source.subarray(r.offset, r.offset + r.size))]);
}

test('built fragments are written byte for byte: few runs by kernel copy, many close runs as one span, spans larger than the copy buffer', async () => {
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
    await writePlanToFolder(plan, join(dir, 'out'));
    for (const [name, runs] of Object.entries(cases)) {
      const got = await readFile(join(dir, 'out', 'f', name));
      assert.ok(got.equals(expected(runs)), `${name}: ${got.length} bytes written, ${expected(runs).length} expected`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
