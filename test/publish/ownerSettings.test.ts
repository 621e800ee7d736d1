// `publish --public --cors --policy` into accounts and buckets set up as real owners have
// them: stored access policies with SAS tokens made from them, container-level public
// access, CORS rules of their own, logging/metrics/static website/soft delete, policy files
// at the root. Nothing of theirs may be taken away.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BlobServiceClient, StorageSharedKeyCredential, generateBlobSASQueryParameters, type ServiceGetPropertiesResponse } from '@azure/storage-blob';
import { CreateBucketCommand, GetBucketCorsCommand, PutBucketCorsCommand, PutObjectCommand, S3Client, type CORSRule } from '@aws-sdk/client-s3';
import { startAzurite, type Azurite } from '../harness/azurite.js';
import { startS3rver, type S3rver } from '../harness/s3rver.js';
import { OWNER_SERVICE_PROPERTIES } from '../harness/ownerSettings.js';
import { cleanIsm, cliEnv, describeRun, jsonLines, runCli, statusOf, summaryOf } from './publishHelpers.js';

const OWNER_POLICY = '<?xml version="1.0"?><cross-domain-policy><allow-access-from domain="*.owner.example"/></cross-domain-policy>';
const OWNER_PROPERTIES = {
  ...OWNER_SERVICE_PROPERTIES,
  cors: [{ allowedOrigins: 'https://admin.example', allowedMethods: 'PUT,DELETE', allowedHeaders: 'x-ms-*', exposedHeaders: 'x-ms-meta-*', maxAgeInSeconds: 10 }],
};
const OUR_AZURE_RULE = { allowedOrigins: '*', allowedMethods: 'GET,HEAD,OPTIONS', allowedHeaders: '*', exposedHeaders: 'Content-Length,Content-Type,ETag,Date', maxAgeInSeconds: 3600 };

let az: Azurite;
let s3: S3rver;

before(async () => {
  [az, s3] = await Promise.all([startAzurite(), startS3rver()]);
});

after(async () => {
  await Promise.all([az?.stop(), s3?.stop()]);
});

function properties(p: ServiceGetPropertiesResponse): Record<string, unknown> {
  const { blobAnalyticsLogging, hourMetrics, minuteMetrics, deleteRetentionPolicy, staticWebsite, defaultServiceVersion, cors } = p;
  // JSON drops the fields the SDK reports as undefined.
  return JSON.parse(JSON.stringify({ blobAnalyticsLogging, hourMetrics, minuteMetrics, deleteRetentionPolicy, staticWebsite, defaultServiceVersion, cors })) as Record<string, unknown>;
}

test('Azure: --public keeps stored access policies (a SAS made from one still lists), --cors keeps every service setting, --policy keeps the owner\'s policy file', async () => {
  const credential = new StorageSharedKeyCredential(az.accountName, az.accountKey);
  const service = new BlobServiceClient(az.endpoint, credential);
  await service.setProperties(OWNER_PROPERTIES);
  const media = service.getContainerClient('media');
  await media.create();
  const policies = [{ id: 'keep-me', accessPolicy: { permissions: 'rl', expiresOn: new Date('2099-01-01T00:00:00Z') } }];
  await media.setAccessPolicy(undefined, policies);
  await media.getBlockBlobClient('owner/notes.txt').upload('notes', 5);
  const root = service.getContainerClient('$root');
  await root.create({ access: 'blob' });
  await root.getBlockBlobClient('crossdomain.xml').upload(OWNER_POLICY, OWNER_POLICY.length, { blobHTTPHeaders: { blobContentType: 'text/xml' } });
  const sas = generateBlobSASQueryParameters({ containerName: 'media', identifier: 'keep-me' }, credential).toString();
  // Listing is never allowed by `blob` public access: only the stored policy lets this SAS list.
  const listWithSas = (): Promise<number> => statusOf(`${az.endpoint}/media?restype=container&comp=list&${sas}`);
  assert.equal(await listWithSas(), 200);

  const env = cliEnv({ AZURE_STORAGE_CONNECTION_STRING: az.connectionString });
  const args = ['publish', cleanIsm, 'az://media/clean.ism', '--public', '--cors', '*', '--policy', '--json'];
  const r = await runCli(args, env);
  assert.equal(r.code, 0, describeRun(r));
  const summary = summaryOf(r);
  assert.deepEqual(summary.publicAccess, { before: 'none', after: 'blob', storedAccessPolicies: 1 });
  assert.equal(summary.cors, 'added');
  assert.equal(summary.kept, 1);

  const acl = await media.getAccessPolicy();
  assert.equal(acl.blobPublicAccess, 'blob');
  assert.deepEqual(acl.signedIdentifiers, policies);
  assert.equal(await listWithSas(), 200, 'the SAS made from keep-me still works');
  assert.equal(await statusOf(`${az.endpoint}/media/clean.ism/Manifest`), 200, 'and the presentation is public');
  assert.deepEqual(properties(await service.getProperties()), { ...OWNER_PROPERTIES, cors: [...OWNER_PROPERTIES.cors, OUR_AZURE_RULE] });

  assert.equal(await (await fetch(`${az.endpoint}/$root/crossdomain.xml`)).text(), OWNER_POLICY);
  assert.match(await (await fetch(`${az.endpoint}/$root/clientaccesspolicy.xml`)).text(), /<access-policy>/);
  const warnings = jsonLines(r.stdout).filter((l) => l.event === 'warning');
  assert.deepEqual(warnings.map((w) => [w.code, (w.context as { key?: string }).key]), [['publish.root-object-kept', 'crossdomain.xml']]);
  assert.match(String(warnings[0]!.message), /--force replaces it/);

  // Again with --force: the owner's policy file is replaced, and still nothing else changes.
  const forced = await runCli([...args, '--force'], env);
  assert.equal(forced.code, 0, describeRun(forced));
  assert.deepEqual(summaryOf(forced).publicAccess, { before: 'blob', after: 'blob', storedAccessPolicies: 1 });
  assert.equal(summaryOf(forced).cors, 'present');
  assert.match(await (await fetch(`${az.endpoint}/$root/crossdomain.xml`)).text(), /<allow-access-from domain="\*"/);
  assert.deepEqual((await media.getAccessPolicy()).signedIdentifiers, policies);
  assert.equal(await listWithSas(), 200);
  assert.deepEqual(properties(await service.getProperties()), { ...OWNER_PROPERTIES, cors: [...OWNER_PROPERTIES.cors, OUR_AZURE_RULE] });
});

