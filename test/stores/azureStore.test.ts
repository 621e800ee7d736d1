import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { AccountSASPermissions, AccountSASResourceTypes, AccountSASServices, BlobServiceClient, StorageSharedKeyCredential, generateAccountSASQueryParameters, generateBlobSASQueryParameters, type ServiceGetPropertiesResponse } from '@azure/storage-blob';
import { createAzureStore } from '../../src/stores/azureStore.js';
import { createStore } from '../../src/stores/createStore.js';
import { SmoothpubError } from '../../src/errors.js';
import { startAzurite, type Azurite } from '../harness/azurite.js';
import { OWNER_SERVICE_PROPERTIES } from '../harness/ownerSettings.js';
import { SMOOTH_KEYS, assertNoSecret, catchStoreError, inParallel, listAll, md5, putOptions, startCountingRelay, startFakeService } from './storeHelpers.js';

let az: Azurite;

before(async () => {
  az = await startAzurite();
});

after(async () => {
  await az.stop();
});


/** The properties without the response's request ids. */
function serviceProperties(p: ServiceGetPropertiesResponse): Record<string, unknown> {
  const { blobAnalyticsLogging, hourMetrics, minuteMetrics, deleteRetentionPolicy, staticWebsite, defaultServiceVersion, cors } = p;
  // JSON drops the fields the SDK reports as undefined.
  return JSON.parse(JSON.stringify({ blobAnalyticsLogging, hourMetrics, minuteMetrics, deleteRetentionPolicy, staticWebsite, defaultServiceVersion, cors })) as Record<string, unknown>;
}

async function statusOf(url: string): Promise<number> {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.status;
}

function store(container: string, prefix = 'show/video.ism', env: NodeJS.ProcessEnv = az.env) {
  return createAzureStore({ container, prefix, endpoint: az.endpoint, env });
}

