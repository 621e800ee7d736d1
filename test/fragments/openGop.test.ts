// Open GOP from ffmpeg's -f ismv (x264 open-gop=1): tfxd gives each keyframe's presentation
// time and a constant duration, while the samples (trun) decode from up to a few frames
// earlier. The index, the Manifest and verify follow the samples; inspect says where tfxd
// disagrees. Fixtures: test/fixtures/opengop/ (scripts/make-fixtures.sh opengop).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SmoothpubError } from '../../src/errors.js';
import { indexFile } from '../../src/fragments/indexFile.js';
import { inspectInputs } from '../../src/inspect/inspectInputs.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { verifyPresentation } from '../../src/verify/verifyPresentation.js';
import { requireTools } from '../e2e/helpers.js';
import { packageAndServe } from '../verify/helpers.js';

const G = resolve('test/fixtures/opengop');
const ladder = ['v300', 'v200', 'v100'].map((n) => join(G, `${n}.ismv`));
const tmp = (): Promise<string> => mkdtemp(join(tmpdir(), 'smoothpub-opengop-'));

/** Decode times of the keyframes (10 MHz) as ffmpeg's own demuxer reads the file: an independent reader. */
function probeKeyframeDecodeTimes(file: string): bigint[] {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=dts,flags', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .split('\n')
    .filter((l) => /,K/.test(l))
    .map((l) => BigInt(l.split(',')[0]!));
}

test('open GOP -f ismv: fragments start where the samples decode (trun sums), not where tfxd says', async (t) => {
  if (!requireTools(t, 'ffprobe')) return;
  const ix = await indexFile(ladder[0]!);
  const video = ix.tracks.find((x) => x.kind === 'video')!;
  assert.deepEqual(video.fragments.map((f) => f.time), [0n, 19_000_000n, 39_000_000n, 59_000_000n]);
  assert.deepEqual(video.fragments.map((f) => f.duration), [19_000_000n, 20_000_000n, 20_000_000n, 21_000_000n]);
  assert.deepEqual(video.fragments.map((f) => f.time), probeKeyframeDecodeTimes(ladder[0]!), 'the keyframes decode when ffprobe says');
  // What ffmpeg wrote in tfxd: the keyframes' presentation times, 2 s each.
  assert.deepEqual(video.fragments.map((f) => f.tfxd), [0n, 1n, 2n, 3n].map((k) => ({ time: k * 20_000_000n, duration: 20_000_000n })));
  // x264's own B-frame decisions (b-adapt=1): 59, 60, 61, 60 frames at 30 fps.
  const adaptive = (await indexFile(join(G, 'adaptive.ismv'))).tracks[0]!;
  assert.deepEqual(adaptive.fragments.map((f) => f.duration), [19_666_667n, 20_000_000n, 20_333_333n, 20_000_000n]);
  assert.deepEqual(adaptive.fragments.map((f) => f.time), probeKeyframeDecodeTimes(join(G, 'adaptive.ismv')));
  // The audio muxed in: its tfxd agrees with its samples, priming included.
  const audio = ix.tracks.find((x) => x.kind === 'audio')!;
  assert.equal(audio.fragments[0]!.time, -213_333n);
  assert.ok(audio.fragments.every((f) => f.tfxd === undefined));
});

test('closed GOP ffmpeg output is indexed as before: its tfxd equals its samples', async () => {
  for (const file of ['users/v400.ismv', 'users/v120.ismv', 'multitrack.ismv', 'clean/v250.ismv', 'clean/audio.isma']) {
    const ix = await indexFile(resolve('test/fixtures', file));
    for (const track of ix.tracks) {
      assert.ok(track.fragments.every((f) => f.tfxd === undefined), `${file} track ${track.trackId}: no fragment whose tfxd disagrees`);
      const videoTimes = track.kind === 'video' ? [0n, 20_000_000n, 40_000_000n, 60_000_000n] : undefined;
      if (videoTimes) assert.deepEqual(track.fragments.map((f) => f.time), videoTimes, file);
    }
  }
});

test('the packaged open GOP ladder announces the samples: chunk t/d, fragment names, one timeline for every level', async () => {
  const out = join(await tmp(), 'g.ism');
  const result = await packagePresentation({ inputs: ladder, outDir: out });
  const manifest = readManifest(await readFile(join(out, 'Manifest'), 'utf8'));
  const video = manifest.streams.find((s) => s.type === 'video')!;
  assert.equal(video.qualityLevels.length, 3);
  assert.deepEqual(video.chunks.map((c) => [c.t, c.d]), [
    [0n, 19_000_000n],
    [19_000_000n, 20_000_000n],
    [39_000_000n, 20_000_000n],
    [59_000_000n, 21_000_000n],
  ]);
  assert.equal(manifest.duration, 80_000_000n);
  for (const q of video.qualityLevels) {
    const names = (await readdir(join(out, `QualityLevels(${q.bitrate})`))).filter((n) => n.startsWith('Fragments(video='));
    assert.deepEqual(names.sort(), ['Fragments(video=0)', 'Fragments(video=19000000)', 'Fragments(video=39000000)', 'Fragments(video=59000000)']);
  }
  assert.equal(manifest.streams.filter((s) => s.type === 'audio').length, 1, 'the AAC muxed into every level is one rendition');
  assert.deepEqual(result.warnings.map((w) => [w.code, w.context.file]), ladder.map((f) => ['index.tfxd-disagrees', f]));
  assert.match(result.warnings[0]!.message, /tfxd box of 4 of 4 fragments disagrees with their samples .*tfxd time 0 duration 20000000, samples from 0 for 19000000.*the Manifest follows the samples.*open GOP/);
});

