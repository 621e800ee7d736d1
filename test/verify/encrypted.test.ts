// verify on smoothpub's own encrypted output (`package --key`, cenc and cbcs): every
// fragment's sample encryption data agrees with its samples and the init segment's tenc,
// and a fragment whose senc no longer does is named by its URL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childBoxes } from '../../src/bmff/box.js';
import { Cursor } from '../../src/bmff/cursor.js';
import { FORMATS } from '../../src/formats/model.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { startStaticServer } from '../../src/play/staticServer.js';
import type { EncryptionScheme } from '../../src/protect/model.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { formatFragmentUrl } from '../../src/smooth/url.js';
import { verifyPresentation } from '../../src/verify/verifyPresentation.js';
import { fixtures } from './helpers.js';

const KID = Buffer.from('0f1e2d3c4b5a69788796a5b4c3d2e1f0', 'hex');
const KEY = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

for (const scheme of ['cenc', 'cbcs'] as const satisfies readonly EncryptionScheme[]) {
  test(`verify finds smoothpub's ${scheme} output (Smooth, DASH, HLS) clean and names a fragment whose senc was broken`, async (t) => {
    const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-verify-encrypted-'));
    t.after(() => rm(tmp, { recursive: true, force: true }));
    const dir = join(tmp, 'video.ism');
    await packagePresentation({ inputs: [join(fixtures, 'clean', 'clean.ism')], outDir: dir, formats: [...FORMATS], protection: { signal: { scheme }, keys: [{ key: { kid: KID, key: KEY } }] } });
    const server = await startStaticServer({ root: dir });
    t.after(() => server.close());
    const manifestUrl = `${server.url}video.ism/Manifest`;
    assert.deepEqual((await verifyPresentation(manifestUrl, { formats: [...FORMATS] })).problems, []);

    // The second video fragment of the lowest level: its senc says one sample fewer.
    const p = readManifest(await readFile(join(dir, 'Manifest'), 'utf8'));
    const video = p.streams.find((s) => s.type === 'video')!;
    const key = formatFragmentUrl(video.url, video.qualityLevels[0]!.bitrate, video.chunks[1]!.t);
    const body = new Uint8Array(await readFile(join(dir, key)));
    const moof = [...childBoxes(new Cursor(body), 'body')][0]!;
    const traf = [...childBoxes(moof.payload, 'moof')].find((b) => b.type === 'traf')!;
    const senc = [...childBoxes(traf.payload, 'traf')].find((b) => b.type === 'senc')!;
    const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    // senc: header, version and flags, then sample_count.
    view.setUint32(senc.offset + senc.headerSize + 4, view.getUint32(senc.offset + senc.headerSize + 4) - 1);
    await writeFile(join(dir, key), body);
    const broken = (await verifyPresentation(manifestUrl, { formats: [...FORMATS] })).problems.filter((q) => q.code === 'verify.sample-encryption');
    assert.ok(broken.length >= 1, 'the broken senc is found');
    assert.ok(broken.every((q) => q.url === new URL(`video.ism/${key}`, server.url).href), broken.map((q) => `${q.url}: ${q.message}`).join('\n'));
  });
}
