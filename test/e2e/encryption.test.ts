// Encrypted output (`package --key`, Common Encryption) decrypted by an independent reader:
// ffmpeg's mov demuxer (`-decryption_key`) decodes every level of the clean set, its init
// segment and fragments concatenated, to the same frames (framemd5) as the clear package,
// for cenc and cbcs; without the key the same bytes decode to something else. The same
// protected bytes come from `package`, `publish` (Azurite) and `serve` (whole and ranges),
// and no run prints the key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { FORMATS } from '../../src/formats/model.js';
import { initKey } from '../../src/formats/names.js';
import { createOrigin } from '../../src/origin/nodeOrigin.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import type { PresentationProtection } from '../../src/plan/protectionSettings.js';
import type { EncryptionScheme } from '../../src/protect/model.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { formatFragmentUrl } from '../../src/smooth/url.js';
import { startAzurite, type Azurite } from '../harness/azurite.js';
import { cliEnv, describeRun, leakedSecrets, runCli } from '../publish/publishHelpers.js';
import { requireShakaPackager } from '../harness/ci.js';
import { fixtures, requireTools, run } from './helpers.js';

const KID = '0123456789abcdef0123456789abcdef';
const KEY = '8f2a6c3b1d9e4f5a7b0c2d4e6f8a1b3c';
const KEY_BASE64 = Buffer.from(KEY, 'hex').toString('base64');
const KEY_BASE64URL = Buffer.from(KEY, 'hex').toString('base64url');
const ism = join(fixtures, 'clean', 'clean.ism');

function settings(scheme: EncryptionScheme): PresentationProtection {
  return { signal: { scheme }, keys: [{ key: { kid: Buffer.from(KID, 'hex'), key: Buffer.from(KEY, 'hex') } }] };
}

let tmp: string;
const out = { clear: '', cenc: '', cbcs: '' };
let cliRun: Awaited<ReturnType<typeof runCli>>;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'smoothpub-e2e-encrypt-'));
  out.clear = join(tmp, 'clear', 'clean.ism');
  out.cenc = join(tmp, 'cenc', 'clean.ism');
  out.cbcs = join(tmp, 'cbcs', 'clean.ism');
  await packagePresentation({ inputs: [ism], outDir: out.clear, formats: [...FORMATS] });
  // cenc through the CLI (the key only on its command line), cbcs through the library.
  cliRun = await runCli(['package', ism, '-o', out.cenc, '--formats', 'smooth,dash,hls', '--key', `${KID}:${KEY}`, '--json'], cliEnv());
  await packagePresentation({ inputs: [ism], outDir: out.cbcs, formats: [...FORMATS], protection: settings('cbcs') });
});

after(() => rm(tmp, { recursive: true, force: true }));

/** Every level of a packaged folder: its init segment key and its fragment keys in order. */
async function levelsOf(dir: string): Promise<{ name: string; init: string; fragments: string[] }[]> {
  const p = readManifest(await readFile(join(dir, 'Manifest'), 'utf8'));
  return p.streams.flatMap((s) =>
    s.qualityLevels.map((q) => ({ name: `${s.name} ${q.bitrate}`, init: initKey(s.name, q.bitrate), fragments: s.chunks.map((c) => formatFragmentUrl(s.url, q.bitrate, c.t)) })),
  );
}

/** A level's init segment and fragments in one file, as a player appends them. */
async function concatenated(dir: string, level: { name: string; init: string; fragments: string[] }, file: string): Promise<string> {
  const parts = await Promise.all([level.init, ...level.fragments].map((k) => readFile(join(dir, k))));
  await writeFile(file, Buffer.concat(parts));
  return file;
}

/**
 * ffmpeg's framemd5 of a file read through a pipe: on a seekable concatenated fMP4 the mov
 * demuxer takes some fragments' IVs from the wrong fragment (docs/architecture.md).
 */
