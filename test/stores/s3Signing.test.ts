import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createS3Store } from '../../src/stores/s3Store.js';

test('S3 puts are signed with UNSIGNED-PAYLOAD and carry Content-MD5 (no second hash of every body)', async () => {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { etag: '"0"' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const store = await createS3Store({ bucket: 'b', prefix: 'p', endpoint, credentials: { accessKeyId: 'id', secretAccessKey: 'secret' } });
    const body = Buffer.from('fragment bytes');
    const md5 = createHash('md5').update(body).digest();
    await store.put('QualityLevels(1)/Fragments(video=0)', () => body, { size: body.length, contentType: 'video/mp4', cacheControl: 'max-age=1', md5 });
    await store.close?.();
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!['x-amz-content-sha256'], 'UNSIGNED-PAYLOAD');
    assert.equal(seen[0]!['content-md5'], md5.toString('base64'));
    assert.match(String(seen[0]!.authorization), /SignedHeaders=[^,]*content-md5/);
  } finally {
    server.close();
  }
});

/** SigV4 recomputed from the request as the server received it (AWS's algorithm, S3's single-encoded path). */
function expectedSignature(method: string, rawPath: string, headers: IncomingHttpHeaders, secret: string): { signature: string; given: string } {
  const auth = String(headers.authorization);
  const m = /^AWS4-HMAC-SHA256 Credential=[^/]+\/(\d{8})\/([^/]+)\/s3\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  assert.ok(m, auth);
  const [, day, region, signedHeaders, given] = m;
  const [path, query = ''] = rawPath.split('?');
  const canonicalQuery = query === '' ? '' : query.split('&').sort().map((p) => (p.includes('=') ? p : `${p}=`)).join('&');
  const canonicalHeaders = signedHeaders!.split(';').map((h) => `${h}:${String(headers[h]).trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonical = [method, path, canonicalQuery, canonicalHeaders, signedHeaders, String(headers['x-amz-content-sha256'])].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', String(headers['x-amz-date']), `${day}/${region}/s3/aws4_request`, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${secret}`).update(day!).digest();
  for (const part of [region!, 's3', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return { signature: createHmac('sha256', key).update(stringToSign).digest('hex'), given: given! };
}

test('S3 puts carry a valid SigV4 signature for the path as sent, parentheses and other characters percent-encoded (s3rver does not check)', async () => {
  const seen: { path: string; headers: IncomingHttpHeaders; body: Buffer }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { etag: '"0"' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const store = await createS3Store({ bucket: 'media', prefix: 'films/a b.ism', endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: secret, sessionToken: 'session+token/=' } });
    const body = Buffer.from('fragment bytes');
    const keys = ['QualityLevels(400000)/Fragments(video=0)', "Fragments(audio_fr=-213333)/it's*!~ü+#?"];
    for (const key of keys) await store.put(key, () => body, { size: body.length, contentType: 'video/mp4', cacheControl: 'max-age=1', md5: createHash('md5').update(body).digest() });
    await store.close?.();
    assert.deepEqual(
      seen.map((s) => s.path),
      ['/media/films/a%20b.ism/QualityLevels%28400000%29/Fragments%28video%3D0%29', '/media/films/a%20b.ism/Fragments%28audio_fr%3D-213333%29/it%27s%2A%21~%C3%BC%2B%23%3F'],
    );
    for (const s of seen) {
      assert.deepEqual(s.body, body);
      assert.equal(s.headers['x-amz-security-token'], 'session+token/=');
      assert.match(String(s.headers.authorization), /Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request/);
      assert.match(String(s.headers.authorization), /SignedHeaders=[^,]*x-amz-security-token/);
      const { signature, given } = expectedSignature('PUT', s.path, s.headers, secret);
      assert.equal(given, signature);
    }
  } finally {
    server.close();
  }
});