test('puts parenthesized keys, lists size and MD5, serves them anonymously with type, cache control and ranges', async () => {
  const s = await store('media');
  assert.equal(s.description, 'az://media/show/video.ism (account devstoreaccount1)');
  assert.deepEqual(await s.prepare(), { created: true });
  assert.deepEqual(await s.prepare(), { created: false }); // already exists: fine
  await s.setPublicRead!();
  const bodies = new Map(SMOOTH_KEYS.map((k, i) => [k, Buffer.from(`${k} body ${'x'.repeat(i * 1000)}`)]));
  for (const [key, body] of bodies) {
    const type = key === 'Manifest' ? 'text/xml' : 'video/mp4';
    const cache = key === 'Manifest' ? 'public, max-age=2' : 'public, max-age=31536000, immutable';
    await s.put(key, () => body, putOptions(body, { contentType: type, cacheControl: cache }));
  }
  const listed = await listAll(s);
  assert.deepEqual([...listed.keys()].sort(), [...bodies.keys()].sort());
  for (const [key, body] of bodies) {
    assert.deepEqual(listed.get(key), { key, size: body.length, md5: md5(body).toString('base64') });
  }

  const key = 'QualityLevels(400000)/Fragments(video=20000000)';
  const body = bodies.get(key)!;
  const encoded = await fetch(az.blobUrl('media', `show/video.ism/${key}`));
  assert.equal(encoded.status, 200);
  assert.equal(encoded.headers.get('content-type'), 'video/mp4');
  assert.equal(encoded.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.deepEqual(Buffer.from(await encoded.arrayBuffer()), body);
  // Players request the parentheses raw, as the Manifest's Url template has them.
  const raw = await fetch(`${az.endpoint}/media/show/video.ism/${key}`);
  assert.equal(raw.status, 200);
  assert.deepEqual(Buffer.from(await raw.arrayBuffer()), body);
  const manifest = await fetch(`${az.endpoint}/media/show/video.ism/Manifest`);
  assert.equal(manifest.headers.get('content-type'), 'text/xml');
  assert.equal(manifest.headers.get('cache-control'), 'public, max-age=2');
  await manifest.arrayBuffer();

  const range = await fetch(az.blobUrl('media', `show/video.ism/${key}`), { headers: { range: 'bytes=5-14' } });
  assert.equal(range.status, 206);
  assert.equal(range.headers.get('content-range'), `bytes 5-14/${body.length}`);
  assert.deepEqual(Buffer.from(await range.arrayBuffer()), body.subarray(5, 15));
});

test('streams a Readable body and overwrites an existing object', async () => {
  const s = await store('streams', '');
  await s.prepare();
  const body = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
  await s.put('QualityLevels(1)/Fragments(video=0)', () => Readable.from([body.subarray(0, 1000), body.subarray(1000)]), putOptions(body));
  const second = Buffer.from('replaced');
  await s.put('QualityLevels(1)/Fragments(video=0)', () => Readable.from([second]), putOptions(second));
  assert.deepEqual(await listAll(s), new Map([['QualityLevels(1)/Fragments(video=0)', { key: 'QualityLevels(1)/Fragments(video=0)', size: 8, md5: md5(second).toString('base64') }]]));
});

test('a body that does not match its Content-MD5 is refused and not stored', async () => {
  const s = await store('integrity');
  await s.prepare();
  const body = Buffer.from('fragment bytes');
  const e = await catchStoreError(s.put('QualityLevels(1)/Fragments(video=0)', () => body, putOptions(body, { md5: md5('other bytes') })));
  assert.equal(e.code, 'store.request-failed');
  assert.equal(e.details.status, 400);
  assert.equal(e.details.retryable, false);
  assert.equal(e.details.key, 'QualityLevels(1)/Fragments(video=0)');
  // Azurite answers InvalidOperation "Provided contentMD5 doesn't match." (Azure: Md5Mismatch).
  assert.match(e.message, /az:\/\/integrity\/show\/video\.ism \(account devstoreaccount1\).*400.*contentMD5.*\(object QualityLevels\(1\)\/Fragments\(video=0\)\)/);
  assert.equal((await listAll(s)).size, 0);
});

test('listing only sees its own prefix; a missing container is store.not-found', async () => {
  const a = await store('shared', 'a.ism');
  const ab = await store('shared', 'a.ism2');
  await a.prepare();
  const body = Buffer.from('x');
  await a.put('Manifest', () => body, putOptions(body));
  await ab.put('Manifest', () => body, putOptions(body));
  assert.deepEqual([...(await listAll(a)).keys()], ['Manifest']);
  const missing = await store('no-such-container');
  const e = await catchStoreError(listAll(missing));
  assert.equal(e.code, 'store.not-found');
  assert.equal(e.details.status, 404);
  const put = await catchStoreError(missing.put('Manifest', () => body, putOptions(body)));
  assert.equal(put.code, 'store.not-found');
});

test('putAtRoot writes to $root, readable anonymously at /<account>/$root/clientaccesspolicy.xml', async () => {
  const s = await store('rooted');
  const policy = Buffer.from('<?xml version="1.0"?><access-policy/>');
  await s.putAtRoot!('clientaccesspolicy.xml', () => policy, putOptions(policy, { contentType: 'text/xml' }));
  await s.putAtRoot!('crossdomain.xml', () => policy, putOptions(policy, { contentType: 'text/xml' }));
  // Azurite has no implicit $root addressing (`/<account>/clientaccesspolicy.xml` is a container name there).
  const res = await fetch(`${az.endpoint}/$root/clientaccesspolicy.xml`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/xml');
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), policy);
  assert.equal((await fetch(`${az.endpoint}/$root/crossdomain.xml`)).status, 200);
});

