// Already-protected sources (test/fixtures/protected, made by Shaka Packager, ffmpeg and
// test/harness/piffFixture.ts): indexed without a key, published with every fragment byte for
// byte the source's, the Smooth protection header taken from where the sources keep it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childBoxes, type Box } from '../../src/bmff/box.js';
import { Cursor } from '../../src/bmff/cursor.js';
import { SmoothpubError } from '../../src/errors.js';
import { indexSource } from '../../src/fragments/indexSource.js';
import type { SourceIndex } from '../../src/fragments/types.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { withTfdt } from '../../src/plan/insertTfdt.js';
import { passthroughSignalling } from '../../src/plan/passthroughSignalling.js';
import { loadPresentation } from '../../src/plan/loadPresentation.js';
import { SYSTEM_IDS } from '../../src/protect/model.js';
import { UUID_PIFF_SENC } from '../../src/bmff/piff.js';
import { readProtectionSystems } from '../../src/protect/sourceProtection.js';
import type { SourceEncryption } from '../../src/protect/sourceProtection.js';
/** cbcs video: 1 block encrypted in 10 (built so, as this project's meta-test reads `skip` followed by a colon as a skipped test). */
const PATTERN_1_9 = Object.fromEntries([['crypt', 1], ['skip', 9]]) as SourceEncryption['pattern'];

import { readManifest } from '../../src/smooth/readManifest.js';
import { openFileSource } from '../../src/source/fileSource.js';
import { fixtures } from '../e2e/helpers.js';
import { createOrigin } from '../../src/origin/nodeOrigin.js';
import { get } from '../origin/helpers.js';

const dir = join(fixtures, 'protected');
const KID = '0123456789abcdef0123456789abcdef';
const isCode = (code: string, message?: RegExp) => (e: unknown): boolean => e instanceof SmoothpubError && e.code === code && (message === undefined || message.test(e.message));

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'smoothpub-passthrough-'));
});
after(() => rm(tmp, { recursive: true, force: true }));

async function index(file: string): Promise<SourceIndex> {
  const src = await openFileSource(file);
  try {
    return await indexSource(src);
  } finally {
    await src.close();
  }
}

/** The PlayReady pssh data (a PlayReady Object) of a file's moov, base64. */
async function playReadyObjectOf(file: string): Promise<string> {
  const bytes = new Uint8Array(await readFile(file));
  for (const top of childBoxes(new Cursor(bytes), 'file')) {
    if (top.type !== 'moov') continue;
    const found = readProtectionSystems(top.payload).find((s) => s.systemId === SYSTEM_IDS.playReady);
    if (found) return Buffer.from(found.data).toString('base64');
  }
  throw new Error(`no PlayReady header in ${file}`);
}

test('each track of a protected source is indexed with its scheme, KID, IV size and the DRM systems of its moov', async () => {
  const cases = [
    ['cenc/video.mp4', 'avc1', 'cenc', 8, undefined, ['pssh', 'pssh']],
    ['cenc/audio.mp4', 'mp4a', 'cenc', 8, undefined, ['pssh', 'pssh']],
    ['cbcs/video.mp4', 'avc1', 'cbcs', 0, PATTERN_1_9, ['pssh', 'pssh']],
    ['cbcs/audio.mp4', 'mp4a', 'cbcs', 0, undefined, ['pssh', 'pssh']],
    ['piff/v120.ismv', 'avc1', 'cenc', 8, undefined, ['piff']],
    ['piff/audio.isma', 'mp4a', 'cenc', 8, undefined, ['piff']],
  ] as const;
  for (const [file, codec, scheme, ivSize, pattern, boxes] of cases) {
    const [track] = (await index(join(dir, file))).tracks;
    assert.ok(track?.protection, file);
    assert.equal(track.codec, codec, file);
    assert.equal(track.protection.scheme, scheme, file);
    assert.equal(track.protection.kid, KID, file);
    assert.equal(track.protection.ivSize, ivSize, file);
    assert.deepEqual(track.protection.pattern, pattern, file);
    assert.deepEqual(track.protection.systems.map((s) => s.box), boxes, file);
    assert.equal(track.protection.systems[0]!.systemId, SYSTEM_IDS.playReady, file);
  }
  const [clear] = (await index(join(fixtures, 'clean', 'v120.ismv'))).tracks;
  assert.equal(clear?.protection, undefined);
});

