import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPackageRoot } from '../../src/play/packageRoot.js';
import type { VerifyReport } from '../../src/verify/verifyPresentation.js';
import { key, packageAndServe, sets } from './helpers.js';
import { parseEvents, resultOf } from '../cli/jsonEvents.js';

// The real bin, run asynchronously so the server in this process keeps answering.
const bin = join(findPackageRoot(fileURLToPath(new URL('.', import.meta.url))), 'bin', 'smoothpub.js');

function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, 'verify', ...args], { encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error && typeof error.code === 'number' ? error.code : error ? -1 : 0;
      resolve({ status: code, stdout, stderr });
    });
  });
}

test('verify CLI: exit 0 and a summary when intact; exit 1, one line per problem, when not; --json', async () => {
  const s = await packageAndServe(sets.cleanIsm);
  try {
    let r = await cli(s.manifestUrl);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^verified 16 fragments of 2 streams \([\d.]+ KiB\) in [\d.]+ s: ok\n$/);
    assert.equal(r.stderr, '', 'no progress line when stderr is not a terminal');

    const gone = [key(s, 'video', 0, 1), key(s, 'audio', 0, 3)];
    for (const k of gone) await rm(join(s.dir, k));
    r = await cli(s.manifestUrl, '--concurrency', '2');
    assert.equal(r.status, 1);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      `problem verify.http-status: ${s.url(gone[0]!)}: expected HTTP 200, found 404 (missing)`,
      `problem verify.http-status: ${s.url(gone[1]!)}: expected HTTP 200, found 404 (missing)`,
      r.stdout.trim().split('\n')[2]!,
    ]);
    assert.match(r.stdout, /\nverified 16 fragments of 2 streams \(.*\) in [\d.]+ s: 2 problems\n$/);

    r = await cli(s.manifestUrl, '--json', '--policy', '--origin', 'https://player.example');
    assert.equal(r.status, 1);
    const report = resultOf<VerifyReport>(r.stdout);
    assert.equal(report.ok, false);
    const codes = ['verify.policy', 'verify.policy', 'verify.http-status', 'verify.http-status'];
    assert.deepEqual(report.problems.map((p) => p.code), codes);
    // The same problems as `problem` lines before the result, each with its URL.
    const problems = parseEvents(r.stdout).filter((e) => e.event === 'problem') as unknown as { code: string; context: { url: string } }[];
    assert.deepEqual(problems.map((p) => p.code), codes);
    assert.equal(problems[2]!.context.url, s.url(gone[0]!));
  } finally {
    await s.close();
  }
});

test('verify CLI: usage errors exit 2 (bad URL, concurrency, origin); an unreachable Manifest exits 1', async () => {
  let r = await cli('http://127.0.0.1:9/video.ism/');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^error cli\.bad-option: manifest URL must end in \/Manifest/);
  r = await cli('http://127.0.0.1:9/video.ism/Manifest', '--concurrency', '0');
  assert.equal(r.status, 2);
  r = await cli('http://127.0.0.1:9/video.ism/Manifest', '--origin', 'https://player.example/page');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--origin must be an origin/);
  const s = await packageAndServe(sets.cleanIsm);
  await s.close();
  r = await cli(s.manifestUrl, '--json');
  assert.equal(r.status, 1);
  assert.equal(resultOf<VerifyReport>(r.stdout).problems[0]!.code, 'verify.manifest');
});

test('verify CLI --formats: a line per format, problems naming their formats, --json with context.formats; an MPD URL alone', async () => {
  const s = await packageAndServe(sets.cleanIsm, { formats: ['smooth', 'dash', 'hls'] });
  try {
    let r = await cli(s.manifestUrl, '--formats', 'smooth,dash,hls');
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /^smooth: 2 documents, 0 init segments, 16 fragments, ok\ndash: 3 documents, 4 init segments, 16 fragments, ok\nhls: 7 documents, 4 init segments, 16 fragments, ok\nverified 16 fragments and 4 init segments of 2 streams \([\d.]+ KiB\) in [\d.]+ s: ok\n$/,
    );
    r = await cli(s.url('manifest.mpd'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^dash: 1 document, 4 init segments, 16 fragments, ok\nverified 16 fragments and 4 init segments of 2 streams/);

    const init = 'QualityLevels(120000)/Fragments(video=i)';
    await rm(join(s.dir, init));
    r = await cli(s.url(''), '--formats', 'dash,hls');
    assert.equal(r.status, 1);
    assert.equal(r.stdout.split('\n')[0], `problem verify.http-status: ${s.url(init)}: expected HTTP 200, found 404 (missing) [dash, hls]`);
    assert.match(r.stdout, /\ndash: 3 documents, 4 init segments, 16 fragments, 1 problem\nhls: 7 documents, 4 init segments, 16 fragments, 1 problem\n/);

    r = await cli(s.manifestUrl, '--formats', 'smooth,dash,hls', '--json');
    assert.equal(r.status, 1);
    const problems = parseEvents(r.stdout).filter((e) => e.event === 'problem') as unknown as { code: string; context: { url: string; formats: string[] } }[];
    assert.deepEqual(problems.map((p) => [p.code, p.context.formats]), [['verify.http-status', ['dash', 'hls']]]);
    const report = resultOf<VerifyReport>(r.stdout);
    assert.deepEqual(Object.keys(report.formats), ['smooth', 'dash', 'hls']);
    assert.equal(report.formats.smooth!.problems, 0);
    assert.equal(report.formats.hls!.problems, 1);
    assert.equal(report.initSegments, 4);

    r = await cli(s.manifestUrl, '--formats', 'smooth,mss');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--formats takes a comma-separated list of smooth, dash, hls/);
  } finally {
    await s.close();
  }
});