test('levels whose open GOPs decode from different times cannot share a Manifest timeline: index.misaligned says why', async () => {
  const dir = await tmp();
  await assert.rejects(packagePresentation({ inputs: [ladder[0]!, join(G, 'adaptive.ismv')], outDir: join(dir, 'm.ism') }), (e: unknown) => {
    assert.ok(e instanceof SmoothpubError);
    assert.equal(e.code, 'index.misaligned');
    assert.match(e.message, /fragment 1's samples decode from 19000000 in the first and from 19666667 in the second, though both fragments' tfxd say 20000000: open GOPs/);
    assert.match(e.message, /open-gop=0.*b-adapt=0/);
    return true;
  });
  assert.deepEqual(await readdir(dir), [], 'nothing written');
});

test('inspect: no problems, a warning per level where tfxd disagrees, and the tfxd values beside the fragments', async () => {
  const r = await inspectInputs(ladder);
  assert.equal(r.ok, true);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.warnings.map((w) => w.code), ['index.tfxd-disagrees', 'index.tfxd-disagrees', 'index.tfxd-disagrees']);
  const track = r.sources.find((s) => s.file === ladder[0])!.tracks.find((x) => x.kind === 'video')!;
  assert.deepEqual(track.fragments[1]!.tfxd, { time: 20_000_000n, duration: 20_000_000n });
  assert.equal(track.fragments[1]!.time, 19_000_000n);
  // A ladder that cannot be packaged still says what each file says of itself.
  const failed = await inspectInputs([ladder[0]!, join(G, 'adaptive.ismv')]);
  assert.equal(failed.ok, false);
  assert.deepEqual(failed.problems.map((p) => p.code), ['index.misaligned']);
  assert.deepEqual(failed.warnings.map((w) => w.context.file).sort(), [ladder[0]!, join(G, 'adaptive.ismv')].sort());
  // Closed GOPs: nothing to say.
  assert.deepEqual((await inspectInputs([resolve('test/fixtures/users/users.ism')])).warnings, []);
});

test('verify: the packaged open GOP ladder passes; a Manifest announcing the tfxd values is caught by the trun sums', async () => {
  const s = await packageAndServe(ladder);
  try {
    const good = await verifyPresentation(s.manifestUrl);
    assert.deepEqual(good.problems, []);
    // Rewrite the Manifest as smoothpub used to (tfxd times, 2 s each) and rename the fragments to match.
    const path = join(s.dir, 'Manifest');
    const xml = await readFile(path, 'utf8');
    const videoIndex = /<StreamIndex Type="video"[\s\S]*?<\/StreamIndex>/.exec(xml)![0];
    const tfxdChunks = [0, 1, 2, 3].map((k) => `<c t="${k * 20_000_000}" d="20000000"/>`).join('');
    await writeFile(path, xml.replace(videoIndex, videoIndex.replace(/(<c [^>]*\/>\s*)+/, tfxdChunks)));
    for (const level of (await readdir(s.dir)).filter((d) => d.startsWith('QualityLevels('))) {
      const names = (await readdir(join(s.dir, level))).filter((n) => n.startsWith('Fragments(video='));
      if (names.length === 0) continue;
      for (const [from, to] of [['59000000', '60000000'], ['39000000', '40000000'], ['19000000', '20000000']]) {
        await rename(join(s.dir, level, `Fragments(video=${from})`), join(s.dir, level, `Fragments(video=${to})`));
      }
    }
    const bad = await verifyPresentation(s.manifestUrl);
    assert.equal(bad.ok, false);
    const byUrl = bad.problems.map((p) => `${p.code} ${/Fragments\(video=\d+\)/.exec(p.url)?.[0]}`);
    // Fragments 0 and 3 last 1.9 s and 2.1 s; 1 and 2 last 2 s, and their tfxd (late by the keyframe's composition offset) match the URL.
    assert.deepEqual(new Set(byUrl), new Set(['verify.duration-mismatch Fragments(video=0)', 'verify.duration-mismatch Fragments(video=60000000)']));
    assert.equal(byUrl.length, 6, 'both fragments of every level');
    assert.match(bad.problems[0]!.message, /fragment lasts 19000000, Manifest says d=20000000; its tfxd says 20000000/);
  } finally {
    await s.close();
  }
});
