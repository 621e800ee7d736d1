// 3GPP timed text (tx3g) in plain MP4, as `ffmpeg -c:s mov_text` writes it
// (test/fixtures/tx3g/movtext.mp4): every track's cues as ffmpeg reads them (times to the
// millisecond, text, bold/italic/underline), converted like a subtitle file into the
// Smooth, DASH and HLS text objects; served as packaged; remuxed into an .ismt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { indexSource } from '../../src/fragments/indexSource.js';
import { localAccess } from '../../src/source/sourceAccess.js';
import { loadTx3gTrack } from '../../src/plan/textStreams.js';
import { loadPresentation } from '../../src/plan/loadPresentation.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { remuxPresentation } from '../../src/remux/remuxPresentation.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { formatFragmentUrl } from '../../src/smooth/url.js';
import { textFragmentKey } from '../../src/formats/names.js';
import { readTtmlFragment } from '../../src/text/readTtmlSample.js';
import { readSubtitles } from '../../src/text/readSubtitles.js';
import { mergeCues } from '../../src/text/mergeCues.js';
import type { Cue } from '../../src/text/model.js';
import { requireTools } from '../e2e/helpers.js';
import { fixtures } from '../origin/helpers.js';
import { assertTextServedAsPackaged } from './textServed.js';
import { runBin } from '../cli/runBin.js';

const movtext = join(fixtures, 'tx3g', 'movtext.mp4');
const shape = (cues: readonly Cue[]): unknown[] => mergeCues(cues).map((c) => ({ start: c.start, end: c.end, runs: c.runs }));

async function tx3gTracks(): Promise<Awaited<ReturnType<typeof indexSource>>['tracks']> {
  const src = await localAccess.open(movtext);
  try {
    return (await indexSource(src)).tracks.filter((t) => t.codec === 'tx3g');
  } finally {
    await src.close();
  }
}

test('every tx3g track reads as ffmpeg reads it: cue times to the millisecond, text, bold/italic/underline, characters after non-ASCII', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const tracks = await tx3gTracks();
  assert.deepEqual(tracks.map((x) => [x.trackId, x.language, x.textRole ?? null]), [[3, 'eng', null], [4, 'fra', 'caption'], [5, 'jpn', null]]);
  for (const [i, track] of tracks.entries()) {
    const ours = (await loadTx3gTrack({ track }, localAccess)).cues;
    const r = spawnSync('ffmpeg', ['-v', 'error', '-i', movtext, '-map', `0:s:${i}`, '-f', 'srt', '-'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const theirs = readSubtitles(new TextEncoder().encode(r.stdout), `ffmpeg track ${track.trackId}`, 'srt');
    assert.ok(theirs.length >= 2, `ffmpeg reads cues of track ${track.trackId}`);
    assert.deepEqual(ours.map((c) => ({ start: c.start, end: c.end, runs: c.runs })), theirs.map((c) => ({ start: c.start, end: c.end, runs: c.runs })), `track ${track.trackId}`);
  }
});

test('package: a text stream per tx3g track (Subtype from its kind box), every cue in the Smooth, DASH and HLS objects; remux writes them as .ismt that package the same', async (t) => {
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-tx3g-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const dir = join(tmp, 'a');
  await packagePresentation({ inputs: [movtext], outDir: dir, formats: ['smooth', 'dash', 'hls'] });
  const manifest = readManifest(await readFile(join(dir, 'Manifest'), 'utf8'));
  const text = manifest.streams.filter((s) => s.type === 'text');
  assert.deepEqual(text.map((s) => [s.name, s.language, s.subtype, s.qualityLevels[0]!.fourCC]), [
    ['textstream_eng', 'eng', 'SUBT', 'TTML'],
    ['textstream_fra', 'fra', 'CAPT', 'TTML'],
    ['textstream_jpn', 'jpn', 'SUBT', 'TTML'],
  ]);
  const video = manifest.streams.find((s) => s.type === 'video')!;
  const tracks = await tx3gTracks();
  for (const [i, stream] of text.entries()) {
    assert.deepEqual(stream.chunks.map((c) => c.t), video.chunks.map((c) => c.t), 'aligned with the video');
    const bitrate = stream.qualityLevels[0]!.bitrate;
    const got = { smooth: [] as Cue[], dash: [] as Cue[], hls: [] as Cue[] };
    for (const c of stream.chunks) {
      got.smooth.push(...readTtmlFragment(await readFile(join(dir, formatFragmentUrl(stream.url, bitrate, c.t))), 'smooth', { timescale: 10_000_000, timeBase: 'fragment', timeFrom: 'tfxd' }));
      got.dash.push(...readTtmlFragment(await readFile(join(dir, textFragmentKey(stream.name, bitrate, c.t, 'dash'))), 'dash', { timescale: 10_000_000, timeBase: 'track', timeFrom: 'tfdt' }));
      got.hls.push(...readSubtitles(await readFile(join(dir, textFragmentKey(stream.name, bitrate, c.t, 'hls'))), 'hls', 'webvtt'));
    }
    const source = (await loadTx3gTrack({ track: tracks[i]! }, localAccess)).cues;
    for (const [format, cues] of Object.entries(got)) assert.deepEqual(shape(cues), shape(source), `${stream.name} ${format}: every cue, its times and styling`);
  }

  // remux: the converted tracks become .ismt files; the remuxed .ism packages the same.
  const remuxed = await remuxPresentation({ inputs: [movtext], output: join(tmp, 'r', 'movtext.ism') });
  assert.equal(remuxed.files.filter((f) => f.endsWith('.ismt')).length, 3);
  const b = join(tmp, 'b');
  await packagePresentation({ inputs: [remuxed.ism], outDir: b, formats: ['smooth', 'dash', 'hls'] });
  const files = async (root: string): Promise<string[]> => (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name))).sort();
  assert.deepEqual(await files(b), await files(dir));
  for (const key of await files(dir)) assert.ok((await readFile(join(dir, key))).equals(await readFile(join(b, key))), `${key} differs`);
});