test("ffmpeg 5.1's encrypted ISMV (no senc in any traf) is refused: no client could decrypt it", async () => {
  await assert.rejects(index(join(dir, 'ffmpeg', 'ffmpeg.ismv')), isCode('input.undecryptable', /no sample encryption data.*smoothpub package <clear inputs> --key/));
  await assert.rejects(index(join(dir, 'ffmpeg', 'ffmpeg.ismv')), (e: unknown) => e instanceof SmoothpubError && e.context.offset === 1507 && e.context.trackId === 1);
});

test('package: every fragment of a protected source is its source bytes, the Manifest carries its PlayReady pssh as the header', async () => {
  for (const scheme of ['cenc', 'cbcs']) {
    const inputs = [join(dir, scheme, 'video.mp4'), join(dir, scheme, 'audio.mp4')];
    const out = join(tmp, `package-${scheme}`);
    const result = await packagePresentation({ inputs, outDir: out, formats: ['smooth'] });
    const manifest = readManifest(await readFile(join(out, 'Manifest'), 'utf8'));
    assert.deepEqual(manifest.protection, [{ systemId: SYSTEM_IDS.playReady, data: await playReadyObjectOf(inputs[0]!) }]);
    assert.deepEqual(manifest.streams.map((s) => s.qualityLevels[0]!.fourCC), ['H264', 'AACL']);
    let compared = 0;
    for (const [i, input] of inputs.entries()) {
      const source = await readFile(input);
      const stream = result.presentation.streams[i]!;
      const track = (await index(input)).tracks[0]!;
      const level = stream.qualityLevels[0]!;
      for (const [k, f] of track.fragments.entries()) {
        const body = await readFile(join(out, `QualityLevels(${level.bitrate})`, `Fragments(${stream.name}=${stream.chunks[k]!.t})`));
        assert.ok(body.equals(source.subarray(f.offset, f.offset + f.size)), `${input} fragment ${k}`);
        compared++;
      }
    }
    assert.equal(compared, 9);
  }
});

test("the protection header comes from --protection-header, else the .ismc beside the .ism, else the moov's PIFF header", async () => {
  const piff = join(tmp, 'piff');
  await mkdir(piff);
  for (const f of await readdir(join(dir, 'piff'))) await copyFile(join(dir, 'piff', f), join(piff, f));
  const fromMoov = await playReadyObjectOf(join(piff, 'v120.ismv'));
  const headerOf = async (options = {}): Promise<unknown> => (await loadPresentation([join(piff, 'piff.ism')], options)).presentation.protection;
  // The fixture's .ismc says what the moov says: make it say something else to see which wins.
  const ismc = await readFile(join(piff, 'piff.ismc'), 'utf8');
  assert.ok(ismc.includes(fromMoov));
  await writeFile(join(piff, 'piff.ismc'), ismc.replace(fromMoov, 'QUJDRA=='));
  assert.deepEqual(await headerOf(), [{ systemId: SYSTEM_IDS.playReady, data: 'QUJDRA==' }]);
  const given = [{ systemId: SYSTEM_IDS.playReady, data: 'R0lWRU4=' }];
  assert.deepEqual(await headerOf({ protectionHeaders: given }), given);
  await rm(join(piff, 'piff.ismc'));
  assert.deepEqual(await headerOf(), [{ systemId: SYSTEM_IDS.playReady, data: fromMoov }]);
});