test('Azure: --public never lowers container-level access (listings) to blob', async () => {
  const service = new BlobServiceClient(az.endpoint, new StorageSharedKeyCredential(az.accountName, az.accountKey));
  await service.getContainerClient('listed').create({ access: 'container' });
  const r = await runCli(['publish', cleanIsm, 'az://listed/clean.ism', '--public', '--json'], cliEnv({ AZURE_STORAGE_CONNECTION_STRING: az.connectionString }));
  assert.equal(r.code, 0, describeRun(r));
  assert.deepEqual(summaryOf(r).publicAccess, { before: 'container', after: 'container', storedAccessPolicies: 0 });
  assert.equal((await service.getContainerClient('listed').getAccessPolicy()).blobPublicAccess, 'container');
  assert.equal(await statusOf(`${az.endpoint}/listed?restype=container&comp=list`), 200);
  // And the text output says so.
  const text = await runCli(['publish', cleanIsm, 'az://listed/clean.ism', '--public'], cliEnv({ AZURE_STORAGE_CONNECTION_STRING: az.connectionString }));
  assert.match(text.stdout, /public access: already container, left as it is \(0 stored access policies kept\)/);
});

test('S3: --cors appends its rule after the owner\'s (read with GetBucketCors first), --policy keeps the owner\'s file at the bucket root', async () => {
  const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
  try {
    await client.send(new CreateBucketCommand({ Bucket: 'media' }));
    const owners: CORSRule[] = [{ AllowedOrigins: ['https://admin.example'], AllowedMethods: ['PUT', 'DELETE'], AllowedHeaders: ['*'], ExposeHeaders: ['x-amz-meta-owner'], MaxAgeSeconds: 10 }];
    await client.send(new PutBucketCorsCommand({ Bucket: 'media', CORSConfiguration: { CORSRules: owners } }));
    await client.send(new PutObjectCommand({ Bucket: 'media', Key: 'crossdomain.xml', Body: OWNER_POLICY, ContentType: 'text/xml' }));

    const env = cliEnv({ AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: s3.region });
    const args = ['publish', cleanIsm, 's3://media/clean.ism', '--endpoint', s3.endpoint, '--cors', '*', '--policy', '--json'];
    const r = await runCli(args, env);
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual({ cors: summaryOf(r).cors, kept: summaryOf(r).kept }, { cors: 'added', kept: 1 });
    const ours = { AllowedOrigins: ['*'], AllowedMethods: ['GET', 'HEAD'], AllowedHeaders: ['*'], ExposeHeaders: ['Content-Length', 'Content-Type', 'ETag', 'Date'], MaxAgeSeconds: 3600 };
    assert.deepEqual((await client.send(new GetBucketCorsCommand({ Bucket: 'media' }))).CORSRules, [...owners, ours]);
    assert.equal(await (await fetch(`${s3.endpoint}/media/crossdomain.xml`)).text(), OWNER_POLICY);
    assert.match(await (await fetch(`${s3.endpoint}/media/clientaccesspolicy.xml`)).text(), /<access-policy>/);

    const forced = await runCli([...args, '--force'], env);
    assert.equal(forced.code, 0, describeRun(forced));
    assert.deepEqual({ cors: summaryOf(forced).cors, kept: summaryOf(forced).kept }, { cors: 'present', kept: 0 });
    assert.deepEqual((await client.send(new GetBucketCorsCommand({ Bucket: 'media' }))).CORSRules, [...owners, ours]);
    assert.match(await (await fetch(`${s3.endpoint}/media/crossdomain.xml`)).text(), /<allow-access-from domain="\*"/);
  } finally {
    client.destroy();
  }
});