test('serve: a .ism <textstream> naming a tx3g track of an MP4 gives the same text objects as package', async (t) => {
  const { text } = await assertTextServedAsPackaged(t, movtext, 'tx3g', '<textstream src="movtext.mp4" systemLanguage="fra"><param name="trackID" value="4"/></textstream>');
  assert.deepEqual([text.name, text.language, text.subtype], ['textstream_fra', 'fra', 'CAPT']);
});

test('inspect: each tx3g track is used (converted: the fragments of its text stream), and the text streams are listed with their Subtype', async () => {
  const r = await runBin(['inspect', movtext]);
  assert.equal(r.code, 0, r.stderr);
  for (const id of [3, 4, 5]) assert.match(r.stdout, new RegExp(`track ${id} {2}text {2}tx3g .* 4 fragments {2}8\\.000 s`));
  assert.doesNotMatch(r.stdout, /not used/);
  assert.match(r.stdout, /text 'textstream_fra' \(fra\): 4 chunks[^\n]*\n\s+TTML .* CAPT/);
});

test('the same tx3g tracks in two MP4 renditions are one text stream each; a different track in one language is a stream of its own', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-tx3g-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  // Another file of the same tracks (ffmpeg -c copy writes its own moov and layout).
  const other = join(tmp, 'other.mp4');
  const copy = spawnSync('ffmpeg', ['-v', 'error', '-i', movtext, '-map', '0', '-c', 'copy', '-movflags', '+faststart', other], { encoding: 'utf8' });
  assert.equal(copy.status, 0, copy.stderr);
  const names = async (inputs: string[]): Promise<string[]> => (await loadPresentation(inputs)).presentation.streams.filter((s) => s.type === 'text').map((s) => `${s.name} ${s.language} ${s.subtype}`);
  assert.deepEqual(await names([movtext, other]), ['textstream_eng eng SUBT', 'textstream_fra fra CAPT', 'textstream_jpn jpn SUBT']);
  // Track 5 (jpn) relabelled eng: other cues in the same language.
  const relabelled = join(tmp, 'relabelled.mp4');
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', movtext, '-map', '0:v', '-map', '0:a', '-map', '0:s:2', '-c', 'copy', '-metadata:s:s:0', 'language=eng', relabelled], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(await names([movtext, relabelled]), ['textstream_eng eng SUBT', 'textstream_fra fra CAPT', 'textstream_jpn jpn SUBT', 'textstream_eng_2 eng SUBT']);
});
