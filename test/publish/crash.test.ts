// A publish killed halfway (kill -9) or interrupted (Ctrl-C) leaves no Manifest, and a
// re-run finishes the job without uploading again what already landed. The publisher
// talks to Azurite through the fault proxy at rate 0, which counts every PUT the store
// answered with 2xx, per path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planInputs } from '../../src/publish/publishPresentation.js';
import { verifyPresentation } from '../../src/verify/verifyPresentation.js';
import { startAzurite, type Azurite } from '../harness/azurite.js';
import { startFaultProxy, type FaultProxy } from '../harness/faultProxy.js';
import { inCI, run, toolPath } from '../e2e/helpers.js';
import { cliEnv, describeRun, listBlobs, startCli, statusOf, summaryOf, type CliResult } from './publishHelpers.js';

let az: Azurite;
let proxy: FaultProxy;
let tmp: string;
/** Sources with many small fragments (0.5 s GOPs), so that "halfway" means something. */
let inputs: string[] = [];
let planned = 0;
const missingFfmpeg = toolPath('ffmpeg') === undefined;

before(async () => {
  if (missingFfmpeg) {
    if (inCI) throw new Error('ffmpeg missing (CI is set, so this fails instead of skipping)');
    return;
  }
  tmp = await mkdtemp(join(tmpdir(), 'smoothpub-pub-crash-'));
  // Two video levels of 30 s with a fixed 0.5 s GOP: 60 fragments each, 121 objects with the Manifest.
  inputs = await Promise.all(
    [300, 150].map(async (kbps) => {
      const out = join(tmp, `v${kbps}.ismv`);
      const r = await run(
        'ffmpeg',
        ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=192x108:rate=24:duration=30', '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', `${kbps}k`,
          '-g', '12', '-keyint_min', '12', '-sc_threshold', '0', '-bf', '0', '-pix_fmt', 'yuv420p', '-f', 'ismv', out],
        60,
      );
      if (r.code !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
      return out;
    }),
  );
  planned = (await planInputs(inputs)).objects.length;
  az = await startAzurite();
  proxy = await startFaultProxy(az.endpoint, { rate: 0, seed: 1 });
});

after(async () => {
  await proxy?.close();
  await az?.stop();
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
});

const env = (): NodeJS.ProcessEnv => cliEnv({ AZURE_STORAGE_ACCOUNT: az.accountName, AZURE_STORAGE_KEY: az.accountKey });
const publishArgs = (prefix: string): string[] => ['publish', ...inputs, `az://crash/${prefix}`, '--endpoint', `${proxy.url}/${az.accountName}`, '--public', '--concurrency', '1', '--json'];

/** Successful PUTs per object key under `prefix`, as the proxy counted them. */
function putsUnder(prefix: string): Map<string, number> {
  const path = `PUT /${az.accountName}/crash/${prefix}/`;
  const out = new Map<string, number>();
  for (const [k, n] of proxy.succeeded) if (k.startsWith(path)) out.set(k.slice(path.length), n);
  return out;
}

/**
 * Runs the CLI and sends `signal` to it from inside the proxy, the moment the store has
 * answered the `after`-th object PUT under `prefix`: the proxy has not yet passed that answer
 * on, so the publisher is still waiting for it (with --concurrency 1, nothing else in flight).
 */
async function publishUntil(prefix: string, after: number, signal: NodeJS.Signals): Promise<CliResult> {
  const cli = startCli(publishArgs(prefix), env());
  const path = `PUT /${az.accountName}/crash/${prefix}/`;
  const succeeded = proxy.succeeded;
  const originalSet = succeeded.set.bind(succeeded);
  let count = 0;
  succeeded.set = (key: string, value: number) => {
    originalSet(key, value);
    if (key.startsWith(path) && ++count === after) cli.child.kill(signal);
    return succeeded;
  };
  try {
    return await cli.done;
  } finally {
    succeeded.set = originalSet;
  }
}

test('kill -9 halfway: no Manifest; the re-run uploads only the rest and verify passes', { timeout: 120_000 }, async (t) => {
  if (missingFfmpeg) return t.skip('missing tool: ffmpeg');
  const half = Math.floor(planned / 2);
  assert.ok(half >= 50, `a plan of ${planned} objects`);

  const killed = await publishUntil('video.ism', half, 'SIGKILL');
  assert.equal(killed.signal, 'SIGKILL', describeRun(killed));
  // Let the store finish whatever reached it (nothing should: the publisher was waiting).
  await new Promise((r) => setTimeout(r, 300));
  const before = putsUnder('video.ism');
  // Exactly `half`: the kill came while the publisher waited for the answer to PUT number
  // `half`, which the store had already committed; no other request was in flight.
  assert.equal(before.size, half);
  assert.ok(!before.has('Manifest'));
  const stored = await listBlobs(az, 'crash', 'video.ism');
  assert.deepEqual([...stored.keys()].sort(), [...before.keys()].sort(), 'the store holds exactly what the proxy counted');
  assert.equal(await statusOf(`${az.endpoint}/crash/video.ism/Manifest`, { method: 'HEAD' }), 404, 'no Manifest after the crash');

  const rerun = await startCli(publishArgs('video.ism'), env()).done;
  assert.equal(rerun.code, 0, describeRun(rerun));
  const summary = summaryOf(rerun);
  assert.equal(summary.objects, planned);
  assert.ok(summary.skipped >= before.size, `skipped ${summary.skipped} >= ${before.size} stored before the kill`);
  // Even the object whose answer the killed run never saw was committed, listed with its
  // MD5, and skipped: nothing is uploaded twice.
  assert.deepEqual({ skipped: summary.skipped, uploaded: summary.uploaded }, { skipped: half, uploaded: planned - half });
  const after = putsUnder('video.ism');
  assert.equal(after.size, planned, 'every object PUT');
  const twice = [...after].filter(([, n]) => n > 1).map(([k]) => k);
  assert.deepEqual(twice, [], 'no object uploaded twice');

  const report = await verifyPresentation(`${az.endpoint}/crash/video.ism/Manifest`);
  assert.deepEqual(report.problems, []);
  assert.equal(report.fragments, planned - 1);
});

test('Ctrl-C (SIGINT) stops with exit code 130 and leaves no Manifest', { timeout: 60_000 }, async (t) => {
  if (missingFfmpeg) return t.skip('missing tool: ffmpeg');
  const stopped = await publishUntil('sigint.ism', 5, 'SIGINT');
  assert.equal(stopped.code, 130, describeRun(stopped));
  assert.match(stopped.stdout, /"code":"interrupted"/, describeRun(stopped));
  await new Promise((r) => setTimeout(r, 300));
  const stored = await listBlobs(az, 'crash', 'sigint.ism');
  assert.ok(stored.size >= 5 && stored.size < planned, `${stored.size} objects stored`);
  assert.ok(!stored.has('Manifest'));
  assert.equal(await statusOf(`${az.endpoint}/crash/sigint.ism/Manifest`, { method: 'HEAD' }), 404);
});
