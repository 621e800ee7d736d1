import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { CreateMultipartUploadCommand, CompleteMultipartUploadCommand, GetBucketCorsCommand, PutBucketCorsCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { createS3Store, md5FromEtag, type S3StoreOptions } from '../../src/stores/s3Store.js';
import { createStore } from '../../src/stores/createStore.js';
import { startS3rver, type S3rver } from '../harness/s3rver.js';
import { SMOOTH_KEYS, assertNoSecret, catchStoreError, inParallel, listAll, md5, putOptions, startCountingRelay, startFakeService } from './storeHelpers.js';

let s3: S3rver;

before(async () => {
  s3 = await startS3rver();
  // The SDK's default credential chain reads these.
  Object.assign(process.env, s3.env, { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
});

after(async () => {
  await s3.stop();
});

function store(bucket: string, prefix = 'show/video.ism', extra: Partial<S3StoreOptions> = {}) {
  return createS3Store({ bucket, prefix, endpoint: s3.endpoint, ...extra });
}

function sdk(): S3Client {
  return new S3Client({ region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
}

test('puts parenthesized keys, lists size and MD5, serves them with type, cache control and ranges', async () => {
  const s = await store('media');
  assert.equal(s.description, `s3://media/show/video.ism (endpoint ${s3.endpoint})`);
  assert.equal(s.setPublicRead, undefined);
  assert.deepEqual(await s.prepare(), { created: true });
  assert.deepEqual(await s.prepare(), { created: false }); // exists: HeadBucket says so
  const bodies = new Map(SMOOTH_KEYS.map((k, i) => [k, Buffer.from(`${k} body ${'x'.repeat(i * 1000)}`)]));
  for (const [key, body] of bodies) {
    const type = key === 'Manifest' ? 'text/xml' : 'video/mp4';
    const cache = key === 'Manifest' ? 'public, max-age=2' : 'public, max-age=31536000, immutable';
    await s.put(key, () => body, putOptions(body, { contentType: type, cacheControl: cache }));
  }
  const listed = await listAll(s);
  assert.deepEqual([...listed.keys()].sort(), [...bodies.keys()].sort());
  for (const [key, body] of bodies) assert.deepEqual(listed.get(key), { key, size: body.length, md5: md5(body).toString('base64') });

  const key = 'QualityLevels(400000)/Fragments(video=20000000)';
  const body = bodies.get(key)!;
  // s3rver serves objects without authentication (no ACLs enforced on GET).
  const res = await fetch(s3.objectUrl('media', `show/video.ism/${key}`));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'video/mp4');
  assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), body);
  const raw = await fetch(`${s3.endpoint}/media/show/video.ism/${key}`);
  assert.deepEqual(Buffer.from(await raw.arrayBuffer()), body);
  const range = await fetch(s3.objectUrl('media', `show/video.ism/${key}`), { headers: { range: 'bytes=5-14' } });
  assert.equal(range.status, 206);
  assert.equal(range.headers.get('content-range'), `bytes 5-14/${body.length}`);
  assert.deepEqual(Buffer.from(await range.arrayBuffer()), body.subarray(5, 15));
  await s.close!();
});

test('streams a Readable body; listing pages through a small page size and stays inside its prefix', async () => {
  const s = await store('paged', 'a.ism', { listPageSize: 2 });
  const neighbour = await store('paged', 'a.ism2');
  await s.prepare();
  const big = Buffer.alloc(2 * 1024 * 1024 + 3, 9);
  await s.put('QualityLevels(1)/Fragments(video=0)', () => Readable.from([big.subarray(0, 100), big.subarray(100)]), putOptions(big));
  const small = Buffer.from('s');
  for (let i = 1; i <= 4; i++) await s.put(`QualityLevels(1)/Fragments(video=${i})`, () => small, putOptions(small));
  await neighbour.put('Manifest', () => small, putOptions(small));
  const listed = await listAll(s);
  assert.equal(listed.size, 5);
  assert.deepEqual(listed.get('QualityLevels(1)/Fragments(video=0)'), { key: 'QualityLevels(1)/Fragments(video=0)', size: big.length, md5: md5(big).toString('base64') });
  await s.close!();
  await neighbour.close!();
});

test('s3rver ignores Content-MD5 (real S3 answers BadDigest): the header is sent, and the listing shows the true MD5', async () => {
  const s = await store('integrity');
  await s.prepare();
  const body = Buffer.from('fragment bytes');
  await s.put('Manifest', () => body, putOptions(body, { md5: md5('other bytes') }));
  // What publish compares on a re-run: the stored object's real MD5, not the claimed one.
  assert.equal((await listAll(s)).get('Manifest')?.md5, md5(body).toString('base64'));

  const seen: (string | undefined)[] = [];
  const fake = await startFakeService((req, res) => {
    seen.push(req.headers['content-md5'] as string | undefined);
    res.writeHead(400, { 'content-type': 'application/xml' }).end('<?xml version="1.0"?><Error><Code>BadDigest</Code><Message>The Content-MD5 you specified did not match what we received.</Message></Error>');
  });
  try {
    const f = await createS3Store({ bucket: 'media', prefix: '', endpoint: fake.url });
    const e = await catchStoreError(f.put('Manifest', () => body, putOptions(body)));
    assert.deepEqual(seen, [md5(body).toString('base64')]);
    assert.equal(e.details.status, 400);
    assert.equal(e.details.retryable, false);
    assert.match(e.message, /BadDigest/);
  } finally {
    await fake.close();
  }
});

test('a multipart ETag is not taken for an MD5', () => {
  assert.equal(md5FromEtag('"5eb63bbbe01eeed093cb22bb8f5acdc3"'), 'XrY7u+Ae7tCTyyK7j1rNww==');
  assert.equal(md5FromEtag('"5eb63bbbe01eeed093cb22bb8f5acdc3-2"'), undefined);
  assert.equal(md5FromEtag(undefined), undefined);
});

test('s3rver gives a multipart upload a plain-MD5 ETag (real S3: `<md5 of part md5s>-N`)', async () => {
  const s = await store('multipart', '');
  await s.prepare();
  const client = sdk();
  const part = Buffer.alloc(5 * 1024 * 1024, 1);
  const mp = await client.send(new CreateMultipartUploadCommand({ Bucket: 'multipart', Key: 'big' }));
  const p1 = await client.send(new UploadPartCommand({ Bucket: 'multipart', Key: 'big', UploadId: mp.UploadId, PartNumber: 1, Body: part }));
  await client.send(new CompleteMultipartUploadCommand({ Bucket: 'multipart', Key: 'big', UploadId: mp.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag! }] } }));
  // Documented so nobody relies on it: the store only trusts 32-hex ETags, which real S3 never gives a multipart object.
  assert.equal((await listAll(s)).get('big')?.md5, md5(part).toString('base64'));
  client.destroy();
  await s.close!();
});