test('setCors lets a browser on another origin fetch; every other service property and rule is kept', async () => {
  const service = new BlobServiceClient(az.endpoint, new StorageSharedKeyCredential(az.accountName, az.accountKey));
  // What an owner's account has: an upload rule for an admin site, logging, metrics, a static website, soft delete.
  const other = { allowedOrigins: 'https://admin.example', allowedMethods: 'PUT', allowedHeaders: 'x-ms-*', exposedHeaders: '', maxAgeInSeconds: 10 };
  await service.setProperties({ ...OWNER_SERVICE_PROPERTIES, cors: [other] });
  const s = await store('cors');
  await s.prepare();
  await s.setPublicRead!();
  const body = Buffer.from('moof');
  await s.put('QualityLevels(1)/Fragments(video=0)', () => body, putOptions(body));
  assert.equal(await s.setCors!(['https://player.example', 'https://other.example']), 'added');
  assert.equal(await s.setCors!(['https://player.example', 'https://other.example']), 'present'); // idempotent: one rule, not two
  const url = `${az.endpoint}/cors/show/video.ism/QualityLevels(1)/Fragments(video=0)`;
  const preflight = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://player.example', 'access-control-request-method': 'GET' } });
  assert.equal(preflight.status, 200);
  assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://player.example');
  assert.equal(preflight.headers.get('access-control-max-age'), '3600');
  const get = await fetch(url, { headers: { origin: 'https://other.example' } });
  assert.equal(get.headers.get('access-control-allow-origin'), 'https://other.example');
  assert.match(get.headers.get('access-control-expose-headers') ?? '', /content-type/i);
  await get.arrayBuffer();
  const denied = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
  assert.equal(denied.headers.get('access-control-allow-origin'), null);
  // The admin site can still upload: its rule is first and unchanged.
  const upload = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://admin.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-ms-blob-type' } });
  assert.equal(upload.status, 200);
  assert.equal(upload.headers.get('access-control-allow-origin'), 'https://admin.example');
  const props = serviceProperties(await service.getProperties());
  assert.deepEqual(props, {
    ...OWNER_SERVICE_PROPERTIES,
    cors: [
      other,
      { allowedOrigins: 'https://player.example,https://other.example', allowedMethods: 'GET,HEAD,OPTIONS', allowedHeaders: '*', exposedHeaders: 'Content-Length,Content-Type,ETag,Date', maxAgeInSeconds: 3600 },
    ],
  });
});

test('setCors writes nothing when a rule already lets the origins GET and HEAD; an owner rule for the same origin is never replaced', async () => {
  const service = new BlobServiceClient(az.endpoint, new StorageSharedKeyCredential(az.accountName, az.accountKey));
  // The owner's rule for every origin allows uploads too and exposes a metadata header.
  const wide = { allowedOrigins: '*', allowedMethods: 'GET,HEAD,PUT', allowedHeaders: '*', exposedHeaders: 'x-ms-meta-*', maxAgeInSeconds: 60 };
  await service.setProperties({ ...OWNER_SERVICE_PROPERTIES, cors: [wide] });
  const s = await store('cors-present');
  assert.equal(await s.setCors!(['*']), 'present');
  assert.equal(await s.setCors!(['https://player.example']), 'present');
  assert.deepEqual(serviceProperties(await service.getProperties()), { ...OWNER_SERVICE_PROPERTIES, cors: [wide] });
  // A rule for the same origins that does not allow GET stays as it is, ours after it.
  const putOnly = { allowedOrigins: '*', allowedMethods: 'PUT', allowedHeaders: '*', exposedHeaders: '', maxAgeInSeconds: 5 };
  await service.setProperties({ cors: [putOnly] });
  assert.equal(await s.setCors!(['*']), 'added');
  assert.deepEqual((await service.getProperties()).cors, [
    putOnly,
    { allowedOrigins: '*', allowedMethods: 'GET,HEAD,OPTIONS', allowedHeaders: '*', exposedHeaders: 'Content-Length,Content-Type,ETag,Date', maxAgeInSeconds: 3600 },
  ]);
  // Five rules is the service's limit: a typed error that says what to do, and nothing changed.
  const five = Array.from({ length: 5 }, (_, i) => ({ ...putOnly, allowedOrigins: `https://site${i}.example` }));
  await service.setProperties({ cors: five });
  await assert.rejects(s.setCors!(['https://player.example']), (e: unknown) => e instanceof SmoothpubError && e.code === 'store.cors-limit' && /add the origins to one of the rules/.test(e.message));
  assert.deepEqual((await service.getProperties()).cors, five);
  await service.setProperties({ cors: [] });
  await s.close!();
});

