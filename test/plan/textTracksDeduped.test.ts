// The same text track found in several files (each .ismv of a ladder carrying the same stpp
// track) is one text stream; different tracks, even in one language, stay apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPresentation } from '../../src/plan/loadPresentation.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { formatFragmentUrl } from '../../src/smooth/url.js';
import { fixtures } from '../origin/helpers.js';
import { buildTextTrack } from '../harness/textTrackFixture.js';
import { muxTextTrack } from '../harness/muxTextTrack.js';
import { textFragmentKey } from '../../src/formats/names.js';

const clean = ['v400', 'v250', 'v120'].map((l) => join(fixtures, 'clean', `${l}.ismv`)).concat(join(fixtures, 'clean', 'audio.isma'));
const ismt = join(fixtures, 'textpass', 'text_en.ismt');
const video = join(fixtures, 'clean', 'v120.ismv');

const textStreams = async (inputs: string[]): Promise<{ name: string; language: string | undefined; file: string }[]> => {
  const loaded = await loadPresentation(inputs);
  return loaded.presentation.streams
    .filter((s) => s.type === 'text')
    .map((s) => ({ name: s.name, language: s.language, file: loaded.levels.find((l) => l.streamName === s.name)!.track.file }));
};

test('the same text track in several files (copies, another track ID) is one stream, the first file\'s; its fragments are served once', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-textdedupe-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const copy = join(dir, 'copy.ismt');
  await copyFile(ismt, copy);
  // The same track as track 3 of its file: other tkhd/trex/tfhd bytes, the same TTML documents and times.
  const renumbered = join(dir, 'track3.ismt');
  await writeFile(renumbered, await buildTextTrack(video, join(fixtures, 'text', 'captions.en.vtt'), 'eng', 3));
  const renumberedBytes = await readFile(renumbered);
  assert.ok(!renumberedBytes.equals(await readFile(ismt)), 'the renumbered file differs');

  assert.deepEqual(await textStreams([...clean, ismt, copy, renumbered]), [{ name: 'textstream_eng', language: 'eng', file: ismt }]);
  const out = join(dir, 'out');
  await packagePresentation({ inputs: [...clean, ismt, copy, renumbered], outDir: out });
  const manifest = readManifest(await readFile(join(out, 'Manifest'), 'utf8'));
  const text = manifest.streams.filter((s) => s.type === 'text');
  assert.equal(text.length, 1);
  const body = await readFile(join(out, formatFragmentUrl(text[0]!.url, text[0]!.qualityLevels[0]!.bitrate, 0n)));
  assert.ok(body.length > 0);
});

test('different text tracks stay apart: another file in the same language, the same track on other fragment times, distinct .ism trackNames', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-textdedupe-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // French subtitles labelled English: same language, other documents.
  const other = join(dir, 'other.ismt');
  await writeFile(other, await buildTextTrack(video, join(fixtures, 'text', 'subtitles.fr.srt'), 'eng'));
  const streams = await textStreams([...clean, ismt, other]);
  assert.deepEqual(streams.map((s) => [s.name, s.language, s.file]), [['textstream_eng', 'eng', ismt], ['textstream_eng_2', 'eng', other]]);

  // The same cues cut at other times (the audio's fragments, 2.0053 s each): another timeline.
  const cut = join(dir, 'cut.ismt');
  await writeFile(cut, await buildTextTrack(join(fixtures, 'clean', 'audio.isma'), join(fixtures, 'text', 'captions.en.vtt'), 'eng'));
  assert.equal((await textStreams([...clean, ismt, cut])).length, 2);

  // A .ism naming two copies with their own trackNames asks for two streams.
  for (const f of ['v400.ismv', 'v250.ismv', 'v120.ismv', 'audio.isma']) await copyFile(join(fixtures, 'clean', f), join(dir, f));
  await copyFile(ismt, join(dir, 'a.ismt'));
  await copyFile(ismt, join(dir, 'b.ismt'));
  const ism = join(dir, 'v.ism');
  const entry = (src: string, name: string): string => `<textstream src="${src}"><param name="trackName" value="${name}"/></textstream>`;
  await writeFile(ism, `<smil xmlns="http://www.w3.org/2001/SMIL20/Language"><body><switch><video src="v400.ismv"/><audio src="audio.isma"/>${entry('a.ismt', 'captions')}${entry('b.ismt', 'captions_copy')}</switch></body></smil>`);
  assert.deepEqual((await textStreams([ism])).map((s) => s.name), ['captions', 'captions_copy']);
  await writeFile(ism, `<smil xmlns="http://www.w3.org/2001/SMIL20/Language"><body><switch><video src="v400.ismv"/><audio src="audio.isma"/>${entry('a.ismt', 'captions')}${entry('b.ismt', 'captions')}</switch></body></smil>`);
  assert.deepEqual((await textStreams([ism])).map((s) => s.name), ['captions']);
});

test('a ladder whose every .ismv carries the same stpp track (track 2 beside the video) has one text stream, its cues those of the track', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-textdedupe-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const text = await readFile(ismt);
  const ladder: string[] = [];
  for (const level of ['v400', 'v250', 'v120']) {
    const file = join(dir, `${level}.ismv`);
    await writeFile(file, muxTextTrack(await readFile(join(fixtures, 'clean', `${level}.ismv`)), text));
    ladder.push(file);
  }
  const inputs = [...ladder, join(fixtures, 'clean', 'audio.isma')];
  const loaded = await loadPresentation(inputs);
  assert.deepEqual(loaded.sources.map((s) => s.tracks.map((x) => `${x.trackId} ${x.kind}`)), [['1 video', '2 text'], ['1 video', '2 text'], ['1 video', '2 text'], ['1 audio']]);
  const streams = loaded.presentation.streams.map((s) => `${s.type} ${s.name} ${s.qualityLevels.length}`);
  assert.deepEqual(streams, ['video video 3', 'audio audio 1', 'text textstream_eng 1']);
  const level = loaded.levels.find((l) => l.streamName === 'textstream_eng')!;
  assert.equal(level.track.file, ladder[0], "the first file's track");

  // Served as the ladder's first file has it; the same cues as the .ismt alone gives.
  const out = join(dir, 'out');
  await packagePresentation({ inputs, outDir: out, formats: ['smooth', 'hls'] });
  const alone = join(dir, 'alone');
  await packagePresentation({ inputs: [...clean, ismt], outDir: alone, formats: ['smooth', 'hls'] });
  const manifest = readManifest(await readFile(join(out, 'Manifest'), 'utf8'));
  const stream = manifest.streams.find((s) => s.type === 'text')!;
  for (const c of stream.chunks) {
    const key = textFragmentKey(stream.name, stream.qualityLevels[0]!.bitrate, c.t, 'hls');
    assert.equal(await readFile(join(out, key), 'utf8'), await readFile(join(alone, key), 'utf8'), `${key}: the same WebVTT`);
  }
});
