import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
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