async function frameMd5(file: string, key?: string, mustDecode = key !== undefined): Promise<string[]> {
  const decryption = key === undefined ? '' : `-decryption_key ${key}`;
  const r = await run('sh', ['-c', `ffmpeg -nostdin -v error ${decryption} -f mp4 -i pipe:0 -map 0 -f framemd5 - < "$0"`, file], 120);
  if (mustDecode) assert.equal(r.code, 0, `ffmpeg: ${r.stderr.slice(-1500)}`);
  return r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

test('package --key prints no key (hex or base64) and reports a normal result', () => {
  assert.equal(cliRun.code, 0, describeRun(cliRun));
  assert.deepEqual(leakedSecrets([cliRun.stdout, cliRun.stderr], [KEY, KEY.toUpperCase(), KEY_BASE64, KEY_BASE64URL]), []);
  const result = JSON.parse(cliRun.stdout.trim().split('\n').at(-1)!) as { event: string; encryption?: unknown };
  assert.equal(result.event, 'result');
  const kid = `${KID.slice(0, 8)}-${KID.slice(8, 12)}-${KID.slice(12, 16)}-${KID.slice(16, 20)}-${KID.slice(20)}`;
  assert.deepEqual(result.encryption, { scheme: 'cenc', kids: { video: kid, audio: kid } }, 'the result names the scheme and the KIDs');
});

for (const scheme of ['cenc', 'cbcs'] as const) {
  test(`ffmpeg -decryption_key decodes every level of the ${scheme} output to the clear package's frames`, { timeout: 240_000 }, async (t) => {
    if (!requireTools(t, 'ffmpeg')) return;
    const levels = await levelsOf(out[scheme]);
    assert.deepEqual(levels, await levelsOf(out.clear), 'the same levels and fragments');
    assert.equal(levels.length, 4, 'three video levels and the audio');
    for (const level of levels) {
      const file = (which: string): string => join(tmp, `${which}-${scheme}-${level.name.replace(/\W/g, '_')}.mp4`);
      const clear = await frameMd5(await concatenated(out.clear, level, file('clear')), undefined, true);
      const protectedFile = await concatenated(out[scheme], level, file('protected'));
      assert.ok(clear.length > 50, `${level.name}: ${clear.length} frames decoded in the clear`);
      assert.deepEqual(await frameMd5(protectedFile, KEY), clear, `${level.name}: the same frames with the key`);
      assert.notDeepEqual(await frameMd5(protectedFile), clear, `${level.name}: without the key the samples are not the clear ones`);
      // The payload sizes never change: only the moof grows.
      for (const key of level.fragments.slice(0, 3)) {
        const [a, b] = await Promise.all([readFile(join(out.clear, key)), readFile(join(out[scheme], key))]);
        assert.ok(b.length > a.length, `${key}: the protected fragment carries its sample encryption`);
        assert.notDeepEqual(b.subarray(b.length - 4096), a.subarray(a.length - 4096), `${key}: the last samples are encrypted`);
      }
    }
  });
}

test('publish --key uploads and serve --key answers (whole and by range) the bytes package --key wrote', { timeout: 180_000 }, async () => {
  const dir = out.cenc;
  const keys = (await levelsOf(dir)).flatMap((l) => [l.init, ...l.fragments]).concat(['Manifest', 'manifest.mpd', 'master.m3u8']);
  let az: Azurite | undefined;
  try {
    az = await startAzurite();
    const r = await runCli(
      ['publish', ism, 'az://media/clean.ism', '--formats', 'smooth,dash,hls', '--key', `${KID}:${KEY}`, '--json'],
      cliEnv({ AZURE_STORAGE_CONNECTION_STRING: az.connectionString }),
    );
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(leakedSecrets([r.stdout, r.stderr], [KEY, KEY_BASE64, KEY_BASE64URL, az.accountKey]), []);
    const container = BlobServiceClient.fromConnectionString(az.connectionString).getContainerClient('media');
    for (const key of keys) {
      const published = await container.getBlobClient(`clean.ism/${key}`).downloadToBuffer();
      assert.ok(published.equals(await readFile(join(dir, key))), `${key}: the uploaded bytes are the packaged ones`);
    }
  } finally {
    await az?.stop();
  }

  const origin = createOrigin({ root: join(fixtures, 'clean'), protection: settings('cenc') });
  try {
    for (const key of keys) {
      const expected = await readFile(join(dir, key));
      const whole = await origin(new Request(`http://origin.test/clean.ism/${key}`));
      assert.equal(whole.status, 200, key);
      assert.ok(Buffer.from(await whole.arrayBuffer()).equals(expected), `${key}: serve answers the packaged bytes`);
      if (key.includes('Fragments(') && !key.endsWith('=i)')) {
        const start = 100;
        const end = expected.length - 7;
        const part = await origin(new Request(`http://origin.test/clean.ism/${key}`, { headers: { range: `bytes=${start}-${end}` } }));
        assert.equal(part.status, 206, key);
        assert.ok(Buffer.from(await part.arrayBuffer()).equals(expected.subarray(start, end + 1)), `${key}: a range of it`);
      }
    }
  } finally {
    await origin.close();
  }
});

test("Shaka Packager decrypts every level of smoothpub's cenc and cbcs output to the clear samples", { timeout: 240_000 }, async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const shaka = requireShakaPackager(t);
  if (shaka === undefined) return;
  for (const scheme of ['cenc', 'cbcs'] as const) {
    for (const level of await levelsOf(out[scheme])) {
      const name = `${scheme}-${level.name.replace(/\W/g, '_')}`;
      const input = await concatenated(out[scheme], level, join(tmp, `shaka-in-${name}.mp4`));
      const output = join(tmp, `shaka-out-${name}.mp4`);
      const r = await run(shaka, [`in=${input},stream=${level.name.startsWith('audio') ? 'audio' : 'video'},output=${output}`, '--enable_raw_key_decryption', '--keys', `label=:key_id=${KID}:key=${KEY}`, '--quiet'], 120);
      assert.equal(r.code, 0, `${name}: ${r.stderr.slice(-1500)}`);
      const clear = await frameMd5(await concatenated(out.clear, level, join(tmp, `shaka-clear-${name}.mp4`)), undefined, true);
      // Shaka writes its own timeline: compare each frame's size and checksum.
      const samples = (lines: string[]): string[] => lines.map((l) => l.split(',').slice(-2).join(',').trim());
      assert.deepEqual(samples(await frameMd5(output, undefined, true)), samples(clear), `${name}: Shaka Packager's decryption gives the clear frames`);
    }
  }
});

test('publish --all --key encrypts every presentation of a library with the same bytes as package --key', { timeout: 120_000 }, async () => {
  const dest = join(tmp, 'library-out');
  const r = await runCli(['publish', '--all', join(fixtures, 'clean'), dest, '--formats', 'smooth,dash,hls', '--key', `${KID}:${KEY}`, '--json'], cliEnv());
  assert.equal(r.code, 0, describeRun(r));
  assert.deepEqual(leakedSecrets([r.stdout, r.stderr], [KEY, KEY_BASE64, KEY_BASE64URL]), []);
  const levels = await levelsOf(out.cenc);
  for (const key of levels.flatMap((l) => [l.init, ...l.fragments]).concat(['Manifest', 'manifest.mpd', 'master.m3u8'])) {
    const [published, packaged] = await Promise.all([readFile(join(dest, 'clean.ism', key)), readFile(join(out.cenc, key))]);
    assert.ok(published.equals(packaged), `${key}: the library's presentation has the packaged bytes`);
  }
});
