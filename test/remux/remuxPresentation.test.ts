import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { remuxPresentation } from '../../src/remux/remuxPresentation.js';
import { loadPresentation } from '../../src/plan/loadPresentation.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { writePresentationManifest } from '../../src/plan/buildPresentation.js';
import { readIsm } from '../../src/smooth/ism.js';
import { ErrorCode, SmoothpubError } from '../../src/errors.js';
import { requireTools } from '../e2e/helpers.js';

const FIX = resolve('test/fixtures');
const tmp = (): Promise<string> => mkdtemp(join(tmpdir(), 'smoothpub-remux-'));

/** Every file under `dir`, as relative path -> bytes. */
async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    out.set(relative(dir, path), await readFile(path));
  }
  return out;
}

const SETS: Record<string, string[]> = {
  clean: [`${FIX}/clean/clean.ism`],
  users: [`${FIX}/users/users.ism`],
  multitrack: [`${FIX}/multitrack.ismv`],
  cmaf: [`${FIX}/cmaf/video.mp4`, `${FIX}/cmaf/audio.mp4`],
  // Plain MP4: fragments built from sample tables become real ones on disk.
  progressive: [`${FIX}/progressive/v300.mp4`, `${FIX}/progressive/v200.mp4`, `${FIX}/progressive/v100.mp4`],
  languages: [`${FIX}/progressive/languages.mp4`],
  ctts1: [`${FIX}/progressive/ctts1.mp4`],
  // AC-3/E-AC-3: the .isma/.ismv keep the dac3/dec3 (the audio entry is the source's).
  dolbyEac3: [`${FIX}/dolby/eac3.ism`],
  dolbyAc3Mp4: [`${FIX}/dolby/ac3.mp4`],
};
/** What ffprobe calls each set's audio codec; AAC unless named. */
const AUDIO_CODECS: Record<string, string> = { dolbyEac3: 'eac3', dolbyAc3Mp4: 'ac3' };

for (const [name, inputs] of Object.entries(SETS)) {
  test(`remux ${name}: read back, it is the same presentation with the same fragment bytes`, async (t) => {
    const dir = await tmp();
    const result = await remuxPresentation({ inputs, output: join(dir, 'out', `${name}.ism`) });
    assert.equal(result.ism, join(dir, 'out', `${name}.ism`));

    const original = await loadPresentation(inputs);
    const remuxed = await loadPresentation([result.ism]);
    const manifest = writePresentationManifest(original);
    assert.equal(writePresentationManifest(remuxed), manifest);
    // (b) every remuxed file is found through its mfra, not by a scan
    assert.equal(remuxed.sources.length, result.files.length);
    for (const s of remuxed.sources) assert.equal(s.method, 'mfra', s.file);
    // One clock: every file's mdhd says 10 MHz, as its fragments and the .ismc are timed.
    for (const s of remuxed.sources) assert.deepEqual(s.tracks.map((t) => t.timescale), [10_000_000], s.file);
    assert.doesNotMatch(manifest, /<StreamIndex [^>]*TimeScale=/);
    // (d) the .ismc is the client Manifest, and the .ism names it and every file
    assert.equal(await readFile(result.ismc, 'utf8'), manifest);
    const ism = readIsm(await readFile(result.ism, 'utf8'), result.ism);
    assert.equal(ism.clientManifestRelativePath, `${name}.ismc`);
    assert.deepEqual(ism.entries.map((e) => e.src), result.files);

    // (a) packaging either gives the same objects, byte for byte
    const a = await packagePresentation({ inputs, outDir: join(dir, 'a') });
    const b = await packagePresentation({ inputs: [result.ism], outDir: join(dir, 'b') });
    const ta = await readTree(a.outDir);
    const tb = await readTree(b.outDir);
    assert.deepEqual([...tb.keys()].sort(), [...ta.keys()].sort());
    for (const [key, bytes] of ta) assert.ok(bytes.equals(tb.get(key)!), `${key} differs`);
    assert.equal(ta.size, result.fragments + 1); // fragments and the Manifest
    assert.ok(result.fragments >= 4);

    // (c) ffprobe and ffmpeg read every file: one stream each, the right kind and duration
    if (!requireTools(t, 'ffprobe', 'ffmpeg')) return;
    for (const [i, file] of result.files.entries()) {
      const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name:format=duration', '-of', 'json', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '', `${file}: ${r.stderr}`);
      const probe = JSON.parse(r.stdout) as { streams: { codec_type: string; codec_name: string }[]; format: { duration: string } };
      assert.equal(probe.streams.length, 1);
      const kind = ism.entries[i]!.kind;
      assert.equal(probe.streams[0]!.codec_type, kind);
      assert.equal(probe.streams[0]!.codec_name, kind === 'video' ? 'h264' : (AUDIO_CODECS[name] ?? 'aac'));
      assert.ok(Math.abs(Number(probe.format.duration) - Number(original.presentation.duration) / 1e7) < 0.2, `${file} duration ${probe.format.duration}`);
      // ffmpeg decodes every sample without a complaint
      const decode = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' });
      assert.equal(decode.status, 0, decode.stderr);
      assert.equal(decode.stderr, '', `${file}: ${decode.stderr}`);
    }
  });
}

