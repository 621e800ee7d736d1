import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { FolderWriting, writePlanToFolder } from '../../src/package/writePlanToFolder.js';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { loadPresentation } from '../../src/plan/loadPresentation.js';
import { indexFile } from '../../src/fragments/indexFile.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { SmoothpubError } from '../../src/errors.js';
import { requireTools } from '../e2e/helpers.js';

const FIX = resolve('test/fixtures');

/** Every file under `dir` by relative path, with its bytes. */
async function folderFiles(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.set(relative(dir, join(e.parentPath ?? e.path, e.name)), await readFile(join(e.parentPath ?? e.path, e.name)));
  }
  return out;
}
const tmp = (): Promise<string> => mkdtemp(join(tmpdir(), 'smoothpub-pkg-'));

test('every fragment is the exact moof+mdat bytes of its source', async () => {
  const out = join(await tmp(), 'v.ism');
  const inputs = [`${FIX}/users/v400.ismv`, `${FIX}/users/v120.ismv`];
  const result = await packagePresentation({ inputs, outDir: out });
  let checked = 0;
  for (const input of inputs) {
    const source = await readFile(input);
    const ix = await indexFile(input);
    const level = result.presentation.streams.flatMap((s) => s.qualityLevels.map((q) => ({ s, q })));
    for (const track of ix.tracks) {
      const stream = result.presentation.streams.find((s) => s.type === track.kind)!;
      for (const [i, f] of track.fragments.entries()) {
        const t = stream.chunks[i]!.t;
        const candidates = level.filter((l) => l.s === stream).map((l) => join(out, `QualityLevels(${l.q.bitrate})`, `Fragments(${stream.name}=${t})`));
        const expected = source.subarray(f.offset, f.offset + f.size);
        const contents = await Promise.all(candidates.map((c) => readFile(c)));
        assert.ok(contents.some((c) => c.equals(expected)), `${input} track ${track.trackId} fragment ${i}`);
        checked++;
      }
    }
  }
  assert.ok(checked >= 16);
  // The same AAC muxed into both files is announced once.
  assert.equal(result.presentation.streams.find((s) => s.type === 'audio')!.qualityLevels.length, 1);
});

test('AAC priming: the first audio fragment is named and announced at 0 and ends where the source says', async () => {
  const out = join(await tmp(), 'v.ism');
  const result = await packagePresentation({ inputs: [`${FIX}/users/users.ism`], outDir: out });
  const audio = result.presentation.streams.find((s) => s.type === 'audio')!;
  const ix = await indexFile(`${FIX}/users/v400.ismv`);
  const src = ix.tracks.find((t) => t.kind === 'audio')!.fragments;
  assert.ok(src[0]!.time < 0n);
  assert.equal(audio.chunks[0]!.t, 0n);
  assert.equal(audio.chunks[0]!.d, src[0]!.time + src[0]!.duration);
  assert.equal(audio.chunks[1]!.t, src[1]!.time);
  const bitrate = audio.qualityLevels[0]!.bitrate;
  assert.ok(existsSync(join(out, `QualityLevels(${bitrate})`, 'Fragments(audio=0)')));
  // The written Manifest says the same, with t on the first chunk of every stream.
  const xml = await readFile(join(out, 'Manifest'), 'utf8');
  assert.deepEqual(readManifest(xml).streams.map((s) => s.chunks), result.presentation.streams.map((s) => s.chunks));
  assert.equal(xml.match(/<c t="0"/g)?.length, 2);
});

test('.ism systemBitrate is used, and equal bitrates are made distinct', async () => {
  const dir = await tmp();
  const ism = join(dir, 'same.ism');
  for (const f of ['v400.ismv', 'v250.ismv', 'audio.isma']) await copyFile(`${FIX}/clean/${f}`, join(dir, f));
  await writeFile(
    ism,
    `<?xml version="1.0" encoding="utf-8"?>
<smil xmlns="http://www.w3.org/2001/SMIL20/Language"><body><switch>
  <video src="v400.ismv" systemBitrate="300000"><param name="trackID" value="1" valuetype="data"/></video>
  <video src="v250.ismv" systemBitrate="300000"><param name="trackID" value="1" valuetype="data"/></video>
  <audio src="audio.isma" systemBitrate="64000"><param name="trackID" value="1" valuetype="data"/></audio>
</switch></body></smil>`,
  );
  const result = await packagePresentation({ inputs: [ism], outDir: join(dir, 'out') });
  const video = result.presentation.streams.find((s) => s.type === 'video')!;
  assert.deepEqual(video.qualityLevels.map((q) => q.bitrate).sort(), [300000, 300001]);
  assert.equal(result.presentation.streams.find((s) => s.type === 'audio')!.qualityLevels[0]!.bitrate, 64000);
});