test('setPublicRead keeps every stored access policy, and a SAS made from one keeps working', async () => {
  const credential = new StorageSharedKeyCredential(az.accountName, az.accountKey);
  const container = new BlobServiceClient(az.endpoint, credential).getContainerClient('acl');
  await container.create();
  const policies = [
    { id: 'keep-me', accessPolicy: { permissions: 'rl', startsOn: new Date('2020-01-01T00:00:00.123Z'), expiresOn: new Date('2099-01-01T00:00:00Z') } },
    { id: 'no-dates', accessPolicy: { permissions: 'r' } },
  ];
  await container.setAccessPolicy(undefined, policies);
  await container.getBlockBlobClient('owner.txt').upload('owner', 5);
  const sas = generateBlobSASQueryParameters({ containerName: 'acl', identifier: 'keep-me' }, credential).toString();
  // Listing is what anonymous `blob` access never allows: only the stored policy does.
  const listWithSas = async (): Promise<number> => statusOf(`${az.endpoint}/acl?restype=container&comp=list&${sas}`);
  assert.equal(await listWithSas(), 200);

  const s = await store('acl');
  assert.deepEqual(await s.setPublicRead!(), { before: 'none', after: 'blob', storedAccessPolicies: 2 });
  const acl = await container.getAccessPolicy();
  assert.equal(acl.blobPublicAccess, 'blob');
  assert.deepEqual(acl.signedIdentifiers, policies);
  assert.equal(await listWithSas(), 200, 'the SAS made from keep-me still lists');
  assert.equal(await statusOf(`${az.endpoint}/acl/owner.txt?${sas}`), 200);
  assert.equal(await statusOf(`${az.endpoint}/acl/owner.txt`), 200, 'and blobs are public');
  // Again: nothing to change, nothing written.
  assert.deepEqual(await s.setPublicRead!(), { before: 'blob', after: 'blob', storedAccessPolicies: 2 });
  await s.close!();
});

test('setPublicRead never lowers container-level access (blobs and listings) to blob', async () => {
  const container = new BlobServiceClient(az.endpoint, new StorageSharedKeyCredential(az.accountName, az.accountKey)).getContainerClient('listed');
  await container.create({ access: 'container' });
  const s = await store('listed');
  assert.deepEqual(await s.setPublicRead!(), { before: 'container', after: 'container', storedAccessPolicies: 0 });
  assert.equal((await container.getAccessPolicy()).blobPublicAccess, 'container');
  assert.equal(await statusOf(`${az.endpoint}/listed?restype=container&comp=list`), 200);
  await s.close!();
});

test('headAtRoot reports what $root holds, and nothing when the blob is missing', async () => {
  const s = await store('rootless');
  // Other tests write the policy files: names of our own here.
  assert.equal(await s.headAtRoot!('head-probe.xml'), undefined);
  const policy = Buffer.from('<?xml version="1.0"?><cross-domain-policy/>');
  await s.putAtRoot!('head-probe.xml', () => policy, putOptions(policy, { contentType: 'text/xml' }));
  assert.deepEqual(await s.headAtRoot!('head-probe.xml'), { key: 'head-probe.xml', size: policy.length, md5: md5(policy).toString('base64') });
  assert.equal(await s.headAtRoot!('head-probe-2.xml'), undefined);
  await s.close!();
});

