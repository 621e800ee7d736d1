#!/usr/bin/env node
// Runs every compiled test file under dist/test with node's test runner.
// Node 20's `--test` takes no globs, so list the files here. Arguments: substrings of
// dist/test paths to filter on, or paths of compiled test files to run as they are.
//
// The policy of test/harness/ci.ts applies before and after: an environment that would
// shrink or redirect a test (SMOOTHPUB_FUZZ_CASES=0, SMOOTHPUB_E2E_PACKAGER=ffmpeg under
// CI, ...) is refused before anything runs, and under CI a run in which any test skipped
// or was left todo fails, whatever the tests said.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

let policy;
try {
  policy = await import(new URL('../dist/test/harness/ci.js', import.meta.url).href);
} catch (e) {
  console.error(`error: cannot load dist/test/harness/ci.js (${e.message}); build first: npx tsc -p tsconfig.json`);
  process.exit(1);
}
const problems = policy.testEnvironmentProblems(process.env);
if (problems.length > 0) {
  for (const p of problems) console.error(`error test-environment: ${p}`);
  console.error('No test was run (see "Test variables" in test/harness/README.md).');
  process.exit(1);
}
const ci = policy.isCI(process.env);

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.js') ? [p] : [];
  });
}

const args = process.argv.slice(2);
const explicit = args.filter((a) => /\.m?js$/.test(a) && existsSync(a) && statSync(a).isFile());
const filters = args.filter((a) => !explicit.includes(a));
// Skip stale output whose TypeScript source was deleted or renamed.
const found = filters.length === 0 && explicit.length > 0 ? [] : walk('dist/test').filter((f) => existsSync(f.replace(/^dist\//, '').replace(/\.js$/, '.ts'))).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
const files = [...found, ...explicit].sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

const scratch = mkdtempSync(join(tmpdir(), 'smoothpub-run-tests-'));
const skipsFile = join(scratch, 'skips.jsonl');
const reporter = fileURLToPath(new URL('./skip-reporter.js', import.meta.url));
const r = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${reporter}`, `--test-reporter-destination=${skipsFile}`, ...files],
  { stdio: 'inherit' },
);
const skipped = existsSync(skipsFile) ? readFileSync(skipsFile, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)) : [];
rmSync(scratch, { recursive: true, force: true });

if (skipped.length > 0) {
  const lines = skipped.map((s) => `  ${s.kind} ${s.name} (${s.file})${typeof s.reason === 'string' ? `: ${s.reason}` : ''}`);
  if (ci) {
    console.error(`error: under CI nothing may skip or be left todo, and ${skipped.length} test(s) did:\n${lines.join('\n')}`);
    process.exit(1);
  }
  console.error(`${skipped.length} test(s) skipped or todo (a failure under CI):\n${lines.join('\n')}`);
}
process.exit(r.status ?? 1);