test('prepare creates a missing bucket; a missing bucket lists as store.not-found', async () => {
  const missing = await store('not-yet');
  const e = await catchStoreError(listAll(missing));
  assert.equal(e.code, 'store.not-found');
  assert.match(e.message, /NoSuchBucket/);
  await missing.prepare();
  assert.equal((await listAll(missing)).size, 0);
  await missing.close!();
});

test('putAtRoot writes at the bucket root, outside the prefix', async () => {
  const s = await store('rooted');
  await s.prepare();
  const policy = Buffer.from('<?xml version="1.0"?><cross-domain-policy/>');
  await s.putAtRoot!('crossdomain.xml', () => policy, putOptions(policy, { contentType: 'text/xml' }));
  const res = await fetch(`${s3.endpoint}/rooted/crossdomain.xml`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/xml');
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), policy);
  assert.equal((await listAll(s)).size, 0);
  assert.deepEqual(await s.headAtRoot!('crossdomain.xml'), { key: 'crossdomain.xml', size: policy.length, md5: md5(policy).toString('base64') });
  assert.equal(await s.headAtRoot!('clientaccesspolicy.xml'), undefined);
  await s.close!();
});

test('setCors: preflight and GET from an allowed origin get Access-Control-Allow-Origin; other rules are kept', async () => {
  const s = await store('cors');
  await s.prepare();
  const client = sdk();
  await client.send(new PutBucketCorsCommand({ Bucket: 'cors', CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['https://admin.example'], AllowedMethods: ['PUT'] }] } }));
  const body = Buffer.from('moof');
  await s.put('QualityLevels(1)/Fragments(video=0)', () => body, putOptions(body));
  assert.equal(await s.setCors!(['https://player.example']), 'added');
  assert.equal(await s.setCors!(['https://player.example']), 'present');
  const url = s3.objectUrl('cors', 'show/video.ism/QualityLevels(1)/Fragments(video=0)');
  const preflight = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://player.example', 'access-control-request-method': 'GET' } });
  assert.equal(preflight.status, 200);
  // s3rver answers a matching preflight with `*` (real S3 echoes the origin); either lets the browser in.
  assert.ok(['*', 'https://player.example'].includes(preflight.headers.get('access-control-allow-origin') ?? ''));
  const get = await fetch(url, { headers: { origin: 'https://player.example' } });
  assert.equal(get.headers.get('access-control-allow-origin'), 'https://player.example');
  assert.match(get.headers.get('access-control-expose-headers') ?? '', /Content-Type/);
  await get.arrayBuffer();
  const denied = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
  assert.equal(denied.status, 403);
  const rules = (await client.send(new GetBucketCorsCommand({ Bucket: 'cors' }))).CORSRules ?? [];
  // PutBucketCors replaces the whole configuration: the owner's rule is sent back first and unchanged.
  assert.deepEqual(rules, [
    { AllowedOrigins: ['https://admin.example'], AllowedMethods: ['PUT'] },
    { AllowedOrigins: ['https://player.example'], AllowedMethods: ['GET', 'HEAD'], AllowedHeaders: ['*'], ExposeHeaders: ['Content-Length', 'Content-Type', 'ETag', 'Date'], MaxAgeSeconds: 3600 },
  ]);
  // A rule that already lets every origin GET and HEAD: nothing is written.
  const wide = { AllowedOrigins: ['*'], AllowedMethods: ['GET', 'HEAD', 'PUT'], AllowedHeaders: ['*'], MaxAgeSeconds: 60 };
  await client.send(new PutBucketCorsCommand({ Bucket: 'cors', CORSConfiguration: { CORSRules: [wide] } }));
  assert.equal(await s.setCors!(['*']), 'present');
  assert.deepEqual((await client.send(new GetBucketCorsCommand({ Bucket: 'cors' }))).CORSRules, [wide]);
  client.destroy();
  await s.close!();
});

