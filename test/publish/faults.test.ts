// Publishing through a proxy that fails a share of requests (500, 503 with Retry-After,
// connections dropped before or after the store did the work) still completes, and the
// result, checked against the store directly, is intact.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { verifyPresentation } from '../../src/verify/verifyPresentation.js';
import { startAzurite, type Azurite } from '../harness/azurite.js';
import { startFaultProxy, mulberry32, type FaultProxy } from '../harness/faultProxy.js';
import { startS3rver, type S3rver } from '../harness/s3rver.js';
import { waitUntil } from '../harness/waitUntil.js';
import { cleanIsm, cliEnv, describeRun, jsonLines, leakedSecrets, retriesOf, runCli, statusOf, summaryOf } from './publishHelpers.js';

const RATE = 0.3;

/**
 * The first seed whose first request is a fault: the very first request of a publish with
 * --cors is creating the container, before any object, so setup requests must be retried too.
 */
function seedFailingFirst(rate: number, from: number): number {
  for (let seed = from; ; seed++) if (mulberry32(seed)() < rate) return seed;
}

let az: Azurite;
let s3: S3rver;
const proxies: FaultProxy[] = [];

before(async () => {
  [az, s3] = await Promise.all([startAzurite(), startS3rver()]);
});

after(async () => {
  for (const p of proxies) await p.close();
  await Promise.all([az?.stop(), s3?.stop()]);
});

test(`Azure: ${RATE * 100}% of requests failing, publish completes with retries and verify passes`, { timeout: 120_000 }, async () => {
  const proxy = await startFaultProxy(az.endpoint, { rate: RATE, seed: seedFailingFirst(RATE, 1) });
  proxies.push(proxy);
  const r = await runCli(
    ['publish', cleanIsm, 'az://faulty/clean.ism', '--endpoint', `${proxy.url}/${az.accountName}`, '--public', '--cors', '*', '--policy', '--concurrency', '4', '--json'],
    cliEnv({ AZURE_STORAGE_ACCOUNT: az.accountName, AZURE_STORAGE_KEY: az.accountKey }),
  );
  const faults = `${proxy.faults} faults in ${proxy.requests} requests`;
  assert.equal(r.code, 0, `${faults}\n${describeRun(r)}`);
  const summary = summaryOf(r);
  assert.equal(summary.uploaded, summary.objects);
  assert.ok(summary.retries > 0, `retries in the summary (${faults})`);
  assert.ok(proxy.faults / proxy.requests >= 0.15, faults);
  const retryEvents = retriesOf(r.stdout);
  assert.equal(retryEvents.length, summary.retries, 'one retry event per retry');
  assert.deepEqual(leakedSecrets([r.stdout, r.stderr], [az.accountKey]), []);

  // Checked against Azurite directly, not through the proxy.
  const report = await verifyPresentation(`${az.endpoint}/faulty/clean.ism/Manifest`, { origin: 'http://player.example' });
  assert.deepEqual(report.problems, []);
  assert.equal(report.fragments, 16);
  assert.equal(await statusOf(`${az.endpoint}/$root/clientaccesspolicy.xml`), 200);
});

test('Azure: an outage halfway fails the run after its retries, without a Manifest; the next run finishes', { timeout: 120_000 }, async () => {
  const proxy = await startFaultProxy(az.endpoint, { rate: 0, seed: 7 });
  proxies.push(proxy);
  const args = ['publish', cleanIsm, 'az://outage/clean.ism', '--endpoint', `${proxy.url}/${az.accountName}`, '--public', '--retries', '2', '--concurrency', '2', '--json'];
  const env = cliEnv({ AZURE_STORAGE_ACCOUNT: az.accountName, AZURE_STORAGE_KEY: az.accountKey });
  // The store goes down (every request fails) once 8 objects have landed.
  const objectPuts = `PUT /${az.accountName}/outage/clean.ism/`;
  const succeeded = proxy.succeeded;
  const originalSet = succeeded.set.bind(succeeded);
  let landed = 0;
  succeeded.set = (key: string, value: number) => {
    originalSet(key, value);
    if (key.startsWith(objectPuts) && ++landed === 8) proxy.setRate(1);
    return succeeded;
  };
  const failed = await runCli(args, env);
  succeeded.set = originalSet;
  assert.equal(failed.code, 1, describeRun(failed));
  const error = jsonLines(failed.stdout).find((l) => l.event === 'error') as { code: string; message: string } | undefined;
  assert.equal(error?.code, 'store.request-failed', describeRun(failed));
  assert.match(error.message, /az:\/\/outage\/clean\.ism/);
  assert.equal(await statusOf(`${az.endpoint}/outage/clean.ism/Manifest`), 404, 'no Manifest after a failed run');
  // A request the store was still working on when the run gave up lands now, if at all.
  await waitUntil('the proxy to have passed on every answer of the store', () => proxy.idle);
  // During the outage a quarter of the faults drop the connection after the store did the
  // work, so an object may land more than once before the rerun: compare counts, not 1.
  const landedBefore = new Map([...proxy.succeeded].filter(([k]) => k.startsWith(objectPuts)));
  const before = landedBefore.size;

  proxy.setRate(0);
  const rerun = await runCli(args, env);
  assert.equal(rerun.code, 0, describeRun(rerun));
  const summary = summaryOf(rerun);
  assert.equal(summary.skipped, before, 'what landed before the outage is not uploaded again');
  assert.equal(summary.uploaded, summary.objects - before);
  assert.deepEqual([...landedBefore].filter(([k, n]) => proxy.succeeded.get(k) !== n), [], 'nothing that landed before is uploaded again');
  assert.deepEqual((await verifyPresentation(`${az.endpoint}/outage/clean.ism/Manifest`)).problems, []);
});

// A 5xx whose body is not S3's XML (this proxy's `injected 500`, a load balancer's page)
// reaches the S3 store as a deserialization Error carrying `$metadata`: it must be retried.
test(`S3: ${RATE * 100}% of requests failing, publish completes with retries and verify passes`, { timeout: 120_000 }, async () => {
  const proxy = await startFaultProxy(s3.endpoint, { rate: RATE, seed: seedFailingFirst(RATE, 100) });
  proxies.push(proxy);
  const r = await runCli(
    ['publish', cleanIsm, 's3://faulty/clean.ism', '--endpoint', proxy.url, '--cors', '*', '--policy', '--concurrency', '4', '--json'],
    cliEnv(s3.env),
  );
  const faults = `${proxy.faults} faults in ${proxy.requests} requests`;
  assert.equal(r.code, 0, `${faults}\n${describeRun(r)}`);
  const summary = summaryOf(r);
  assert.equal(summary.uploaded, summary.objects);
  assert.ok(summary.retries > 0, `retries in the summary (${faults})`);
  const report = await verifyPresentation(`${s3.endpoint}/faulty/clean.ism/Manifest`, { origin: 'http://player.example' });
  assert.deepEqual(report.problems, []);
  assert.equal(report.fragments, 16);
  assert.equal(await statusOf(`${s3.endpoint}/faulty/clientaccesspolicy.xml`), 200);
});
