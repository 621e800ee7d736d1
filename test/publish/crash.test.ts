// A publish killed halfway (kill -9) or interrupted (Ctrl-C) leaves no Manifest, and a
// re-run finishes the job without uploading again what already landed. The publisher
// talks to the store (Azurite; s3rver too, whose listing gives MD5s as ETags) through the
// fault proxy at rate 0, which counts every PUT the store answered with 2xx, per path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planInputs } from '../../src/publish/publishPresentation.js';
import { verifyPresentation } from '../../src/verify/verifyPresentation.js';
import { startAzurite, type Azurite } from '../harness/azurite.js';
import { startFaultProxy, type FaultProxy } from '../harness/faultProxy.js';
import { startS3rver, type S3rver } from '../harness/s3rver.js';
import { createS3Store } from '../../src/stores/s3Store.js';
import { run } from '../e2e/helpers.js';
import { haveTools, requireTools } from '../harness/ci.js';
import { waitUntil } from '../harness/waitUntil.js';
import { cliEnv, describeRun, listBlobs, startCli, statusOf, summaryOf, type CliResult } from './publishHelpers.js';

let az: Azurite;
let s3: S3rver;
const proxies: FaultProxy[] = [];
let tmp: string;
/** Sources with many small fragments (0.5 s GOPs), so that "halfway" means something. */
let inputs: string[] = [];
let planned = 0;

/** A store behind a counting proxy, as the tests need it. */
interface Target {
  name: string;
  proxy: FaultProxy;
  /** CLI arguments naming the destination `prefix` (through the proxy) and its credentials. */
  args(prefix: string): string[];
  env(): NodeJS.ProcessEnv;
  /** How the proxy names a PUT of an object under `prefix`, up to the key. */
  putPath(prefix: string): string;
  /** Keys stored under `prefix`, asked of the store directly. */
  list(prefix: string): Promise<string[]>;
  /** The Manifest URL on the store directly (anonymous). */
  manifestUrl(prefix: string): string;
}
const targets: Target[] = [];

