// Bad destinations and credentials end in one clear line (or one JSON object) with a code a
// user can act on, and no key, SAS signature or connection string is ever printed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  AccountSASPermissions,
  AccountSASResourceTypes,
  AccountSASServices,
  SASProtocol,
  StorageSharedKeyCredential,
  generateAccountSASQueryParameters,
} from '@azure/storage-blob';
import { verifyPresentation } from '../../src/verify/verifyPresentation.js';
import { startAzurite, type Azurite } from '../harness/azurite.js';
import { freePort } from '../harness/emulator.js';
import { startS3rver, type S3rver } from '../harness/s3rver.js';
import { cleanIsm, cliEnv, describeRun, jsonLines, leakedSecrets, listBlobs, retriesOf, runCli, statusOf, summaryOf, type CliResult } from './publishHelpers.js';

let az: Azurite;
let s3: S3rver;
let closedPort: number;
/** A well-formed account key that is not Azurite's. */
const WRONG_KEY = randomBytes(64).toString('base64');
const AWS_SECRET = `aws-secret-${randomBytes(12).toString('hex')}`;

before(async () => {
  [az, s3, closedPort] = await Promise.all([startAzurite(), startS3rver(), freePort()]);
});

after(async () => {
  await Promise.all([az?.stop(), s3?.stop()]);
});

function accountSas(): string {
  return generateAccountSASQueryParameters(
    {
      permissions: AccountSASPermissions.parse('rwdlacup'),
      resourceTypes: AccountSASResourceTypes.parse('sco').toString(),
      services: AccountSASServices.parse('b').toString(),
      protocol: SASProtocol.HttpsAndHttp,
      expiresOn: new Date(Date.now() + 3600_000),
    },
    new StorageSharedKeyCredential(az.accountName, az.accountKey),
  ).toString();
}

/** The `sig` value of a SAS query, decoded. */
function sigOf(sas: string): string {
  const sig = new URLSearchParams(sas).get('sig');
  assert.ok(sig !== null && sig.length > 20);
  return sig;
}

interface Expected {
  code: string;
  /** 1 (failed) unless said otherwise. */
  exit?: number[];
  secrets: string[];
  /** The message must match, e.g. name the store. */
  message?: RegExp;
}

/** One `error <code>: ...` line on stderr, nothing secret anywhere; returns the message. */
function assertFailed(r: CliResult, e: Expected): string {
  assert.ok((e.exit ?? [1]).includes(r.code ?? -1), describeRun(r));
  const line = r.stderr.split('\n').find((l) => l.startsWith('error '));
  assert.ok(line !== undefined, `an error line: ${describeRun(r)}`);
  assert.ok(line.startsWith(`error ${e.code}: `), line);
  if (e.message) assert.match(line, e.message);
  assert.deepEqual(leakedSecrets([r.stdout, r.stderr], e.secrets), [], describeRun(r));
  return line;
}

/** The same failure with --json: one error object on stdout, nothing secret. */
function assertFailedJson(r: CliResult, e: Expected): void {
  assert.ok((e.exit ?? [1]).includes(r.code ?? -1), describeRun(r));
  const error = jsonLines(r.stdout).find((l) => l.event === 'error') as { code: string; message: string } | undefined;
  assert.ok(error !== undefined, describeRun(r));
  assert.equal(error.code, e.code);
  if (e.message) assert.match(error.message, e.message);
  assert.deepEqual(leakedSecrets([r.stdout, r.stderr], e.secrets), [], describeRun(r));
}

const publish = (dest: string, env: NodeJS.ProcessEnv, ...extra: string[]): Promise<CliResult> => runCli(['publish', cleanIsm, dest, ...extra], cliEnv(env));