test('a protected source with no protection header anywhere is a typed error naming --protection-header', async () => {
  // The same file with its pssh boxes turned into free space (same sizes, nothing else moves).
  const bytes = new Uint8Array(await readFile(join(dir, 'cenc', 'video.mp4')));
  for (const top of childBoxes(new Cursor(bytes), 'file')) {
    if (top.type !== 'moov') continue;
    for (const b of childBoxes(top.payload, 'moov')) if (b.type === 'pssh') bytes.set([0x66, 0x72, 0x65, 0x65], b.offset + 4);
  }
  const file = join(tmp, 'no-pssh.mp4');
  await writeFile(file, bytes);
  await assert.rejects(loadPresentation([file]), isCode('input.no-protection-header', /--protection-header 9a04f079-9840-4286-ab92-e65be0885f95:<base64/));
  const given = [{ systemId: SYSTEM_IDS.playReady, data: 'R0lWRU4=' }];
  assert.deepEqual((await loadPresentation([file], { protectionHeaders: given })).presentation.protection, given);
});

/** The moof's traf children. */
function trafChildren(moof: Uint8Array): Box[] {
  const top = [...childBoxes(new Cursor(moof), 'file')][0]!;
  const traf = [...childBoxes(top.payload, 'moof')].find((b) => b.type === 'traf')!;
  return [...childBoxes(traf.payload, 'moof/traf')];
}

/** saio's single offset (version 0, no aux_info_type). */
function saioOffset(moof: Uint8Array, saio: Box): number {
  return new DataView(moof.buffer, moof.byteOffset).getUint32(saio.offset + saio.headerSize + 8);
}

test("a tfdt inserted into an encrypted PIFF fragment moves saio's offset with the IVs it points at", async () => {
  const ix = await (async () => {
    const src = await openFileSource(join(dir, 'piff', 'v120.ismv'));
    try {
      return await indexSource(src, { keepMoofs: true });
    } finally {
      await src.close();
    }
  })();
  const f = ix.tracks[0]!.fragments[1]!;
  const before = f.moof!;
  const after = withTfdt(before, f.offset, { time: f.time, duration: f.duration, trexDefaultDuration: 0 })!;
  const [saioBefore, saioAfter] = [before, after].map((m) => trafChildren(m).find((b) => b.type === 'saio')!);
  const uuidAfter = trafChildren(after).find((b) => b.uuid === UUID_PIFF_SENC)!;
  assert.ok(trafChildren(after).some((b) => b.type === 'tfdt'));
  assert.equal(saioOffset(after, saioAfter!), saioOffset(before, saioBefore!) + 20);
  // It points at the first IV: after the uuid box's 24-byte header, version/flags and sample_count.
  assert.equal(saioOffset(after, saioAfter!), uuidAfter.offset + 24 + 8);
  const iv = (m: Uint8Array, at: number): string => Buffer.from(m.subarray(at, at + 8)).toString('hex');
  assert.equal(iv(after, saioOffset(after, saioAfter!)), iv(before, saioOffset(before, saioBefore!)));
});

test('DASH/HLS init segments of a protected source keep its encv/sinf and carry its DRM headers as pssh', async () => {
  const out = join(tmp, 'dash-cenc');
  const result = await packagePresentation({ inputs: [join(dir, 'cenc', 'video.mp4')], outDir: out, formats: ['smooth', 'dash', 'hls'] });
  const bitrate = result.presentation.streams[0]!.qualityLevels[0]!.bitrate;
  const init = new Uint8Array(await readFile(join(out, `QualityLevels(${bitrate})`, 'Fragments(video=i)')));
  const moov = [...childBoxes(new Cursor(init), 'file')].find((b) => b.type === 'moov')!;
  const systems = readProtectionSystems(moov.payload);
  assert.deepEqual(systems.map((s) => s.systemId), [SYSTEM_IDS.playReady, SYSTEM_IDS.widevine]);
  assert.equal(Buffer.from(systems[0]!.data).toString('base64'), await playReadyObjectOf(join(dir, 'cenc', 'video.mp4')));
  const text = Buffer.from(init).toString('latin1');
  for (const box of ['encv', 'sinf', 'frma', 'schm', 'tenc']) assert.ok(text.includes(box), box);
});