test('remux into a folder names the files after it', async () => {
  const dir = join(await tmp(), 'show');
  const result = await remuxPresentation({ inputs: [`${FIX}/clean/clean.ism`], output: dir });
  assert.equal(result.ism, join(dir, 'show.ism'));
  assert.deepEqual((await readdir(dir)).sort(), ['show.ism', 'show.ismc', 'show_120000.ismv', 'show_250000.ismv', 'show_400000.ismv', 'show_audio_64000.isma']);
});

test('existing files are kept unless --force; other files in the folder are left alone', async () => {
  const dir = await tmp();
  await writeFile(join(dir, 'keep.txt'), 'mine');
  const output = join(dir, 'v.ism');
  await remuxPresentation({ inputs: [`${FIX}/clean/clean.ism`], output });
  const before = await readTree(dir);
  await assert.rejects(remuxPresentation({ inputs: [`${FIX}/clean/clean.ism`], output }), (e: unknown) => e instanceof SmoothpubError && e.code === ErrorCode.OUTPUT_EXISTS);
  assert.deepEqual(await readTree(dir), before);
  await remuxPresentation({ inputs: [`${FIX}/clean/clean.ism`], output, overwrite: true });
  assert.deepEqual(await readTree(dir), before);
});

test('errors leave nothing behind: bad input, and an interrupted write', async () => {
  const root = await tmp();
  await assert.rejects(remuxPresentation({ inputs: [`${FIX}/clean/missing.ismv`], output: join(root, 'new', 'v.ism') }), SmoothpubError);
  assert.deepEqual(await readdir(root), []);

  // Interrupted after the first fragment, into a new folder and into an existing one.
  const existing = join(root, 'existing');
  await mkdir(existing);
  await writeFile(join(existing, 'keep.txt'), 'mine');
  for (const output of [join(root, 'fresh'), join(existing, 'v.ism')]) {
    const controller = new AbortController();
    let fragments = 0;
    await assert.rejects(
      remuxPresentation({
        inputs: [`${FIX}/users/users.ism`],
        output,
        concurrency: 1,
        signal: controller.signal,
        onProgress: () => {
          fragments++;
          controller.abort();
        },
      }),
      (e: unknown) => e instanceof Error && e.name === 'AbortError',
    );
    assert.ok(fragments >= 1);
  }
  assert.deepEqual((await readdir(root)).sort(), ['existing']);
  assert.deepEqual(await readdir(existing), ['keep.txt']);
});

test('a name the output cannot take is refused before any work', async () => {
  await assert.rejects(remuxPresentation({ inputs: [`${FIX}/clean/clean.ism`], output: join(await tmp(), '.ism') }), (e: unknown) => e instanceof SmoothpubError && e.code === ErrorCode.BAD_OPTION);
});