before(async () => {
  // Without ffmpeg there is nothing to publish: each test then skips, or fails under CI.
  if (!haveTools('ffmpeg')) return;
  tmp = await mkdtemp(join(tmpdir(), 'smoothpub-pub-crash-'));
  const emulators = Promise.all([startAzurite(), startS3rver()]);
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
  [az, s3] = await emulators;
  const [azProxy, s3Proxy] = await Promise.all([startFaultProxy(az.endpoint, { rate: 0, seed: 1 }), startFaultProxy(s3.endpoint, { rate: 0, seed: 1 })]);
  proxies.push(azProxy, s3Proxy);
  targets.push(
    {
      name: 'Azure',
      proxy: azProxy,
      args: (prefix) => [`az://crash/${prefix}`, '--endpoint', `${azProxy.url}/${az.accountName}`, '--public'],
      env: () => cliEnv({ AZURE_STORAGE_ACCOUNT: az.accountName, AZURE_STORAGE_KEY: az.accountKey }),
      putPath: (prefix) => `PUT /${az.accountName}/crash/${prefix}/`,
      list: async (prefix) => [...(await listBlobs(az, 'crash', prefix)).keys()],
      manifestUrl: (prefix) => `${az.endpoint}/crash/${prefix}/Manifest`,
    },
    {
      name: 'S3',
      proxy: s3Proxy,
      args: (prefix) => [`s3://crash/${prefix}`, '--endpoint', s3Proxy.url],
      env: () => cliEnv(s3.env),
      putPath: (prefix) => `PUT /crash/${prefix}/`,
      list: async (prefix) => {
        const store = await createS3Store({ bucket: 'crash', prefix, endpoint: s3.endpoint, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
        const keys: string[] = [];
        for await (const o of store.list()) keys.push(o.key);
        await store.close?.();
        return keys;
      },
      manifestUrl: (prefix) => `${s3.endpoint}/crash/${prefix}/Manifest`,
    },
  );
});

after(async () => {
  for (const p of proxies) await p.close();
  await Promise.all([az?.stop(), s3?.stop()]);
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
});

const publishArgs = (target: Target, prefix: string): string[] => ['publish', ...inputs, ...target.args(prefix), '--concurrency', '1', '--json'];

/** Successful PUTs per object key under `prefix`, as the proxy counted them. */
function putsUnder(target: Target, prefix: string): Map<string, number> {
  const path = target.putPath(prefix);
  const out = new Map<string, number>();
  for (const [k, n] of target.proxy.succeeded) if (k.startsWith(path)) out.set(k.slice(path.length), n);
  return out;
}

/**
 * Runs the CLI and sends `signal` to it from inside the proxy, the moment the store has
 * answered the `after`-th object PUT under `prefix`: the proxy has not yet passed that answer
 * on, so the publisher is still waiting for it (with --concurrency 1, nothing else in flight).
 */
async function publishUntil(target: Target, prefix: string, after: number, signal: NodeJS.Signals): Promise<CliResult & { afterSignalMs: number }> {
  const cli = startCli(publishArgs(target, prefix), target.env());
  const path = target.putPath(prefix);
  const succeeded = target.proxy.succeeded;
  const originalSet = succeeded.set.bind(succeeded);
  let count = 0;
  let sent = 0;
  succeeded.set = (key: string, value: number) => {
    originalSet(key, value);
    if (key.startsWith(path) && ++count === after) {
      sent = Date.now();
      cli.child.kill(signal);
    }
    return succeeded;
  };
  try {
    const res = await cli.done;
    return { ...res, afterSignalMs: Date.now() - sent };
  } finally {
    succeeded.set = originalSet;
  }
}

for (const name of ['Azure', 'S3']) {
  test(`${name}: kill -9 halfway: no Manifest; the re-run uploads only the rest and verify passes`, { timeout: 120_000 }, async (t) => {
    if (!requireTools(t, 'ffmpeg')) return;
    const target = targets.find((x) => x.name === name)!;
    const half = Math.floor(planned / 2);
    assert.ok(half >= 50, `a plan of ${planned} objects`);

    const killed = await publishUntil(target, 'video.ism', half, 'SIGKILL');
    assert.equal(killed.signal, 'SIGKILL', describeRun(killed));
    // Let the store finish whatever reached it (nothing should: the publisher was waiting).
    await waitUntil('the proxy to have passed on every answer of the store', () => target.proxy.idle);
    const before = putsUnder(target, 'video.ism');
    // Exactly `half`: the kill came while the publisher waited for the answer to PUT number
    // `half`, which the store had already committed; no other request was in flight.
    assert.equal(before.size, half);
    assert.ok(!before.has('Manifest'));
    assert.deepEqual((await target.list('video.ism')).sort(), [...before.keys()].sort(), 'the store holds exactly what the proxy counted');
    assert.equal(await statusOf(target.manifestUrl('video.ism'), { method: 'HEAD' }), 404, 'no Manifest after the crash');

    const rerun = await startCli(publishArgs(target, 'video.ism'), target.env()).done;
    assert.equal(rerun.code, 0, describeRun(rerun));
    const summary = summaryOf(rerun);
    assert.equal(summary.objects, planned);
    assert.ok(summary.skipped >= before.size, `skipped ${summary.skipped} >= ${before.size} stored before the kill`);
    // Even the object whose answer the killed run never saw was committed, listed with its
    // MD5, and skipped: nothing is uploaded twice.
    assert.deepEqual({ skipped: summary.skipped, uploaded: summary.uploaded }, { skipped: half, uploaded: planned - half });
    const after = putsUnder(target, 'video.ism');
    assert.equal(after.size, planned, 'every object PUT');
    const twice = [...after].filter(([, n]) => n > 1).map(([k]) => k);
    assert.deepEqual(twice, [], 'no object uploaded twice');

    const report = await verifyPresentation(target.manifestUrl('video.ism'));
    assert.deepEqual(report.problems, []);
    assert.equal(report.fragments, planned - 1);
  });
}

for (const [signal, code, name] of [['SIGINT', 130, 'Ctrl-C (SIGINT)'], ['SIGTERM', 143, 'SIGTERM']] as const) {
  test(`${name} stops with exit code ${code} within 5 s and leaves no Manifest`, { timeout: 60_000 }, async (t) => {
    if (!requireTools(t, 'ffmpeg')) return;
    const target = targets.find((x) => x.name === 'Azure')!;
    const prefix = `${signal.toLowerCase()}.ism`;
    const stopped = await publishUntil(target, prefix, 5, signal);
    assert.equal(stopped.code, code, describeRun(stopped));
    assert.ok(stopped.afterSignalMs < 5000, `ended ${stopped.afterSignalMs} ms after the signal`);
    assert.match(stopped.stdout, new RegExp(`"code":"interrupted","message":"interrupted by ${signal}"`), describeRun(stopped));
    await waitUntil('the proxy to have passed on every answer of the store', () => target.proxy.idle);
    const stored = await target.list(prefix);
    assert.ok(stored.length >= 5 && stored.length < planned, `${stored.length} objects stored`);
    assert.ok(!stored.includes('Manifest'));
    assert.equal(await statusOf(target.manifestUrl(prefix), { method: 'HEAD' }), 404);
  });
}