test('multi-track ISMV: two audio languages become two audio streams with Language', async () => {
  const out = join(await tmp(), 'm.ism');
  const result = await packagePresentation({ inputs: [`${FIX}/multitrack.ismv`], outDir: out });
  const streams = result.presentation.streams;
  assert.deepEqual(streams.map((s) => [s.type, s.name, s.language ?? '']), [
    ['video', 'video', ''],
    ['audio', 'audio_eng', 'eng'],
    ['audio', 'audio_fra', 'fra'],
  ]);
  assert.equal(streams[0]!.qualityLevels.length, 2);
  const xml = await readFile(join(out, 'Manifest'), 'utf8');
  assert.match(xml, /Name="audio_fra"[^>]*Url="QualityLevels\(\{bitrate\}\)\/Fragments\(audio_fra=\{start time\}\)"[^>]*Language="fra"|Language="fra"/);
  const bitrate = streams[2]!.qualityLevels[0]!.bitrate;
  assert.ok(existsSync(join(out, `QualityLevels(${bitrate})`, 'Fragments(audio_fra=0)')));
});

test('a later source that renames a stream: the folder holds exactly the Manifest\'s objects, each its source\'s bytes', async () => {
  // Audio in two files, one language each: until the second is indexed the first is the
  // only audio, named `audio`; with both, the streams are `audio_eng` and `audio_fra`.
  const dir = await tmp();
  for (const f of ['v400.ismv', 'audio.isma']) await copyFile(`${FIX}/clean/${f}`, join(dir, f));
  await copyFile(`${FIX}/clean/audio.isma`, join(dir, 'audio_fr.isma'));
  const ism = join(dir, 'two.ism');
  await writeFile(
    ism,
    `<?xml version="1.0" encoding="utf-8"?>
<smil xmlns="http://www.w3.org/2001/SMIL20/Language"><body><switch>
  <video src="v400.ismv"/>
  <audio src="audio.isma" systemLanguage="eng"/>
  <audio src="audio_fr.isma" systemLanguage="fra"/>
</switch></body></smil>`,
  );
  const out = join(dir, 'out');
  const result = await packagePresentation({ inputs: [ism], outDir: out });
  assert.deepEqual(result.presentation.streams.map((s) => s.name), ['video', 'audio_eng', 'audio_fra']);
  // With DASH and HLS too (fragments written early with their tfdt): the same folder as the plan written in one go.
  const formats = ['smooth', 'dash', 'hls'] as const;
  await packagePresentation({ inputs: [ism], outDir: join(dir, 'all'), formats });
  await writePlanToFolder(buildPlan(await loadPresentation([ism], { formats }), { formats }), join(dir, 'all-in-one-go'));
  assert.deepEqual(await folderFiles(join(dir, 'all')), await folderFiles(join(dir, 'all-in-one-go')));
  // Protected: the writer threads lay out and encrypt each level handed over as its source
  // is indexed; the audio handed early as `audio` is handed again as `audio_eng` (its URLs
  // and IVs change) and the early copy removed: the same folder as the plan protected here
  // (protectPresentation reading every body) written in one go.
  const protection = { signal: { scheme: 'cenc' as const }, keys: [{ key: { kid: new Uint8Array(16).fill(7), key: new Uint8Array(16).fill(9) } }] };
  await packagePresentation({ inputs: [ism], outDir: join(dir, 'protected'), formats, protection });
  await writePlanToFolder(buildPlan(await loadPresentation([ism], { formats, protection }), { formats }), join(dir, 'protected-in-one-go'));
  const protectedFiles = await folderFiles(join(dir, 'protected'));
  assert.deepEqual(protectedFiles, await folderFiles(join(dir, 'protected-in-one-go')));
  assert.ok(![...protectedFiles.keys()].some((k) => k.includes('Fragments(audio=')), 'no fragment of the stream as first named is left');
  const expected = result.presentation.streams.flatMap((s) => s.qualityLevels.flatMap((q) => s.chunks.map((c) => `QualityLevels(${q.bitrate})/Fragments(${s.name}=${c.t})`)));
  const written: string[] = [];
  for (const d of await readdir(out)) {
    if (d === 'Manifest') continue;
    for (const f of await readdir(join(out, d))) written.push(`${d}/${f}`);
  }
  assert.deepEqual(written.sort(), expected.sort());
  const audio = await indexFile(join(dir, 'audio_fr.isma'));
  const source = await readFile(join(dir, 'audio_fr.isma'));
  const fra = result.presentation.streams[2]!;
  for (const [i, f] of audio.tracks[0]!.fragments.entries()) {
    const got = await readFile(join(out, `QualityLevels(${fra.qualityLevels[0]!.bitrate})`, `Fragments(audio_fra=${fra.chunks[i]!.t})`));
    assert.ok(got.equals(source.subarray(f.offset, f.offset + f.size)), `fragment ${i}`);
  }
});

