import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRetryAfter, storeError } from '../../src/stores/storeFailure.js';

test('Retry-After in seconds or as an HTTP date', () => {
  assert.equal(parseRetryAfter('7'), 7000);
  assert.equal(parseRetryAfter(' 0 '), 0);
  assert.equal(parseRetryAfter('1.5'), 1500);
  const now = Date.parse('2026-11-25T10:00:00Z');
  assert.equal(parseRetryAfter('Wed, 25 Nov 2026 10:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Wed, 25 Nov 2026 09:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter(''), undefined);
  assert.equal(parseRetryAfter(undefined), undefined);
});

test('classifies statuses and socket errors', () => {
  const base = { operation: 'put', store: 'az://c/p (account a)', key: 'Manifest' };
  for (const status of [408, 429, 500, 502, 503, 504]) assert.equal(storeError({ ...base, status }).details.retryable, true, String(status));
  for (const status of [400, 401, 403, 404, 409, 412]) assert.equal(storeError({ ...base, status }).details.retryable, false, String(status));
  for (const code of ['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EPIPE']) assert.equal(storeError({ ...base, code }).details.retryable, true, code);
  assert.equal(storeError({ ...base, detail: 'socket hang up' }).details.retryable, true);
  assert.equal(storeError({ ...base, code: 'ECONNRESET', abortedByCaller: true }).details.retryable, false);
  assert.equal(storeError({ ...base, timedOut: true }).details.retryable, true);
  assert.equal(storeError({ ...base, status: 429 }).details.throttled, true);
  assert.equal(storeError({ ...base, status: 503 }).details.throttled, false);
  assert.equal(storeError({ ...base, status: 503, throttled: true }).details.throttled, true);
  assert.equal(storeError({ ...base, status: 403 }).code, 'store.auth');
  assert.equal(storeError({ ...base, status: 404 }).code, 'store.not-found');
  const noToken = storeError({ ...base, code: 'CredentialUnavailableError', credentialsFailed: true, detail: 'no identity' });
  assert.equal(noToken.code, 'store.auth');
  assert.equal(noToken.details.retryable, false);
});

test('the message names operation, store, status, code and object, without secrets', () => {
  const e = storeError({
    operation: 'put',
    store: 'az://media/show (account acct)',
    key: 'QualityLevels(1)/Fragments(video=0)',
    status: 500,
    code: 'InternalError',
    detail: 'failed for https://acct.blob.core.windows.net/media?sv=1&sig=SECRETSIG',
    secrets: ['my-account-key-value'],
  });
  assert.equal(
    e.message,
    'put at az://media/show (account acct) failed: 500 InternalError (failed for https://acct.blob.core.windows.net/media?sv=1&sig=<redacted>) (object QualityLevels(1)/Fragments(video=0))',
  );
  assert.ok(!storeError({ operation: 'list', store: 's', detail: 'key my-account-key-value', secrets: ['my-account-key-value'] }).message.includes('my-account-key-value'));
});
