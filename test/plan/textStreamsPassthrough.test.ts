// TTML text tracks inside ISMV/fMP4 sources (an IIS-style `.ismt`: `stpp`, PIFF tfxd, one
// TTML document per fragment timed from the fragment's start; test/harness/textTrackFixture.ts)
// passed through: the Smooth text StreamIndex serves the source's fragments byte for byte,
// DASH gets TTML on the track's timeline and HLS WebVTT segments with the same cues.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { indexSource } from '../../src/fragments/indexSource.js';
import { localAccess } from '../../src/source/sourceAccess.js';
import type { SourceIndex } from '../../src/fragments/types.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { formatFragmentUrl } from '../../src/smooth/url.js';
import { textFragmentKey } from '../../src/formats/names.js';
import { readTtmlFragment } from '../../src/text/readTtmlSample.js';
import { readSubtitles } from '../../src/text/readSubtitles.js';
import { mergeCues } from '../../src/text/mergeCues.js';
import type { Cue } from '../../src/text/model.js';
import { fixtures } from '../origin/helpers.js';
import { assertTextServedAsPackaged } from './textServed.js';

const clean = ['v400', 'v250', 'v120'].map((l) => join(fixtures, 'clean', `${l}.ismv`)).concat(join(fixtures, 'clean', 'audio.isma'));
const ismt = join(fixtures, 'textpass', 'text_en.ismt');
const captions = join(fixtures, 'text', 'captions.en.vtt');

async function indexOf(file: string): Promise<SourceIndex> {
  const src = await localAccess.open(file);
  try {
    return await indexSource(src);
  } finally {
    await src.close();
  }
}

const shape = (cues: readonly Cue[]): unknown[] => mergeCues(cues).map((c) => ({ start: c.start, end: c.end, runs: c.runs }));

