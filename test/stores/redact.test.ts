import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redact } from '../../src/stores/redact.js';

const azuriteKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

test('connection strings lose AccountKey and SharedAccessSignature', () => {
  const cs = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${azuriteKey};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;`;
  const out = redact(cs, {});
  assert.ok(!out.includes(azuriteKey));
  assert.match(out, /AccountName=devstoreaccount1;AccountKey=<redacted>;BlobEndpoint=http:\/\/127\.0\.0\.1:10000\/devstoreaccount1;/);
  const sas = 'BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=sv=2022-11-02&ss=b&sig=abc%2Bdef%3D';
  assert.equal(redact(sas, {}), 'BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=<redacted>');
});

test('SAS query strings lose sig, other parameters stay', () => {
  const url = 'https://a.blob.core.windows.net/c/video.ism/Manifest?sv=2022-11-02&se=2030-01-01T00%3A00%3A00Z&sp=rwl&sig=S3cr3tSignature%2Fx%3D';
  const out = redact(url, {});
  assert.ok(!out.includes('S3cr3tSignature'));
  assert.match(out, /\?sv=2022-11-02&se=2030-01-01T00%3A00%3A00Z&sp=rwl&sig=<redacted>$/);
  assert.equal(redact('token sig=abcdefgh&sv=1', {}), 'token sig=<redacted>&sv=1');
  assert.equal(redact('a?x=1&amp;sig=abcdefgh', {}), 'a?x=1&amp;sig=<redacted>');
});

test('presigned S3 URLs lose signature, credential and security token', () => {
  const url =
    'http://127.0.0.1:4568/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Security-Token=FwoGZXIvYXdzEJr&X-Amz-Signature=deadbeef0123&X-Amz-SignedHeaders=host';
  const out = redact(url, {});
  for (const secret of ['AKIDEXAMPLE', 'FwoGZXIvYXdzEJr', 'deadbeef0123']) assert.ok(!out.includes(secret), secret);
  assert.match(out, /X-Amz-Algorithm=AWS4-HMAC-SHA256/);
  assert.match(out, /X-Amz-SignedHeaders=host$/);
});

test('Authorization headers in raw, JSON and object renderings', () => {
  assert.equal(redact('Authorization: SharedKey devstoreaccount1:c2lnbmF0dXJl\r\nx-ms-version: 2025-01-05', {}), 'Authorization: <redacted>\r\nx-ms-version: 2025-01-05');
  const json = JSON.stringify({ headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260101, Signature=abc', host: 'x' } });
  const out = redact(json, {});
  assert.ok(!out.includes('AKID') && !out.includes('Signature=abc'), out);
  assert.match(out, /"host":"x"/);
  assert.match(redact("{ authorization: 'Bearer eyJhbGciOi' }", {}), /authorization: '<redacted>'/);
});

test('secret environment values vanish wherever they appear, also URL-encoded', () => {
  const env = { AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', AZURE_STORAGE_KEY: azuriteKey, AZURE_STORAGE_SAS_TOKEN: '?sv=2022&sp=r&xyz=notaparam12345', AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjEXAMPLE' };
  const text = `key ${env.AWS_SECRET_ACCESS_KEY} az ${encodeURIComponent(azuriteKey)} sas sv=2022&sp=r&xyz=notaparam12345 tok ${env.AWS_SESSION_TOKEN}`;
  assert.equal(redact(text, env), 'key <redacted> az <redacted> sas <redacted> tok <redacted>');
  assert.equal(redact('plain', { AWS_SECRET_ACCESS_KEY: 'ai' }), 'plain', 'short values are not treated as secrets');
  assert.equal(redact('x my-own-secret-value y', {}, ['my-own-secret-value']), 'x <redacted> y');
});

test('ordinary text is untouched', () => {
  const text = 'PUT az://media/video.ism/QualityLevels(400000)/Fragments(video=0) failed: 503 ServerBusy (design, signature of the box)';
  assert.equal(redact(text, {}), text);
});