test('protected: each level is handed to the writer threads once, as its source is indexed, and taken as it is by the whole presentation', async () => {
  const sent: string[] = [];
  const original = FolderWriting.prototype.sendProtected;
  FolderWriting.prototype.sendProtected = function (this: FolderWriting, objects, now) {
    sent.push(...objects.map((o) => o.key));
    return original.call(this, objects, now);
  };
  try {
    const protection = { signal: { scheme: 'cenc' as const }, keys: [{ key: { kid: new Uint8Array(16).fill(3), key: new Uint8Array(16).fill(5) } }] };
    const result = await packagePresentation({ inputs: [`${FIX}/clean/clean.ism`], outDir: join(await tmp(), 'once.ism'), formats: ['smooth', 'dash', 'hls'], protection });
    const fragments = result.presentation.streams.flatMap((s) => s.qualityLevels.flatMap((q) => s.chunks.map((c) => `QualityLevels(${q.bitrate})/Fragments(${s.name}=${c.t})`)));
    assert.deepEqual([...sent].sort(), fragments.sort(), 'every fragment handed over once');
  } finally {
    FolderWriting.prototype.sendProtected = original;
  }
});

test('--policy writes the cross-domain policy files', async () => {
  const out = join(await tmp(), 'p.ism');
  await packagePresentation({ inputs: [`${FIX}/clean/v120.ismv`], outDir: out, policy: true });
  assert.match(await readFile(join(out, 'clientaccesspolicy.xml'), 'utf8'), /<access-policy>/);
  assert.match(await readFile(join(out, 'crossdomain.xml'), 'utf8'), /<cross-domain-policy>/);
});

test('an existing output is kept unless overwrite is asked for, then replaced whole', async () => {
  const dir = await tmp();
  const out = join(dir, 'o.ism');
  await mkdir(out);
  await writeFile(join(out, 'keep'), 'x');
  await assert.rejects(packagePresentation({ inputs: [`${FIX}/clean/v120.ismv`], outDir: out }), (e: unknown) => e instanceof SmoothpubError && e.code === 'output.exists');
  assert.ok(existsSync(join(out, 'keep')));
  await packagePresentation({ inputs: [`${FIX}/clean/v120.ismv`], outDir: out, overwrite: true });
  assert.ok(!existsSync(join(out, 'keep')));
  assert.ok(existsSync(join(out, 'Manifest')));
  assert.deepEqual((await readdir(dir)).sort(), ['o.ism']);
});

test('misaligned levels fail naming the first mismatch, and nothing is written', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const dir = await tmp();
  const odd = join(dir, 'gop3s.ismv');
  const r = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=192x108:rate=24:duration=8', '-c:v', 'libx264', '-bf', '0', '-g', '72', '-keyint_min', '72', '-sc_threshold', '0', '-b:v', '100k', '-f', 'ismv', odd]);
  assert.equal(r.status, 0, r.stderr.toString());
  const out = join(dir, 'bad.ism');
  await assert.rejects(packagePresentation({ inputs: [`${FIX}/clean/v400.ismv`, odd], outDir: out }), (e: unknown) => {
    assert.ok(e instanceof SmoothpubError);
    assert.equal(e.code, 'index.misaligned');
    assert.match(e.message, /gop3s\.ismv/);
    assert.match(e.message, /fragment 1 starts at 20000000 in the first and at 30000000 in the second/);
    return true;
  });
  assert.deepEqual((await readdir(dir)).sort(), ['gop3s.ismv']);
});

test('unsupported input fails with a typed error and leaves nothing', async () => {
  const dir = await tmp();
  for (const input of [`${FIX}/cmaf.mp4`, `${FIX}/missing.ismv`, `${FIX}/progressive/misaligned`]) {
    await assert.rejects(packagePresentation({ inputs: [input], outDir: join(dir, 'x.ism') }), SmoothpubError);
  }
  assert.deepEqual(await readdir(dir), []);
});