test('package: an ISMV TTML text track passed through: Smooth fragments byte-identical, every cue in DASH TTML and HLS WebVTT at its time', async (t) => {
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-textpass-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const dir = join(tmp, 'video.ism');
  await packagePresentation({ inputs: [...clean, ismt], outDir: dir, formats: ['smooth', 'dash', 'hls'] });

  const source = await readFile(ismt);
  const track = (await indexOf(ismt)).tracks[0]!;
  assert.equal(track.kind, 'text');
  assert.equal(track.codec, 'stpp');
  const manifest = readManifest(await readFile(join(dir, 'Manifest'), 'utf8'));
  const video = manifest.streams.find((s) => s.type === 'video')!;
  const text = manifest.streams.find((s) => s.type === 'text');
  assert.ok(text, 'a text stream');
  assert.deepEqual(
    { name: text.name, subtype: text.subtype, language: text.language, fourCC: text.qualityLevels.map((q) => q.fourCC) },
    { name: 'textstream_eng', subtype: 'SUBT', language: track.language, fourCC: ['TTML'] },
  );
  assert.equal(track.language, 'eng', "the Language is the track's mdhd language");
  assert.deepEqual(text.chunks, track.fragments.map((f) => ({ t: f.time, d: f.duration })), "the source track's fragment times");
  assert.deepEqual(text.chunks.map((c) => c.t), video.chunks.map((c) => c.t), 'aligned with the video');

  const bitrate = text.qualityLevels[0]!.bitrate;
  const got = { source: [] as Cue[], dash: [] as Cue[], hls: [] as Cue[] };
  for (const [i, c] of text.chunks.entries()) {
    const f = track.fragments[i]!;
    const smooth: Uint8Array = new Uint8Array(await readFile(join(dir, formatFragmentUrl(text.url, bitrate, c.t))));
    assert.deepEqual(smooth, new Uint8Array(source.subarray(f.offset, f.offset + f.size)), `Smooth fragment ${c.t}: the source's bytes`);
    got.source.push(...readTtmlFragment(smooth, 'source', { timescale: track.timescale, timeBase: 'fragment', timeFrom: 'tfxd' }));
    got.dash.push(...readTtmlFragment(await readFile(join(dir, textFragmentKey(text.name, bitrate, c.t, 'dash'))), 'dash', { timescale: track.timescale, timeBase: 'track', timeFrom: 'tfdt' }));
    got.hls.push(...readSubtitles(await readFile(join(dir, textFragmentKey(text.name, bitrate, c.t, 'hls'))), 'hls', 'webvtt'));
  }
  assert.ok(got.source.length >= 5, `the source's cues: ${got.source.length}`);
  // The source track is the WebVTT file cut at the video fragments; joined again, it is the file.
  assert.deepEqual(shape(got.source), shape(readSubtitles(await readFile(captions), captions).filter((c) => c.start < 8000)), 'the fixture holds the file\'s cues');
  assert.deepEqual(shape(got.dash), shape(got.source), 'DASH TTML: every cue of the source, its times and text');
  assert.deepEqual(shape(got.hls), shape(got.source), 'HLS WebVTT: every cue of the source, its times and text');

  const init = await readFile(join(dir, `QualityLevels(${bitrate})`, `Fragments(${text.name}=i)`));
  assert.ok(init.includes('stpp'), 'a DASH stpp init segment');
  const mpd = await readFile(join(dir, 'manifest.mpd'), 'utf8');
  assert.match(mpd, /<AdaptationSet[^>]*contentType="text"[^>]*lang="en"[\s\S]*?codecs="stpp"/);
  assert.match(mpd, /Fragments\(textstream_eng=\$Time\$,format=mpd-time-cmaf\)/);
  const master = await readFile(join(dir, 'master.m3u8'), 'utf8');
  assert.match(master, /#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="en"[^\n]*URI="textstream_eng-\d+\.m3u8"/);
  const playlist = await readFile(join(dir, `textstream_eng-${bitrate}.m3u8`), 'utf8');
  assert.equal(playlist.split('\n').filter((l) => l.includes('format=m3u8-aapl')).length, text.chunks.length, 'a WebVTT segment per fragment');
});

test('serve: a .ism <textstream> naming an .ismt gives the same text objects as package; verify crawls them', async (t) => {
  const { text } = await assertTextServedAsPackaged(t, ismt, 'textpass', '<textstream src="text_en.ismt" systemLanguage="eng"><param name="trackID" value="1" valuetype="data"/></textstream>');
  assert.equal(text.language, 'eng');
});

test('a PIFF dfxp sample entry is the same TTML; another text codec is refused naming the file and track', async (t) => {
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-textpass-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const bytes = await readFile(ismt);
  const at = bytes.indexOf('stpp');
  assert.ok(at > 0, 'the fixture has an stpp sample entry');
  const variant = async (fourcc: string): Promise<string> => {
    const file = join(tmp, `${fourcc}.ismt`);
    const copy = Buffer.from(bytes);
    copy.write(fourcc, at, 'latin1');
    await writeFile(file, copy);
    return file;
  };
  const dfxp = await variant('dfxp');
  await packagePresentation({ inputs: [join(fixtures, 'clean', 'v120.ismv'), dfxp], outDir: join(tmp, 'dfxp.ism'), formats: ['smooth', 'dash', 'hls'] });
  const manifest = readManifest(await readFile(join(tmp, 'dfxp.ism', 'Manifest'), 'utf8'));
  const text = manifest.streams.find((s) => s.type === 'text');
  assert.ok(text, 'a text stream');
  assert.equal(text.qualityLevels[0]!.fourCC, 'TTML');
  const track = (await indexOf(dfxp)).tracks[0]!;
  const f = track.fragments[0]!;
  assert.deepEqual(new Uint8Array(await readFile(join(tmp, 'dfxp.ism', formatFragmentUrl(text.url, text.qualityLevels[0]!.bitrate, 0n)))), new Uint8Array(bytes.subarray(f.offset, f.offset + f.size)));

  const tx3g = await variant('tx3g');
  await assert.rejects(packagePresentation({ inputs: [join(fixtures, 'clean', 'v120.ismv'), tx3g], outDir: join(tmp, 'tx3g.ism') }), (e: unknown) => {
    assert.ok(e instanceof Error && 'code' in e, String(e));
    assert.equal((e as { code: string }).code, 'input.unsupported-codec');
    assert.match(e.message, /tx3g/);
    assert.match(e.message, /tx3g\.ismt/);
    return true;
  });
});
