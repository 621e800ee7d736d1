// The encryption options of package, publish and serve: one set, described alike in every
// --help; wrong ones are typed errors that write nothing and never repeat a key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROTECTION_OPTIONS } from '../../src/cli/options.js';
import { errorOf } from './jsonEvents.js';
import { runBin } from './runBin.js';

const ISM = 'test/fixtures/clean/clean.ism';
const KID = '00112233445566778899aabbccddeeff';
const KEY = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
const secretForms = [KEY, KEY.toUpperCase(), Buffer.from(KEY, 'hex').toString('base64'), Buffer.from(KEY, 'hex').toString('base64url')];
let work = '';

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'smoothpub-protection-options-'));
});

after(() => rm(work, { recursive: true, force: true }));

test('package, publish and serve list the same encryption options in --help', async () => {
  for (const command of ['package', 'publish', 'serve']) {
    const r = await runBin([command, '--help']);
    assert.equal(r.code, 0, r.stderr);
    const help = r.stdout.replace(/\s+/g, ' ');
    for (const [flags] of PROTECTION_OPTIONS) assert.ok(help.includes(flags), `${command} --help lists ${flags}`);
    assert.match(help, /--encryption-scheme <scheme>.*cenc.*cbcs.*\(default: "cenc"\)/, `${command}: the scheme and its default`);
  }
});

test('encryption options without a key, a bad scheme and a malformed key: typed errors, nothing written, no key repeated', async () => {
  const cases: { args: string[]; code: string }[] = [
    { args: ['--playready-la-url', 'https://license.example/'], code: 'cli.bad-option' },
    { args: ['--encryption-scheme', 'cbcs'], code: 'cli.bad-option' },
    { args: ['--key', `${KID}:${KEY}`, '--encryption-scheme', 'cens'], code: 'cli.bad-option' },
    // One hex digit short: the message may name the KID and the shape, never the key.
    { args: ['--key', `${KID}:${KEY.slice(0, -1)}`], code: 'protect.bad-key' },
  ];
  for (const [i, c] of cases.entries()) {
    const out = join(work, `out${i}`);
    const r = await runBin(['package', ISM, '-o', out, '--json', ...c.args]);
    assert.equal(r.code, c.code.startsWith('cli.') ? 2 : 1, `${c.args.join(' ')}: exit code\n${r.stdout}${r.stderr}`);
    assert.equal(errorOf(r.stdout).code, c.code, c.args.join(' '));
    for (const form of [...secretForms, KEY.slice(0, -1)]) assert.ok(!r.stdout.includes(form) && !r.stderr.includes(form), `${c.args.join(' ')}: the key is not printed`);
    assert.deepEqual(await readdir(work).then((names) => names.filter((n) => n.startsWith(`out${i}`))), [], 'nothing written');
  }
});