test('a wrong account key is store.auth and the key appears nowhere', async () => {
  const wrongKey = Buffer.alloc(64, 42).toString('base64');
  const s = await store('media', 'x', { AZURE_STORAGE_ACCOUNT: az.accountName, AZURE_STORAGE_KEY: wrongKey });
  const body = Buffer.from('x');
  for (const attempt of [() => s.put('Manifest', () => body, putOptions(body)), () => s.prepare(), () => listAll(s)]) {
    const e = await catchStoreError(attempt());
    assert.equal(e.code, 'store.auth');
    assert.equal(e.details.status, 403);
    assert.equal(e.details.retryable, false);
    assertNoSecret(e, [wrongKey, az.accountKey, encodeURIComponent(wrongKey)]);
  }
  // Same through a connection string.
  const cs = `DefaultEndpointsProtocol=http;AccountName=${az.accountName};AccountKey=${wrongKey};BlobEndpoint=${az.endpoint};`;
  const viaCs = await createAzureStore({ container: 'media', prefix: '', env: { AZURE_STORAGE_CONNECTION_STRING: cs } });
  assert.equal(viaCs.description, 'az://media (account devstoreaccount1)');
  const e = await catchStoreError(viaCs.prepare());
  assert.equal(e.code, 'store.auth');
  assertNoSecret(e, [wrongKey, cs]);
});

