// publish of AC-3/E-AC-3 presentations (a folder destination: the store the other
// destinations share the plan with) writes exactly what package writes, in all formats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listFiles } from '../origin/helpers.js';
import { repoRoot } from '../e2e/helpers.js';
import { cliEnv, describeRun, runCli } from './publishHelpers.js';

test('publish of E-AC-3 (.ism) and AC-3 (plain MP4) to a folder: the objects package writes, byte for byte', async (t) => {
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-publish-dolby-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  for (const input of ['eac3.ism', 'ac3.mp4']) {
    const source = join(repoRoot, 'test', 'fixtures', 'dolby', input);
    const published = join(tmp, 'published', input);
    const packaged = join(tmp, 'packaged', input);
    const p = await runCli(['publish', source, published, '--formats', 'smooth,dash,hls'], cliEnv());
    assert.equal(p.code, 0, describeRun(p));
    const k = await runCli(['package', source, '-o', packaged, '--formats', 'smooth,dash,hls'], cliEnv());
    assert.equal(k.code, 0, describeRun(k));
    const keys = await listFiles(packaged);
    assert.deepEqual(await listFiles(published), keys);
    assert.ok(keys.includes('manifest.mpd') && keys.includes('master.m3u8'));
    for (const key of keys) assert.deepEqual(await readFile(join(published, key)), await readFile(join(packaged, key)), `${input} ${key}`);
    assert.match(await readFile(join(published, 'Manifest'), 'utf8'), input.startsWith('eac3') ? /FourCC="EC-3"/ : /FourCC="AC-3"/);
  }
});