test('bad credentials are store.auth and the secret appears nowhere', async () => {
  // s3rver does not verify SigV4 signatures (any secret passes); an unknown access key id is refused.
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRETzz';
  const s = await store('media', 'x', { credentials: { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: secret, sessionToken: 'FwoGZXIvYXdzSESSIONTOKEN' } });
  const body = Buffer.from('x');
  for (const attempt of [() => s.put('Manifest', () => body, putOptions(body)), () => s.prepare(), () => listAll(s)]) {
    const e = await catchStoreError(attempt());
    assert.equal(e.code, 'store.auth');
    assert.equal(e.details.status, 403);
    assert.equal(e.details.retryable, false);
    assertNoSecret(e, [secret, encodeURIComponent(secret), 'FwoGZXIvYXdzSESSIONTOKEN']);
  }
  await s.close!();

  // Real S3's SignatureDoesNotMatch body quotes the string to sign; none of it reaches the message.
  const fake = await startFakeService((_req, res) =>
    res
      .writeHead(403, { 'content-type': 'application/xml' })
      .end(
        '<?xml version="1.0"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message><AWSAccessKeyId>AKIAEXAMPLE</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256 secretstuff</StringToSign><SignatureProvided>deadbeefsignature</SignatureProvided></Error>',
      ),
  );
  try {
    const f = await createS3Store({ bucket: 'media', prefix: '', endpoint: fake.url, credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: secret } });
    const e = await catchStoreError(f.put('Manifest', () => body, putOptions(body)));
    assert.equal(e.code, 'store.auth');
    assert.match(e.message, /403 SignatureDoesNotMatch/);
    assertNoSecret(e, [secret, 'secretstuff', 'deadbeefsignature']);
    await f.close!();
  } finally {
    await fake.close();
  }
});

test('503 SlowDown is retryable and throttled with Retry-After; 500 and hang-ups are retryable', async () => {
  const replies: ((res: import('node:http').ServerResponse) => void)[] = [
    (res) => res.writeHead(503, { 'content-type': 'application/xml', 'retry-after': '3' }).end('<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>'),
    (res) => res.writeHead(500, { 'content-type': 'application/xml' }).end('<?xml version="1.0"?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>'),
    (res) => res.socket?.destroy(),
    (res) => res.writeHead(503).end(),
  ];
  let i = 0;
  const fake = await startFakeService((_req, res) => replies[i++]!(res));
  try {
    const s = await createS3Store({ bucket: 'media', prefix: '', endpoint: fake.url });
    const body = Buffer.from('x');
    const slow = await catchStoreError(s.put('Manifest', () => body, putOptions(body)));
    assert.deepEqual(slow.details, { status: 503, retryable: true, throttled: true, retryAfterMs: 3000, key: 'Manifest' });
    const internal = await catchStoreError(s.put('Manifest', () => body, putOptions(body)));
    assert.deepEqual(internal.details, { status: 500, retryable: true, throttled: false, key: 'Manifest' });
    const hangUp = await catchStoreError(s.put('Manifest', () => body, putOptions(body)));
    assert.equal(hangUp.details.retryable, true);
    const plain503 = await catchStoreError(s.put('Manifest', () => body, putOptions(body)));
    assert.equal(plain503.details.retryable, true);
    assert.equal(plain503.details.throttled, false);
    await s.close!();
  } finally {
    await fake.close();
  }
});