test('a wrong account key: store.auth, neither key printed', async () => {
  const connectionString = az.connectionString.replace(az.accountKey, WRONG_KEY);
  const secrets = [WRONG_KEY, az.accountKey, connectionString];
  const expected = { code: 'store.auth', secrets, message: /az:\/\/media\/wrong\.ism/ };
  const keyEnv = { AZURE_STORAGE_ACCOUNT: az.accountName, AZURE_STORAGE_KEY: WRONG_KEY };
  const [text, json, keyText, keyJson, dryRun] = await Promise.all([
    publish('az://media/wrong.ism', { AZURE_STORAGE_CONNECTION_STRING: connectionString }, '--policy', '--cors', '*'),
    publish('az://media/wrong.ism', { AZURE_STORAGE_CONNECTION_STRING: connectionString }, '--json'),
    publish('az://media/wrong.ism', keyEnv, '--endpoint', az.endpoint),
    publish('az://media/wrong.ism', keyEnv, '--endpoint', az.endpoint, '--json'),
    // A dry run lists the destination: a refused listing is not "everything is new".
    publish('az://media/wrong.ism', keyEnv, '--endpoint', az.endpoint, '--dry-run'),
  ]);
  assertFailed(text, expected);
  assertFailedJson(json, expected);
  assertFailed(keyText, expected);
  assertFailedJson(keyJson, expected);
  assertFailed(dryRun, expected);
});

test('an account SAS publishes; verify reads back with the SAS; the signature is never printed', async () => {
  const sas = accountSas();
  const secrets = [sigOf(sas), sas];
  const r = await publish('az://sas/video.ism', { AZURE_STORAGE_ACCOUNT: az.accountName, AZURE_STORAGE_SAS_TOKEN: `?${sas}` }, '--endpoint', az.endpoint, '--policy', '--json');
  assert.equal(r.code, 0, describeRun(r));
  assert.equal(summaryOf(r).uploaded, 19);
  assert.deepEqual(leakedSecrets([r.stdout, r.stderr], secrets), []);
  // The container is private: anonymous reads fail, reads with the SAS pass.
  const anonymous = await verifyPresentation(`${az.endpoint}/sas/video.ism/Manifest`, { retries: 0 });
  assert.equal(anonymous.ok, false);
  const report = await verifyPresentation(`${az.endpoint}/sas/video.ism/Manifest?${sas}`);
  assert.deepEqual(report.problems, []);
  assert.equal(report.fragments, 16);
  assert.deepEqual(leakedSecrets([JSON.stringify(report)], secrets), []);
  // The same SAS in a connection string.
  const cs = `BlobEndpoint=${az.endpoint};SharedAccessSignature=${sas}`;
  const again = await publish('az://sas/video.ism', { AZURE_STORAGE_CONNECTION_STRING: cs }, '--json');
  assert.equal(again.code, 0, describeRun(again));
  assert.equal(summaryOf(again).skipped, 17);
  assert.deepEqual(leakedSecrets([again.stdout, again.stderr], [...secrets, cs]), []);
});

test('a corrupted SAS: store.auth without the signature', async () => {
  const sas = accountSas();
  const forged = randomBytes(32).toString('base64');
  const bad = sas.replace(/sig=[^&]*/, `sig=${encodeURIComponent(forged)}`);
  assert.notEqual(bad, sas);
  const expected = { code: 'store.auth', secrets: [sigOf(sas), forged, bad] };
  const env = { AZURE_STORAGE_ACCOUNT: az.accountName, AZURE_STORAGE_SAS_TOKEN: bad };
  const [text, json] = await Promise.all([publish('az://forged/video.ism', env, '--endpoint', az.endpoint), publish('az://forged/video.ism', env, '--endpoint', az.endpoint, '--json')]);
  assertFailed(text, expected);
  assertFailedJson(json, expected);
  assert.equal((await listBlobs(az, 'forged', 'video.ism').catch(() => new Map())).size, 0, 'nothing stored');
});

