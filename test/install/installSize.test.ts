// What `npm install -g smoothpub` costs a user, measured as scripts/install-size.ts does it:
// the packed tarball installed globally into an empty prefix (needs the npm registry).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMIT_BYTES, formatReport, measureInstall } from '../../scripts/install-size.js';
import { inCI, toolPath } from '../harness/ci.js';

test('the packed package installs globally in under 100 MB, and the installed CLI plays the bundled sample', { timeout: 600_000 }, async (t) => {
  // `npm test` has just compiled dist/; packing without `prepare` leaves the files other tests run from alone.
  const report = await measureInstall({ noBuild: true });
  t.diagnostic(formatReport(report));
  assert.equal(DEFAULT_LIMIT_BYTES, 100_000_000);
  assert.ok(report.installedBytes > 1_000_000, `implausibly small install: ${report.installedBytes} bytes`);
  assert.ok(report.installedBytes < 100_000_000, `installed ${(report.installedBytes / 1e6).toFixed(1)} MB, the goal is under 100 MB`);
  const names = report.packages.map((p) => p.name);
  assert.ok(names.includes('@azure/storage-blob') && names.includes('@aws-sdk/client-s3'), 'the store SDKs are installed');
  for (const dropped of ['dashjs', 'hls.js', 'shaka-packager', '@azure/identity', '@azure/msal-node']) assert.ok(!names.includes(dropped), `${dropped} is installed`);
  for (const c of report.checks) assert.ok(c.ok, `${c.name}: ${c.detail}`);
  assert.equal(report.ok, true);
  // The tarball carries binding.gyp and native/: with a compiler here, the addons must build.
  const toolchain = ['make', 'python3'].every((n) => toolPath(n) !== undefined) && (toolPath('g++') !== undefined || toolPath('c++') !== undefined);
  if (toolchain || inCI) assert.ok(report.nativeAddons, 'node-gyp did not build the addons in the global install');
});
