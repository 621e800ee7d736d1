import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowsPlayers, playerCorsRule, type CorsRule } from '../../src/stores/corsRules.js';

const rule = (origins: string[], methods: string[]): CorsRule => ({ origins, methods, allowedHeaders: [], exposedHeaders: [], maxAgeSeconds: 0 });

test('origins are served only when some rule allows each of them both GET and HEAD', () => {
  assert.equal(allowsPlayers([], ['*']), false);
  assert.equal(allowsPlayers([rule(['*'], ['get', 'head'])], ['https://a.example', '*']), true);
  assert.equal(allowsPlayers([rule(['*'], ['GET'])], ['https://a.example']), false, 'HEAD missing');
  assert.equal(allowsPlayers([rule(['https://a.example'], ['GET', 'HEAD', 'PUT'])], ['https://A.example']), true, 'origins compare case-insensitively');
  assert.equal(allowsPlayers([rule(['https://a.example'], ['GET', 'HEAD'])], ['*']), false, 'one origin does not serve every origin');
  // Spread over two rules: each origin is served by one.
  assert.equal(allowsPlayers([rule(['https://a.example'], ['GET', 'HEAD']), rule(['https://b.example'], ['HEAD', 'GET'])], ['https://a.example', 'https://b.example']), true);
  assert.equal(allowsPlayers([rule(['https://a.example'], ['GET', 'HEAD']), rule(['https://b.example'], ['PUT'])], ['https://a.example', 'https://b.example']), false);
});

test('S3-style wildcard origins match by pattern, with regex characters taken literally', () => {
  const wild = [rule(['https://*.example.com'], ['GET', 'HEAD'])];
  assert.equal(allowsPlayers(wild, ['https://player.example.com']), true);
  assert.equal(allowsPlayers(wild, ['https://example.com']), false);
  assert.equal(allowsPlayers(wild, ['https://player.exampleXcom']), false, 'the dot is a dot');
  assert.equal(allowsPlayers(wild, ['*']), false);
});

test('the player rule allows GET and HEAD (and OPTIONS where the service lists it) from the given origins', () => {
  assert.deepEqual(playerCorsRule(['*'], true).methods, ['GET', 'HEAD', 'OPTIONS']);
  assert.deepEqual(playerCorsRule(['https://a.example'], false), { origins: ['https://a.example'], methods: ['GET', 'HEAD'], allowedHeaders: ['*'], exposedHeaders: ['Content-Length', 'Content-Type', 'ETag', 'Date'], maxAgeSeconds: 3600 });
});
