// `serve` of AC-3/E-AC-3 presentations: every object the origin answers is the one `package`
// writes, byte for byte, in all three formats; `verify` passes against it; with `--key` the
// Dolby audio is encrypted whole-sample like AAC and verify still finds every object sound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORMATS } from '../../src/formats/model.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { parseKeyOption } from '../../src/protect/keys.js';
import { verifyPresentation } from '../../src/verify/verifyPresentation.js';
import { fixtures, listFiles, startOrigin } from './helpers.js';

const DIR = join(fixtures, 'dolby');

test('serve answers the AC-3/E-AC-3 presentations byte for byte as package writes them, and verify passes', async (t) => {
  const o = await startOrigin({ root: DIR, onError: (e) => assert.fail(String(e)) });
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-origin-dolby-'));
  t.after(async () => {
    await o.close();
    await rm(tmp, { recursive: true, force: true });
  });
  for (const name of ['eac3', 'ac3']) {
    const out = join(tmp, name, 'video.ism');
    await packagePresentation({ inputs: [join(DIR, `${name}.ism`)], outDir: out, formats: [...FORMATS] });
    const keys = await listFiles(out);
    assert.ok(keys.includes('manifest.mpd') && keys.includes('master.m3u8'), keys.join(' '));
    for (const key of keys) {
      const res = await fetch(`${o.url}${name}.ism/${key}`);
      assert.equal(res.status, 200, `${name} ${key}`);
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), new Uint8Array(await readFile(join(out, key))), `${name} ${key}`);
    }
    // The DASH/HLS init segment carries the source's dac3/dec3 box, byte for byte.
    const source = await readFile(join(DIR, `${name}.isma`));
    const type = name === 'eac3' ? 'dec3' : 'dac3';
    const at = source.indexOf(type) - 4;
    const box = source.subarray(at, at + source.readUInt32BE(at));
    const init = await readFile(join(out, keys.find((k) => k.includes('Fragments(audio=i)'))!));
    assert.ok(init.includes(box), `${name}: the init segment holds the source's ${type} (${box.toString('hex')})`);
    const report = await verifyPresentation(`${o.url}${name}.ism/Manifest`, { formats: FORMATS });
    assert.deepEqual(report.problems, [], name);
    assert.ok(report.ok && report.fragments >= 4, name);
  }
});

test('serve --key encrypts AC-3/E-AC-3 whole-sample; the Manifest and init segments say so and verify passes', async (t) => {
  const key = parseKeyOption('0123456789abcdef0123456789abcdef:00112233445566778899aabbccddeeff');
  const o = await startOrigin({ root: DIR, protection: { signal: { scheme: 'cenc' }, keys: [key] }, onError: (e) => assert.fail(String(e)) });
  t.after(() => o.close());
  for (const name of ['eac3', 'ac3']) {
    const manifest = await (await fetch(`${o.url}${name}.ism/Manifest`)).text();
    assert.match(manifest, /<ProtectionHeader /);
    assert.match(manifest, name === 'eac3' ? /FourCC="EC-3"/ : /FourCC="AC-3"/);
    const init = Buffer.from(await (await fetch(`${o.url}${name}.ism/QualityLevels(${name === 'eac3' ? 192000 : 96000})/Fragments(audio=i)`)).arrayBuffer());
    assert.ok(init.includes('enca') && init.includes(name === 'eac3' ? 'dec3' : 'dac3'), `${name}: enca keeps the ${name === 'eac3' ? 'dec3' : 'dac3'}`);
    assert.ok(init.includes(name === 'eac3' ? 'ec-3' : 'ac-3'), `${name}: frma names the clear format`);
    const report = await verifyPresentation(`${o.url}${name}.ism/Manifest`, { formats: FORMATS });
    assert.deepEqual(report.problems, [], name);
    assert.ok(report.ok, name);
  }
});