test('bad destination names: publish.bad-destination before any request', async () => {
  const env = { AZURE_STORAGE_CONNECTION_STRING: az.connectionString };
  const secrets = [az.accountKey];
  const [bad, badJson, badBucket, dotDot, scheme, noCredentials, s3Public] = await Promise.all([
    publish('az://Bad_Name/x', env),
    publish('az://Bad_Name/x', env, '--json'),
    publish('s3://Bad_Bucket/x', s3.env),
    publish('az://media/a/../b', env),
    publish('https://example.invalid/x', env),
    // No credentials at all (and no endpoint, so nothing to ask): say which variables to set.
    publish('az://media/x.ism', {}),
    // --public is for Azure containers; on S3 it is refused before any request.
    publish('s3://media/x.ism', s3.env, '--endpoint', s3.endpoint, '--public'),
  ]);
  assertFailed(bad, { code: 'publish.bad-destination', exit: [1, 2], secrets, message: /Bad_Name.*lowercase/ });
  assertFailedJson(badJson, { code: 'publish.bad-destination', exit: [1, 2], secrets });
  assertFailed(badBucket, { code: 'publish.bad-destination', exit: [1, 2], secrets: [] });
  assertFailed(dotDot, { code: 'publish.bad-destination', exit: [1, 2], secrets, message: /\.\./ });
  assertFailed(scheme, { code: 'publish.bad-destination', exit: [1, 2], secrets, message: /scheme/ });
  assertFailed(noCredentials, { code: 'publish.bad-destination', secrets: [], message: /AZURE_STORAGE_CONNECTION_STRING/ });
  assertFailed(s3Public, { code: 'cli.bad-option', exit: [2], secrets: [], message: /--public/ });
  assert.equal(await statusOf(`${s3.endpoint}/media/x.ism/Manifest`), 404, 'nothing published');
});

test('an unreachable Azure endpoint fails after the retries, naming the store, no secret', async () => {
  const env = { AZURE_STORAGE_ACCOUNT: az.accountName, AZURE_STORAGE_KEY: az.accountKey };
  const endpoint = `http://127.0.0.1:${closedPort}/${az.accountName}`;
  const [r, text] = await Promise.all([
    publish('az://media/x.ism', env, '--endpoint', endpoint, '--retries', '1', '--json'),
    publish('az://media/x.ism', env, '--endpoint', endpoint, '--retries', '1'),
  ]);
  assertFailedJson(r, { code: 'store.request-failed', secrets: [az.accountKey], message: /az:\/\/media\/x\.ism.*ECONNREFUSED/ });
  const retries = retriesOf(r.stdout);
  assert.equal(retries.length, 1, 'one retry (--retries 1)');
  assert.match(String(retries[0]?.message), /ECONNREFUSED/);
  assertFailed(text, { code: 'store.request-failed', secrets: [az.accountKey], message: /az:\/\/media\/x\.ism/ });
});

test('S3: an unreachable endpoint and an unknown access key id fail clearly, no secret', async () => {
  const env = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: AWS_SECRET, AWS_REGION: s3.region };
  const endpoint = `http://127.0.0.1:${closedPort}`;
  const r = await publish('s3://media/x.ism', env, '--endpoint', endpoint, '--retries', '1', '--json');
  assertFailedJson(r, { code: 'store.request-failed', secrets: [AWS_SECRET], message: new RegExp(`s3://media/x\\.ism \\(endpoint ${endpoint}\\).*ECONNREFUSED`) });
  assert.equal(retriesOf(r.stdout).length, 1);
  // s3rver checks the access key id (not the signature): an unknown one is 403 InvalidAccessKeyId.
  const unknown = { ...env, AWS_ACCESS_KEY_ID: 'NOT-A-KNOWN-KEY-ID' };
  assertFailed(await publish('s3://media/x.ism', unknown, '--endpoint', s3.endpoint), { code: 'store.auth', secrets: [AWS_SECRET], message: /s3:\/\/media\/x\.ism/ });
});
