// A library of 50 presentations, published with one command (`publish --all`) from a local
// folder and from a prefix in Azurite, then verified with one command (`verify --all`). One
// presentation is corrupt (a truncated source): every other one is published and verified,
// the bad one is named with its error code, and the exit code is 1. A library publish
// killed with SIGKILL halfway resumes without uploading any object twice (every PUT the
// store answered is counted by the fault proxy, at rate 0, per path).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { link, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { createAzureStore } from '../../src/stores/azureStore.js';
import { listFiles } from '../../src/stores/folderStore.js';
import { startAzurite, type Azurite } from '../harness/azurite.js';
import { startFaultProxy, type FaultProxy } from '../harness/faultProxy.js';
import { waitUntil } from '../harness/waitUntil.js';
import { repoRoot } from '../e2e/helpers.js';
import { cliEnv, describeRun, jsonLines, listBlobs, runCli, startCli, type CliResult } from './publishHelpers.js';

const PRESENTATIONS = 50;
/** 4 video + 4 audio fragments (v120.ismv and audio.isma of the clean set) + the Manifest. */
const OBJECTS_EACH = 9;
const BROKEN = 'films/broken.ism';

let az: Azurite;
let proxy: FaultProxy;
let tmp: string;
let lib: string;
/** Every presentation's path in the library, BROKEN among them. */
const paths: string[] = [];
const good = (): string[] => paths.filter((p) => p !== BROKEN);

const fixture = (name: string): string => join(repoRoot, 'test', 'fixtures', 'clean', name);
const env = (): NodeJS.ProcessEnv => cliEnv({ AZURE_STORAGE_ACCOUNT: az.accountName, AZURE_STORAGE_KEY: az.accountKey });

/** A `.ism` over the clean set's lowest video level and its audio, under `dir` (relative to the .ism). */
function ism(dir: string): string {
  const at = dir === '' ? '' : `${dir}/`;
  return `<?xml version="1.0" encoding="utf-8"?>
<smil xmlns="http://www.w3.org/2001/SMIL20/Language"><head/><body><switch>
  <video src="${at}v120.ismv" systemBitrate="120000"><param name="trackID" value="1" valuetype="data"/></video>
  <audio src="${at}audio.isma" systemBitrate="64000"><param name="trackID" value="1" valuetype="data"/></audio>
</switch></body></smil>
`;
}

/** Hard links of the clean fixtures into `dir` (cheap: no copies), or a truncated copy of the video for the broken one. */
async function media(dir: string, broken = false): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (broken) {
    // Cut inside the second video fragment's mdat: indexing fails with bmff.bad-box-size.
    await writeFile(join(dir, 'v120.ismv'), (await readFile(fixture('v120.ismv'))).subarray(0, 60_000));
  } else {
    await link(fixture('v120.ismv'), join(dir, 'v120.ismv'));
  }
  await link(fixture('audio.isma'), join(dir, 'audio.isma'));
}

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'smoothpub-library-'));
  lib = join(tmp, 'lib');
  const emulator = startAzurite();
  // Three shapes, as media-services accounts and IIS folders hold them: a `.ism` beside its
  // sources, a folder named *.ism of media files, a `.ism` naming sources in a subfolder.
  for (let i = 0; i < PRESENTATIONS; i++) {
    if (i === 25) {
      await media(join(lib, BROKEN), true);
      paths.push(BROKEN);
    } else if (i % 3 === 0) {
      await media(join(lib, 'shows', `s${i}`));
      await writeFile(join(lib, 'shows', `s${i}`, `show${i}.ism`), ism(''));
      paths.push(`shows/s${i}/show${i}.ism`);
    } else if (i % 3 === 1) {
      await media(join(lib, 'films', `f${i}.ism`));
      paths.push(`films/f${i}.ism`);
    } else {
      await media(join(lib, `media${i}`));
      await writeFile(join(lib, `a${i}.ism`), ism(`media${i}`));
      paths.push(`a${i}.ism`);
    }
  }
  paths.sort();
  az = await emulator;
  proxy = await startFaultProxy(az.endpoint, { rate: 0, seed: 12 });
  // The same library as blobs under az://library/src, put with the store API.
  const store = await createAzureStore({ container: 'library', prefix: 'src', endpoint: az.endpoint, env: az.env, concurrency: 16 });
  await store.prepare();
  const keys: string[] = [];
  for await (const key of listFiles(lib)) keys.push(key);
  await Promise.all(
    keys.map(async (key) => {
      const data = await readFile(join(lib, ...key.split('/')));
      const md5 = createHash('md5').update(data).digest();
      await store.put(key, () => data, { size: data.length, contentType: 'application/octet-stream', cacheControl: 'no-cache', md5 });
    }),
  );
  await store.close?.();
});

