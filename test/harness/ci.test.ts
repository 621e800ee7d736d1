// Tests that cannot lie: under CI nothing skips, no variable shrinks or redirects a test,
// and one module (ci.ts) decides all of it. These check the policy, its enforcement by
// scripts/run-tests.js, and that no test file decides for itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { repoRoot } from '../e2e/helpers.js';
import { isCI, TEST_VARIABLES, testEnvironmentProblems } from './ci.js';

test('CI is on when CI is set to anything but "", "0" or "false"', () => {
  const cases: [string | undefined, boolean][] = [
    [undefined, false],
    ['', false],
    ['0', false],
    ['false', false],
    ['FALSE', false],
    [' false ', false],
    ['true', true],
    ['1', true],
    ['yes', true],
    ['woodpecker', true],
  ];
  for (const [value, expected] of cases) assert.equal(isCI(value === undefined ? {} : { CI: value }), expected, `CI=${String(value)}`);
});

test('the test-variable policy: nothing shrinks or redirects under CI, locally counts only grow and limits only tighten', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-ci-'));
  try {
    const refused: NodeJS.ProcessEnv[] = [
      { CI: 'true', SMOOTHPUB_FUZZ_CASES: '0' },
      { CI: 'true', SMOOTHPUB_FUZZ_CASES: '50000' },
      { CI: 'true', SMOOTHPUB_ORIGIN_FUZZ_CASES: '100' },
      { CI: 'true', SMOOTHPUB_E2E_PACKAGER: 'ffmpeg' },
      { CI: 'true', SMOOTHPUB_E2E_PACKAGER: 'smoothpub' },
      { CI: 'true', SMOOTHPUB_NO_NATIVE: '1' },
      { CI: 'true', SMOOTHPUB_SLOW_MS: '100' },
      { CI: 'true', SMOOTHPUB_FFMPEG: '/opt/ffmpeg/bin/ffmpeg' },
      { CI: 'true', SMOOTHPUB_SOMETHING_NEW: 'x' },
      { CI: 'true', SMOOTHPUB_FUZZ_SEED: 'seven' },
      { CI: 'true', SMOOTHPUB_FUZZ_DUMP: join(dir, 'missing') },
      { SMOOTHPUB_FUZZ_CASES: '0' },
      { SMOOTHPUB_FUZZ_CASES: '' },
      { SMOOTHPUB_FUZZ_CASES: '1199' },
      { SMOOTHPUB_FUZZ_CASES: 'lots' },
      { SMOOTHPUB_ORIGIN_FUZZ_CASES: '11999' },
      { SMOOTHPUB_SLOW_MS: '501' },
      { SMOOTHPUB_SLOW_MS: '0' },
      { SMOOTHPUB_E2E_PACKAGER: 'gstreamer' },
      { SMOOTHPUB_FUZZ_SEED: '4294967296' },
    ];
    for (const env of refused) {
      const problems = testEnvironmentProblems(env);
      const name = Object.keys(env).find((k) => k.startsWith('SMOOTHPUB_'))!;
      assert.equal(problems.length, 1, JSON.stringify(env));
      assert.ok(problems[0]!.startsWith(`${name}=`), `the problem names the variable: ${problems[0]}`);
    }
    const accepted: NodeJS.ProcessEnv[] = [
      {},
      { CI: 'true' },
      { CI: 'true', SMOOTHPUB_FUZZ_SEED: '123' },
      { CI: 'true', SMOOTHPUB_FUZZ_SEED: '0x5eedc0de' },
      { CI: 'true', SMOOTHPUB_FUZZ_DUMP: dir },
      { CI: 'false', SMOOTHPUB_FUZZ_CASES: '50000' },
      { CI: '0', SMOOTHPUB_E2E_PACKAGER: 'ffmpeg' },
      { SMOOTHPUB_FUZZ_CASES: '1200' },
      { SMOOTHPUB_ORIGIN_FUZZ_CASES: '100000' },
      { SMOOTHPUB_SLOW_MS: '200' },
      { SMOOTHPUB_NO_NATIVE: '1' },
      { SMOOTHPUB_FFMPEG: '/opt/ffmpeg/bin/ffmpeg' },
    ];
    for (const env of accepted) assert.deepEqual(testEnvironmentProblems(env), [], JSON.stringify(env));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('this test process runs in an environment the policy accepts (also when started without scripts/run-tests.js)', () => {
  assert.deepEqual(testEnvironmentProblems(process.env), []);
});

/**
 * The environment without CI or any SMOOTHPUB_* variable, plus `extra`. Without
 * NODE_TEST_CONTEXT too: node's runner sets it in test processes, and a `node --test`
 * started with it runs no file ("called recursively").
 */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'CI' && k !== 'NODE_TEST_CONTEXT' && !k.startsWith('SMOOTHPUB_')));
  return { ...env, ...extra };
}

