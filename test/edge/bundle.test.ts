// The edge entry (`smoothpub/edge`) and the example worker bundle without any node module:
// esbuild builds for no platform, where `node:*` does not resolve, so one import of a node
// module anywhere on the origin's path fails the build; the metafile lists what went in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWorker } from '../../scripts/build-worker.js';
import { repoRoot } from '../e2e/helpers.js';

test('the example worker bundles for workerd with no node module in it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-edge-bundle-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const built = await buildWorker({ outfile: join(dir, 'worker.js') });
  assert.deepEqual(built.inputs.filter((i) => i.startsWith('node:') || /^(fs|path|crypto|os|buffer|stream|child_process)$/.test(i)), []);
  assert.ok(built.inputs.includes('src/origin/createOrigin.ts'), 'the origin handler is in the bundle');
  assert.ok(built.inputs.includes('src/edge/r2Root.ts'), 'the R2 root is in the bundle');
  for (const nodeOnly of ['src/origin/localRoot.ts', 'src/origin/nodeAdapter.ts', 'src/fragments/sidecar.ts', 'src/source/fileSource.ts']) assert.ok(!built.inputs.includes(nodeOnly), `${nodeOnly} stays out`);
  t.diagnostic(`worker bundle: ${built.bytes} bytes from ${built.inputs.length} modules`);
});

test('the same build fails on an entry that reaches a node module (the check can fail)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-edge-bundle-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const entry = join(dir, 'nodeWorker.ts');
  // The node entry's createOrigin takes folder paths: it brings the local root (node:fs).
  await writeFile(entry, `import { createOrigin } from ${JSON.stringify(join(repoRoot, 'src', 'origin', 'nodeOrigin.ts'))};\nexport default { fetch: createOrigin({ root: '/srv' }) };\n`);
  await assert.rejects(buildWorker({ entry, outfile: join(dir, 'out.js') }), (e: Error) => /node:(fs|path|crypto)/.test(e.message));
});