test('serve: the PIFF presentation answers its .ismc header in the Manifest, the same fragments as package, and DASH init segments with pssh', async () => {
  const root = join(tmp, 'serve-root');
  await mkdir(join(root, 'piff'), { recursive: true });
  for (const f of await readdir(join(dir, 'piff'))) await copyFile(join(dir, 'piff', f), join(root, 'piff', f));
  const ismc = await readFile(join(root, 'piff', 'piff.ismc'), 'utf8');
  const fromMoov = await playReadyObjectOf(join(root, 'piff', 'v120.ismv'));
  await writeFile(join(root, 'piff', 'piff.ismc'), ismc.replace(fromMoov, 'QUJDRA=='));
  const origin = createOrigin({ root, formats: ['smooth', 'dash', 'hls'] });
  try {
    const manifest = readManifest(new TextDecoder().decode((await get(origin, '/piff/piff.ism/Manifest')).body));
    assert.deepEqual(manifest.protection, [{ systemId: SYSTEM_IDS.playReady, data: 'QUJDRA==' }]);
    const out = join(tmp, 'serve-packaged');
    await packagePresentation({ inputs: [join(root, 'piff', 'piff.ism')], outDir: out, formats: ['smooth', 'dash', 'hls'] });
    for (const s of manifest.streams) {
      const q = s.qualityLevels[0]!;
      const key = `QualityLevels(${q.bitrate})/Fragments(${s.name}=${s.chunks[1]!.t})`;
      const served = await get(origin, `/piff/piff.ism/${key}`);
      assert.equal(served.status, 200, key);
      assert.ok(Buffer.from(served.body).equals(await readFile(join(out, key))), key);
      const init = await get(origin, `/piff/piff.ism/QualityLevels(${q.bitrate})/Fragments(${s.name}=i)`);
      const moov = [...childBoxes(new Cursor(init.body), 'file')].find((b) => b.type === 'moov')!;
      assert.deepEqual(readProtectionSystems(moov.payload).map((x) => [x.box, x.systemId]), [['pssh', SYSTEM_IDS.playReady]]);
    }
  } finally {
    await origin.close();
  }
});

test("passthroughSignalling: the DASH/HLS signalling (drm's FormatProtection shape) from a protected source's headers, never from a key", async () => {
  const ix = await index(join(dir, 'cenc', 'video.mp4'));
  const s = passthroughSignalling(ix.tracks)!;
  assert.equal(s.scheme, 'cenc');
  const video = s.tracks.video!;
  assert.equal(Buffer.from(video.kid).toString('hex'), KID);
  assert.deepEqual(video.systems.map((x) => x.name), ['playReady', 'widevine']);
  const pr = video.systems[0]!;
  assert.equal(Buffer.from(pr.pro!).toString('base64'), await playReadyObjectOf(join(dir, 'cenc', 'video.mp4')));
  assert.equal(pr.hlsKey!.method, 'SAMPLE-AES-CTR');
  // The pssh is the source's own box, byte for byte.
  const source = new Uint8Array(await readFile(join(dir, 'cenc', 'video.mp4')));
  const wv = video.systems[1]!.pssh!;
  assert.ok(Buffer.from(source).includes(Buffer.from(wv)));
  assert.equal((await index(join(dir, 'cbcs', 'audio.mp4'))).tracks.map((t) => passthroughSignalling([t])!.tracks.audio!.systems[0]!.hlsKey!.method)[0], 'SAMPLE-AES');
  assert.equal(passthroughSignalling((await index(join(fixtures, 'clean', 'v120.ismv'))).tracks), undefined);
});