function runTests(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['scripts/run-tests.js', ...args], { cwd: repoRoot, env: cleanEnv(env), encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('scripts/run-tests.js refuses a shrinking or redirecting variable under CI before running anything', () => {
  // A tiny, fast test file: were the variable not refused, it would run and pass.
  const target = 'dist/test/bmff/mfhd.test.js';
  for (const [name, value] of [['SMOOTHPUB_FUZZ_CASES', '0'], ['SMOOTHPUB_E2E_PACKAGER', 'ffmpeg'], ['SMOOTHPUB_NO_NATIVE', '1'], ['SMOOTHPUB_SLOW_MS', '100000']] as const) {
    const r = runTests([target], { CI: 'true', [name]: value });
    assert.equal(r.status, 1, `${name}=${value}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^error test-environment: ${name}=`, 'm'));
    assert.equal(r.stdout, '', 'no test ran');
  }
  // Outside CI a count may grow (and the file then runs).
  const grown = runTests([target], { CI: 'false', SMOOTHPUB_FUZZ_CASES: '5000' });
  assert.equal(grown.status, 0, grown.stderr);
  assert.match(grown.stdout, /ℹ pass 2/);
});

test('scripts/run-tests.js fails a CI run in which any test skipped or was left todo; outside CI it lists them', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-ci-skips-'));
  try {
    const skips = join(dir, 'skips.test.mjs');
    await writeFile(
      skips,
      ["import { test } from 'node:test';", "test('needs a tool', (t) => t.skip('missing tool: nothing'));", "test('later', { todo: 'not written' }, () => {});", "test('runs', () => {});"].join('\n'),
    );
    const passes = join(dir, 'passes.test.mjs');
    await writeFile(passes, ["import { test } from 'node:test';", "test('runs', () => {});"].join('\n'));

    const ci = runTests([skips], { CI: 'true' });
    assert.equal(ci.status, 1, ci.stderr);
    assert.match(ci.stderr, /under CI nothing may skip or be left todo, and 2 test\(s\) did/);
    assert.match(ci.stderr, /skip needs a tool .*: missing tool: nothing/);
    assert.match(ci.stderr, /todo later .*: not written/);

    const local = runTests([skips], {});
    assert.equal(local.status, 0, local.stderr);
    assert.match(local.stderr, /2 test\(s\) skipped or todo \(a failure under CI\)/);

    const clean = runTests([passes], { CI: 'true' });
    assert.equal(clean.status, 0, clean.stderr);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------
// No test file decides by itself: source checks over test/**/*.ts.

async function testSources(): Promise<{ path: string; lines: string[] }[]> {
  const dir = join(repoRoot, 'test');
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => relative(repoRoot, join(e.parentPath, e.name)).split('\\').join('/'));
  return Promise.all(files.filter((f) => !f.startsWith('test/fixtures/')).sort().map(async (path) => ({ path, lines: (await readFile(join(repoRoot, path), 'utf8')).split('\n') })));
}

/** `file:line: text` for every line of `files` (but `except`) matching one of `patterns`. */
async function offenders(patterns: RegExp[], except: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const { path, lines } of await testSources()) {
    if (except.includes(path)) continue;
    lines.forEach((line, i) => {
      if (patterns.some((p) => p.test(line))) out.push(`${path}:${i + 1}: ${line.trim()}`);
    });
  }
  return out;
}

// These files hold the patterns themselves.
const HOME = ['test/harness/ci.ts', 'test/harness/ci.test.ts'];

test('no test file decides "are we in CI" by itself: only test/harness/ci.ts reads CI', async () => {
  assert.deepEqual(await offenders([/\benv\s*(\.\s*CI\b|\[\s*['"`]CI['"`]\s*\])/], HOME), []);
});

test('no test file skips, leaves todo or looks a tool up by itself: test/harness/ci.ts decides (requireTools, requireAddon)', async () => {
  const patterns = [
    /\bskip\s*:/, // test(name, { skip: ... })
    /\btodo\s*:/,
    /\.skip\(\s*(['"`]|\))/, // t.skip('why') / t.skip()
    /\.todo\(/,
    /\b(test|it|describe|suite)\.(skip|todo|only)\b/,
    /['"`]\s*(command -v|which)\s/, // a shell lookup of a tool
  ];
  assert.deepEqual(await offenders(patterns, HOME), []);
});

test('test variables are read only through test/harness/ci.ts (testVariable, testNumber)', async () => {
  // SMOOTHPUB_NO_NATIVE is the product's own switch, which tests set (test/harness/native.ts).
  const names = Object.keys(TEST_VARIABLES).filter((n) => n !== 'SMOOTHPUB_NO_NATIVE');
  const patterns = names.map((n) => new RegExp(`env\\s*(\\.\\s*${n}\\b|\\[\\s*['"\`]${n}['"\`]\\s*\\])`));
  assert.deepEqual(await offenders(patterns, HOME), []);
});

test('no fixed sleeps in tests: they wait for the condition (test/harness/waitUntil.ts)', async () => {
  const patterns = [
    /setTimeout\(\s*[A-Za-z_$][\w$]*\s*,/, // new Promise((r) => setTimeout(r, ms))
    /['"]node:timers\/promises['"]/, // sleep(ms)
  ];
  assert.deepEqual(await offenders(patterns, [...HOME, 'test/harness/waitUntil.ts']), []);
});