test('connection strings and SAS tokens authenticate; the SAS never shows', async () => {
  const viaCs = await createAzureStore({ container: 'bycs', prefix: 'p', env: { AZURE_STORAGE_CONNECTION_STRING: az.connectionString } });
  await viaCs.prepare();
  const body = Buffer.from('cs');
  await viaCs.put('Manifest', () => body, putOptions(body));
  assert.equal((await listAll(viaCs)).get('Manifest')?.size, 2);

  const sas = generateAccountSASQueryParameters(
    {
      expiresOn: new Date(Date.now() + 3600_000),
      permissions: AccountSASPermissions.parse('rwlc'),
      resourceTypes: AccountSASResourceTypes.parse('sco').toString(),
      services: AccountSASServices.parse('b').toString(),
    },
    new StorageSharedKeyCredential(az.accountName, az.accountKey),
  ).toString();
  const viaSas = await store('bysas', 'p', { AZURE_STORAGE_ACCOUNT: az.accountName, AZURE_STORAGE_SAS_TOKEN: `?${sas}` });
  assert.ok(!viaSas.description.includes('sig='));
  await viaSas.prepare();
  await viaSas.put('Manifest', () => body, putOptions(body));
  assert.equal((await listAll(viaSas)).get('Manifest')?.size, 2);
  const sasCs = `BlobEndpoint=${az.endpoint};SharedAccessSignature=${sas}`;
  const viaSasCs = await createAzureStore({ container: 'bysas', prefix: 'p', env: { AZURE_STORAGE_CONNECTION_STRING: sasCs } });
  assert.equal(viaSasCs.description, 'az://bysas/p (account devstoreaccount1)');
  assert.equal((await listAll(viaSasCs)).get('Manifest')?.size, 2);
  // The emulator shorthand, pointed at this Azurite's port.
  const dev = await createAzureStore({ container: 'bysas', prefix: 'p', endpoint: az.endpoint, env: { AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' } });
  assert.equal((await listAll(dev)).get('Manifest')?.size, 2);
  // A read-only SAS cannot write: 403, and neither the token nor its signature shows.
  const readOnly = generateAccountSASQueryParameters(
    { expiresOn: new Date(Date.now() + 3600_000), permissions: AccountSASPermissions.parse('rl'), resourceTypes: 'sco', services: 'b' },
    new StorageSharedKeyCredential(az.accountName, az.accountKey),
  );
  const ro = await store('bysas', 'p', { AZURE_STORAGE_ACCOUNT: az.accountName, AZURE_STORAGE_SAS_TOKEN: readOnly.toString() });
  const e = await catchStoreError(ro.put('Manifest', () => body, putOptions(body)));
  assert.equal(e.code, 'store.auth');
  assertNoSecret(e, [readOnly.signature, encodeURIComponent(readOnly.signature), readOnly.toString()]);
});

test('createStore builds an Azure store from a parsed destination', async () => {
  const s = await createStore({ kind: 'azure', container: 'viacreate', prefix: 'a/b.ism' }, { endpoint: az.endpoint, env: az.env, concurrency: 4 });
  assert.equal(s.description, 'az://viacreate/a/b.ism (account devstoreaccount1)');
  await s.prepare();
  assert.equal((await listAll(s)).size, 0);
});

test('without credentials the error says which variables to set', async () => {
  await assert.rejects(
    createAzureStore({ container: 'media', prefix: '', env: {} }),
    (e: unknown) => e instanceof SmoothpubError && e.code === 'publish.bad-destination' && /AZURE_STORAGE_CONNECTION_STRING/.test(e.message),
  );
});

test('the caller aborting a put is not retryable', async () => {
  const s = await store('media');
  const controller = new AbortController();
  controller.abort();
  const body = Buffer.from('x');
  const e = await catchStoreError(s.put('Manifest', () => body, putOptions(body, { signal: controller.signal })));
  assert.equal(e.details.retryable, false);
});

test('503 ServerBusy is retryable and throttled with Retry-After; 500 and hang-ups are retryable', async () => {
  const replies: ((res: import('node:http').ServerResponse) => void)[] = [
    (res) => res.writeHead(503, { 'x-ms-error-code': 'ServerBusy', 'retry-after': '7', 'content-type': 'application/xml' }).end('<?xml version="1.0"?><Error><Code>ServerBusy</Code><Message>The server is busy.</Message></Error>'),
    (res) => res.writeHead(500, { 'x-ms-error-code': 'InternalError' }).end(),
    (res) => res.socket?.destroy(),
    (res) => res.writeHead(429, { 'retry-after': new Date(Date.now() + 5000).toUTCString() }).end(),
  ];
  let i = 0;
  const fake = await startFakeService((_req, res) => replies[i++]!(res));
  try {
    const s = await createAzureStore({ container: 'media', prefix: '', endpoint: `${fake.url}/devstoreaccount1`, env: az.env });
    const body = Buffer.from('x');
    const busy = await catchStoreError(s.put('Manifest', () => body, putOptions(body)));
    assert.deepEqual(busy.details, { status: 503, retryable: true, throttled: true, retryAfterMs: 7000, key: 'Manifest' });
    const internal = await catchStoreError(s.put('Manifest', () => body, putOptions(body)));
    assert.deepEqual(internal.details, { status: 500, retryable: true, throttled: false, key: 'Manifest' });
    const hangUp = await catchStoreError(s.put('Manifest', () => body, putOptions(body)));
    assert.equal(hangUp.details.retryable, true);
    assert.equal(hangUp.details.status, undefined);
    const tooMany = await catchStoreError(s.put('Manifest', () => body, putOptions(body)));
    assert.equal(tooMany.details.throttled, true);
    assert.ok(tooMany.details.retryAfterMs! > 2000 && tooMany.details.retryAfterMs! <= 5000, String(tooMany.details.retryAfterMs));
  } finally {
    await fake.close();
  }
});

test('a stopped emulator (connection refused) is a retryable StoreError', async () => {
  const own = await startAzurite();
  const s = await createAzureStore({ container: 'media', prefix: '', endpoint: own.endpoint, env: own.env });
  await s.prepare();
  await own.stop();
  const body = Buffer.from('x');
  const e = await catchStoreError(s.put('Manifest', () => body, putOptions(body)));
  assert.equal(e.code, 'store.request-failed');
  assert.equal(e.details.retryable, true);
  assert.equal(e.details.throttled, false);
  assert.match(e.message, /ECONNREFUSED/);
});

test('connections are kept alive and reused across puts at the given concurrency', async (t) => {
  const relay = await startCountingRelay(az.port);
  try {
    const s = await createAzureStore({ container: 'keepalive', prefix: 'p', endpoint: `http://127.0.0.1:${relay.port}/${az.accountName}`, env: az.env, concurrency: 8 });
    await s.prepare();
    const body = Buffer.alloc(20 * 1024, 1);
    const keys = Array.from({ length: 160 }, (_, i) => `QualityLevels(1)/Fragments(video=${i * 20000000})`);
    await inParallel(keys, 8, (key) => s.put(key, () => body, putOptions(body)));
    assert.equal((await listAll(s)).size, 160);
    t.diagnostic(`${relay.connections()} connections for 162 requests at concurrency 8`);
    // 162 requests over at most a handful more sockets than requests in flight.
    assert.ok(relay.connections() >= 2 && relay.connections() <= 12, `${relay.connections()} connections`);
  } finally {
    await relay.close();
  }
});

test('a body over 256 MiB goes up as staged blocks and still lists its MD5', async () => {
  const s = await store('big', '');
  await s.prepare();
  const size = 256 * 1024 * 1024 + 1;
  const chunk = Buffer.alloc(1024 * 1024, 3);
  function* chunks(): Generator<Buffer> {
    for (let left = size; left > 0; left -= chunk.length) yield chunk.subarray(0, Math.min(left, chunk.length));
  }
  const hash = createHash('md5');
  for (const c of chunks()) hash.update(c);
  const digest = hash.digest();
  await s.put('QualityLevels(1)/Fragments(video=0)', () => Readable.from(chunks()), { size, contentType: 'video/mp4', cacheControl: 'no-cache', md5: digest });
  assert.deepEqual((await listAll(s)).get('QualityLevels(1)/Fragments(video=0)'), { key: 'QualityLevels(1)/Fragments(video=0)', size, md5: digest.toString('base64') });
});

test('a request that gets no answer fails as a retryable timeout after the stall timeout', async () => {
  const fake = await startFakeService(() => undefined); // reads the body, never answers
  try {
    const s = await createAzureStore({ container: 'media', prefix: '', endpoint: `${fake.url}/devstoreaccount1`, env: az.env, stallTimeoutMs: 300 });
    const body = Buffer.from('x');
    const started = Date.now();
    const e = await catchStoreError(s.put('Manifest', () => body, putOptions(body)));
    assert.ok(Date.now() - started < 5000);
    assert.equal(e.details.retryable, true);
    assert.match(e.message, /ETIMEDOUT \(no progress for 300 ms\)/);
    const r = await catchStoreError(s.put('Manifest', () => Readable.from([body]), putOptions(body)));
    assert.equal(r.details.retryable, true);
    for (const call of [() => listAll(s), () => s.prepare(), () => s.setCors!(['*']), () => s.setPublicRead!()]) {
      const e = await catchStoreError(call());
      assert.equal(e.details.retryable, true, e.message);
    }
  } finally {
    await fake.close();
  }
});

test('the socket pool is sized by concurrency: more puts in flight queue for its sockets', async (t) => {
  const relay = await startCountingRelay(az.port);
  try {
    const s = await createAzureStore({ container: 'pool', prefix: 'p', endpoint: `http://127.0.0.1:${relay.port}/${az.accountName}`, env: az.env, concurrency: 1 });
    await s.prepare();
    const body = Buffer.alloc(1024, 1);
    const keys = Array.from({ length: 48 }, (_, i) => `QualityLevels(1)/Fragments(video=${i})`);
    await inParallel(keys, 16, (key) => s.put(key, () => body, putOptions(body)));
    t.diagnostic(`${relay.connections()} connections for 16 puts in flight on a store made for concurrency 1`);
    // concurrency + 4 sockets at most.
    assert.ok(relay.connections() <= 5, `${relay.connections()} connections`);
    await s.close!();
  } finally {
    await relay.close();
  }
});