test('createStore builds an S3 store from a parsed destination', async () => {
  const s = await createStore({ kind: 's3', bucket: 'viacreate', prefix: 'a/b.ism' }, { endpoint: s3.endpoint, concurrency: 4 });
  assert.equal(s.description, `s3://viacreate/a/b.ism (endpoint ${s3.endpoint})`);
  await s.prepare();
  assert.equal((await listAll(s)).size, 0);
  await s.close!();
});

test('the caller aborting a put is not retryable', async () => {
  const s = await store('media');
  const controller = new AbortController();
  controller.abort();
  const body = Buffer.from('x');
  const e = await catchStoreError(s.put('Manifest', () => body, putOptions(body, { signal: controller.signal })));
  assert.equal(e.details.retryable, false);
  await s.close!();
});

test('a stopped emulator (connection refused) is a retryable StoreError', async () => {
  const own = await startS3rver();
  const s = await createS3Store({ bucket: 'media', prefix: '', endpoint: own.endpoint });
  await s.prepare();
  await own.stop();
  const body = Buffer.from('x');
  const e = await catchStoreError(s.put('Manifest', () => body, putOptions(body)));
  assert.equal(e.code, 'store.request-failed');
  assert.equal(e.details.retryable, true);
  assert.match(e.message, /ECONNREFUSED/);
  await s.close!();
});

test('connections are kept alive and reused across puts at the given concurrency', async (t) => {
  const relay = await startCountingRelay(s3.port);
  try {
    const s = await createS3Store({ bucket: 'keepalive', prefix: 'p', endpoint: `http://127.0.0.1:${relay.port}`, concurrency: 8 });
    await s.prepare();
    const body = Buffer.alloc(20 * 1024, 1);
    const keys = Array.from({ length: 160 }, (_, i) => `QualityLevels(1)/Fragments(video=${i * 20000000})`);
    await inParallel(keys, 8, (key) => s.put(key, () => body, putOptions(body)));
    assert.equal((await listAll(s)).size, 160);
    t.diagnostic(`${relay.connections()} connections for 162 requests at concurrency 8`);
    assert.ok(relay.connections() >= 2 && relay.connections() <= 12, `${relay.connections()} connections`);
    await s.close!();
  } finally {
    await relay.close();
  }
});

test('a request that gets no answer fails as a retryable timeout after the stall timeout', async () => {
  const fake = await startFakeService(() => undefined); // reads the body, never answers
  try {
    const s = await createS3Store({ bucket: 'media', prefix: '', endpoint: fake.url, stallTimeoutMs: 300 });
    const body = Buffer.from('x');
    const started = Date.now();
    const e = await catchStoreError(s.put('Manifest', () => body, putOptions(body)));
    assert.ok(Date.now() - started < 5000);
    assert.equal(e.details.retryable, true);
    assert.match(e.message, /TimeoutError/);
    for (const call of [() => listAll(s), () => s.prepare(), () => s.setCors!(['*'])]) {
      const err = await catchStoreError(call());
      assert.equal(err.details.retryable, true, err.message);
    }
    await s.close!();
  } finally {
    await fake.close();
  }
});

test('the socket pool is sized by concurrency: more puts in flight queue for its sockets', async (t) => {
  const relay = await startCountingRelay(s3.port);
  try {
    const s = await createS3Store({ bucket: 'pool', prefix: 'p', endpoint: `http://127.0.0.1:${relay.port}`, concurrency: 1 });
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

test('no credentials anywhere is store.auth, not retryable', async () => {
  const saved = { ...process.env };
  try {
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) Reflect.deleteProperty(process.env, name);
    // Keep the chain off the network and away from the user's files.
    Object.assign(process.env, { AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent/config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials' });
    const s = await store('media');
    const e = await catchStoreError(s.prepare());
    assert.equal(e.code, 'store.auth');
    assert.equal(e.details.retryable, false);
    assert.match(e.message, /credentials/i);
    await s.close!();
  } finally {
    process.env = saved;
  }
});