after(async () => {
  await proxy?.close();
  await az?.stop();
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
});

interface LibraryResult {
  retries: number;
  presentations: number;
  published: number;
  failed: number;
  objects: number;
  uploaded: number;
  skipped: number;
  failures: { presentation: string; code: string; message: string }[];
}

/** The last line, the library's result, after checking that every line is a JSON event. */
function libraryResult(r: CliResult): LibraryResult {
  const events = jsonLines(r.stdout);
  const last = events[events.length - 1];
  assert.equal(last?.event, 'result', describeRun(r));
  assert.equal(last?.presentation, undefined, 'the last line is the library\'s, not a presentation\'s');
  return last as unknown as LibraryResult;
}

/** The broken presentation is the one failure, named with the code a truncated box gives. */
function assertOnlyBrokenFailed(r: CliResult): LibraryResult {
  assert.equal(r.code, 1, describeRun(r));
  const result = libraryResult(r);
  assert.deepEqual(
    { presentations: result.presentations, published: result.published, failed: result.failed },
    { presentations: PRESENTATIONS, published: PRESENTATIONS - 1, failed: 1 },
  );
  assert.deepEqual(result.failures.map((f) => [f.presentation, f.code]), [[BROKEN, 'bmff.bad-box-size']]);
  assert.match(result.failures[0]!.message, /v120\.ismv/, 'the message names the bad file');
  const events = jsonLines(r.stdout);
  const errors = events.filter((e) => e.event === 'error');
  assert.deepEqual(errors.map((e) => e.presentation), [BROKEN], 'one error line, about the broken presentation');
  const done = events.filter((e) => e.event === 'result' && e.presentation !== undefined).map((e) => e.presentation as string);
  assert.deepEqual(done.sort(), good(), 'a result line for every other presentation');
  return result;
}

/** Keys under `container/prefix`, with their MD5s. */
async function stored(container: string, prefix: string): Promise<Map<string, string>> {
  return new Map([...(await listBlobs(az, container, prefix))].map(([k, b]) => [k, b.md5]));
}

/** Every good presentation complete at `<prefix>/<path>/`, Manifest included; nothing of the broken one. */
function assertComplete(keys: Map<string, string>): void {
  for (const p of good()) {
    const mine = [...keys.keys()].filter((k) => k.startsWith(`${p}/`));
    assert.equal(mine.length, OBJECTS_EACH, `${p}: ${mine.join(', ')}`);
    assert.ok(keys.has(`${p}/Manifest`), `${p}/Manifest`);
  }
  assert.deepEqual([...keys.keys()].filter((k) => k.startsWith(`${BROKEN}/`)), []);
  assert.equal(keys.size, good().length * OBJECTS_EACH);
}

/** Byte for byte (MD5) what publishing the local folder gave, which the first test verified. */
async function assertSameAsLocal(keys: Map<string, string>): Promise<void> {
  const local = await stored('pub', 'local');
  assert.deepEqual(
    [...keys].filter(([k, md5]) => local.get(k) !== md5).map(([k]) => k),
    [],
  );
}

async function verifyAll(container: string, prefix: string): Promise<{ r: CliResult; result: Record<string, unknown> }> {
  const r = await runCli(['verify', '--all', `az://${container}/${prefix}`, '--endpoint', az.endpoint, '--concurrency', '16', '--json'], env());
  const events = jsonLines(r.stdout);
  return { r, result: events[events.length - 1] as Record<string, unknown> };
}

