import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startAzurite } from './azurite.js';
import { startS3rver } from './s3rver.js';
import { waitUntil } from './waitUntil.js';

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
  assert.equal(existsSync(a.dir), false);
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
  assert.equal(existsSync(s.dir), false);
  await assert.rejects(fetch(`${s.endpoint}/`));
});

test('an emulator dies with the test process, even when that is SIGKILLed', async () => {
  const harness = new URL('./s3rver.js', import.meta.url).href;
  const parent = spawn(process.execPath, ['--input-type=module', '-e', `import { startS3rver } from '${harness}'; const s = await startS3rver(); console.log(s.endpoint); setInterval(() => {}, 1000);`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const endpoint = await new Promise<string>((resolve) => parent.stdout.setEncoding('utf8').once('data', (s: string) => resolve(s.trim())));
  assert.equal((await fetch(`${endpoint}/`)).status, 200);
  parent.kill('SIGKILL');
  // Connection refused: the orphan exited (its watchdog checks every 500 ms).
  await waitUntil(
    'the emulator to exit after its parent was killed',
    async () => {
      try {
        await (await fetch(`${endpoint}/`)).arrayBuffer();
        return false;
      } catch {
        return true;
      }
    },
    { timeoutMs: 5000, intervalMs: 100 },
  );
});
