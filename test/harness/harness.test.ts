import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startAzurite } from './azurite.js';
import { startS3rver } from './s3rver.js';

test('Azurite starts on a free port, answers, and stop removes its dir', async () => {
  const a = await startAzurite();
  const b = await startAzurite();
  try {
    assert.notEqual(a.port, b.port);
    const res = await fetch(`${a.endpoint}?comp=list`);
    assert.ok(res.status > 0);
    await res.arrayBuffer();
  } finally {
    await a.stop();
    await b.stop();
  }
  await assert.rejects(fetch(`${a.endpoint}?comp=list`));
});

test('s3rver starts on a free port and stops', async () => {
  const s = await startS3rver();
  try {
    const res = await fetch(`${s.endpoint}/`);
    assert.ok(res.status > 0);
    await res.arrayBuffer();
  } finally {
    await s.stop();
  }
  await assert.rejects(fetch(`${s.endpoint}/`));
});