test('publish --all from a local folder: all but the corrupt one published and verified; the bad one named; exit 1', { timeout: 120_000 }, async () => {
  const r = await runCli(['publish', '--all', lib, 'az://pub/local', '--endpoint', az.endpoint, '--public', '--concurrency', '16', '--json'], env());
  const result = assertOnlyBrokenFailed(r);
  assert.equal(result.objects, good().length * OBJECTS_EACH);
  assert.equal(result.uploaded, result.objects);
  assertComplete(await stored('pub', 'local'));

  const verified = await verifyAll('pub', 'local');
  assert.equal(verified.r.code, 0, describeRun(verified.r));
  assert.deepEqual(
    { ok: verified.result.ok, presentations: verified.result.presentations, passed: verified.result.passed, fragments: verified.result.fragments },
    { ok: true, presentations: good().length, passed: good().length, fragments: good().length * (OBJECTS_EACH - 1) },
  );
  const reports = jsonLines(verified.r.stdout).filter((e) => e.event === 'result' && e.presentation !== undefined);
  assert.deepEqual(reports.map((e) => e.presentation).sort(), good());

  // A fragment gone: verify (of a list, here) fails with exit 1 and names that presentation only.
  const [victim, other] = [good()[7]!, good()[8]!];
  const copy = `${victim.replace(/\.ism$/, '')}-copy.ism`;
  const container = new BlobServiceClient(az.endpoint, new StorageSharedKeyCredential(az.accountName, az.accountKey)).getContainerClient('pub');
  for (const key of (await stored('pub', 'local')).keys()) {
    if (key.startsWith(`${victim}/`)) await container.getBlobClient(`local/${copy}/${key.slice(victim.length + 1)}`).syncCopyFromURL(az.blobUrl('pub', `local/${key}`));
  }
  await container.deleteBlob(`local/${copy}/QualityLevels(64000)/Fragments(audio=20053333)`);
  const listFile = join(tmp, 'verify-list.txt');
  await writeFile(listFile, `${other}\n${copy}/Manifest\n`);
  const r2 = await runCli(['verify', '--list', listFile, 'az://pub/local', '--endpoint', az.endpoint, '--json'], env());
  assert.equal(r2.code, 1, describeRun(r2));
  const last = jsonLines(r2.stdout).pop() as unknown as { presentations: number; passed: number; failures: { presentation: string; problems: { code: string; url: string }[] }[] };
  assert.deepEqual({ presentations: last.presentations, passed: last.passed }, { presentations: 2, passed: 1 });
  assert.deepEqual(last.failures.map((f) => [f.presentation, f.problems.map((p) => p.code)]), [[copy, ['verify.http-status']]]);
  assert.match(last.failures[0]!.problems[0]!.url, /-copy\.ism\/QualityLevels\(64000\)\/Fragments\(audio=20053333\)$/);
});

test('publish --all from an az:// prefix: the sources read by range (through a store failing 3 % of requests) give the same objects as the local folder', { timeout: 120_000 }, async () => {
  // The library is read through a proxy that fails some requests (500, 503, dropped
  // connections): listing, HEADs and range reads are retried as uploads are.
  const faulty = await startFaultProxy(az.endpoint, { rate: 0.03, seed: 7 });
  let r: CliResult;
  try {
    r = await runCli(
      ['publish', '--all', 'az://library/src', 'az://pub/remote', '--endpoint', az.endpoint, '--source-endpoint', `${faulty.url}/${az.accountName}`, '--public', '--concurrency', '16', '--json'],
      env(),
    );
  } finally {
    await faulty.close();
  }
  const result = assertOnlyBrokenFailed(r);
  assert.ok(faulty.faults > 0 && result.retries >= faulty.faults, `${faulty.faults} faults injected, ${result.retries} retries`);
  const remote = await stored('pub', 'remote');
  assertComplete(remote);
  await assertSameAsLocal(remote);

  const verified = await verifyAll('pub', 'remote');
  assert.equal(verified.r.code, 0, describeRun(verified.r));
  assert.equal(verified.result.passed, good().length);
});

test('publish --all killed with SIGKILL halfway: the re-run uploads nothing twice and completes the library', { timeout: 120_000 }, async () => {
  const prefix = `PUT /${az.accountName}/crash/lib/`;
  const putsUnder = (): Map<string, number> => {
    const out = new Map<string, number>();
    for (const [k, n] of proxy.succeeded) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), n);
    return out;
  };
  const args = ['publish', '--all', lib, 'az://crash/lib', '--endpoint', `${proxy.url}/${az.accountName}`, '--public', '--concurrency', '4', '--json'];
  const total = good().length * OBJECTS_EACH;
  const half = Math.floor(total / 2);

  // SIGKILL from inside the proxy the moment the store has answered the half-th PUT.
  const cli = startCli(args, env());
  const succeeded = proxy.succeeded;
  const originalSet = succeeded.set.bind(succeeded);
  let count = 0;
  succeeded.set = (key: string, value: number) => {
    originalSet(key, value);
    if (key.startsWith(prefix) && ++count === half) cli.child.kill('SIGKILL');
    return succeeded;
  };
  let killed: CliResult;
  try {
    killed = await cli.done;
  } finally {
    succeeded.set = originalSet;
  }
  assert.equal(killed.signal, 'SIGKILL', describeRun(killed));
  await waitUntil('the proxy to have passed on every answer of the store', () => proxy.idle);
  const before = putsUnder();
  assert.ok(before.size >= half && before.size < total, `${before.size} objects stored before the kill`);
  assert.deepEqual([...(await stored('crash', 'lib')).keys()].sort(), [...before.keys()].sort(), 'the store holds exactly what the proxy counted');

  const rerun = await runCli(args, env());
  const result = assertOnlyBrokenFailed(rerun);
  assert.deepEqual({ skipped: result.skipped, uploaded: result.uploaded }, { skipped: before.size, uploaded: total - before.size });
  const after = putsUnder();
  assert.equal(after.size, total, 'every object PUT');
  assert.deepEqual([...after].filter(([, n]) => n > 1).map(([k]) => k), [], 'no object uploaded twice');
  // One --concurrency for the whole library: never more puts at once, though presentations overlap.
  const peak = proxy.peakInFlight.get('PUT') ?? 0;
  assert.ok(peak >= 2 && peak <= 4, `at most 4 puts at once, found ${peak}`);
  const resumed = await stored('crash', 'lib');
  assertComplete(resumed);
  // And byte for byte the objects of the run that was verified.
  await assertSameAsLocal(resumed);
});

test('Ctrl-C (SIGINT) stops a library publish as it stops one presentation: exit 130 within 5 s, no error line about a presentation', { timeout: 60_000 }, async () => {
  const prefix = `PUT /${az.accountName}/stop/lib/`;
  const cli = startCli(['publish', '--all', lib, 'az://stop/lib', '--endpoint', `${proxy.url}/${az.accountName}`, '--concurrency', '2', '--json'], env());
  const succeeded = proxy.succeeded;
  const originalSet = succeeded.set.bind(succeeded);
  let count = 0;
  let sent = 0;
  succeeded.set = (key: string, value: number) => {
    originalSet(key, value);
    if (key.startsWith(prefix) && ++count === 30) {
      sent = Date.now();
      cli.child.kill('SIGINT');
    }
    return succeeded;
  };
  let stopped: CliResult;
  try {
    stopped = await cli.done;
  } finally {
    succeeded.set = originalSet;
  }
  assert.equal(stopped.code, 130, describeRun(stopped));
  assert.ok(Date.now() - sent < 5000, `ended ${Date.now() - sent} ms after the signal`);
  const events = jsonLines(stopped.stdout);
  assert.deepEqual(events[events.length - 1], { event: 'error', code: 'interrupted', message: 'interrupted by SIGINT', context: {} });
  assert.deepEqual(events.filter((e) => e.event === 'error' && e.presentation !== undefined && e.presentation !== BROKEN), [], 'no presentation blamed for the stop');
});

test('publish --list: the listed presentations only, a missing entry named; each at the path a single publish of it would take', { timeout: 60_000 }, async () => {
  const ismFile = paths.find((p) => /^a\d+\.ism$/.test(p))!;
  const folder = paths.find((p) => /^films\/f\d+\.ism$/.test(p))!;
  const listFile = join(tmp, 'list.txt');
  // Relative to the library, or an absolute path under it; comments, blank lines and repeats are skipped.
  await writeFile(listFile, [ismFile, `${join(lib, folder)}/`, 'films/nothing.ism', '# a comment', '', ismFile].join('\n'));
  const out = join(tmp, 'listed');
  const r = await runCli(['publish', '--list', listFile, lib, out, '--json'], env());
  assert.equal(r.code, 1, describeRun(r));
  const result = libraryResult(r);
  assert.deepEqual({ presentations: result.presentations, published: result.published }, { presentations: 3, published: 2 });
  assert.deepEqual(result.failures.map((f) => [f.presentation, f.code]), [['films/nothing.ism', 'input.read-failed']]);
  const files = await filesUnder(out);
  const presentationOf = (f: string): string => f.replace(/\/(Manifest|QualityLevels\(.*)$/, '');
  assert.deepEqual([...new Set(files.map(presentationOf))].sort(), [folder, ismFile].sort());

  // A single publish of the .ism to <dest>/<its path> writes the same names.
  const single = join(tmp, 'single');
  const one = await runCli(['publish', join(lib, ismFile), join(single, ismFile), '--json'], env());
  assert.equal(one.code, 0, describeRun(one));
  assert.deepEqual(await filesUnder(single), files.filter((f) => f.startsWith(`${ismFile}/`)));
});

async function filesUnder(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const f of listFiles(dir)) files.push(f);
  return files.sort();
}
