// Text streams from subtitle files (`--text`, `.ism` `<textstream>`), structurally: the
// Smooth text StreamIndex, the DASH stpp AdaptationSet with its own fragments on the track's
// timeline, the HLS SUBTITLES renditions with WebVTT segments at the video's times; the
// origin answering the same objects from a `.ism`; verify crawling them; remux refusing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { formatFragmentUrl } from '../../src/smooth/url.js';
import { textFragmentKey } from '../../src/formats/names.js';
import { readTtmlFragment } from '../../src/text/readTtmlSample.js';
import { readSubtitles } from '../../src/text/readSubtitles.js';
import { mergeCues } from '../../src/text/mergeCues.js';
import { nearestColorClass } from '../../src/text/writeWebVtt.js';
import { WEBVTT_COLOR_CLASSES } from '../../src/text/colors.js';
import type { Cue } from '../../src/text/model.js';
import { textInputs } from '../../src/cli/options.js';
import { isSmoothpubError } from '../../src/errors.js';
import { fixtures, get } from '../origin/helpers.js';
import { assertTextServedAsPackaged } from './textServed.js';

const clean = ['v400', 'v250', 'v120'].map((l) => join(fixtures, 'clean', `${l}.ismv`)).concat(join(fixtures, 'clean', 'audio.isma'));
const english = join(fixtures, 'text', 'captions.en.vtt');
const french = join(fixtures, 'text', 'subtitles.fr.srt');

test('package --text: Smooth text StreamIndex, DASH stpp set with fragments on the track timeline, HLS SUBTITLES with WebVTT at the video times', async (t) => {
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-text-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const dir = join(tmp, 'video.ism');
  await packagePresentation({
    inputs: clean,
    outDir: dir,
    formats: ['smooth', 'dash', 'hls'],
    texts: [
      { file: english, language: 'eng', label: 'English', subtype: 'CAPT' },
      { file: french, language: 'fra' },
    ],
  });
  const manifest = readManifest(await readFile(join(dir, 'Manifest'), 'utf8'));
  const video = manifest.streams.find((s) => s.type === 'video')!;
  const texts = manifest.streams.filter((s) => s.type === 'text');
  assert.deepEqual(
    texts.map((s) => ({ name: s.name, subtype: s.subtype, language: s.language, url: s.url, fourCC: s.qualityLevels.map((q) => q.fourCC), levels: s.qualityLevels.length })),
    [
      { name: 'textstream_eng', subtype: 'CAPT', language: 'eng', url: 'QualityLevels({bitrate})/Fragments(textstream_eng={start time})', fourCC: ['TTML'], levels: 1 },
      { name: 'textstream_fra', subtype: 'SUBT', language: 'fra', url: 'QualityLevels({bitrate})/Fragments(textstream_fra={start time})', fourCC: ['TTML'], levels: 1 },
    ],
  );
  for (const s of texts) assert.deepEqual(s.chunks, video.chunks, `${s.name}: the video's fragment times`);

  // Every cue of the file is in the fragments, at the same times in both time bases.
  const eng = texts[0]!;
  const bitrate = eng.qualityLevels[0]!.bitrate;
  const cues = readSubtitles(await readFile(english), english);
  const seen = { smooth: [] as string[], dash: [] as string[] };
  for (const c of eng.chunks) {
    const smooth = readTtmlFragment(await readFile(join(dir, formatFragmentUrl(eng.url, bitrate, c.t))), 'smooth', { timescale: 10_000_000, timeBase: 'fragment', timeFrom: 'tfxd' });
    const dash = readTtmlFragment(await readFile(join(dir, textFragmentKey(eng.name, bitrate, c.t, 'dash'))), 'dash', { timescale: 10_000_000, timeBase: 'track', timeFrom: 'tfdt' });
    for (const cue of smooth) seen.smooth.push(`${cue.start}-${cue.end}`);
    for (const cue of dash) seen.dash.push(`${cue.start}-${cue.end}`);
  }
  assert.deepEqual(seen.smooth, seen.dash, 'Smooth (fragment-relative) and DASH (track) TTML say the same times');
  for (const cue of cues) assert.ok(seen.dash.some((s) => s.startsWith(`${cue.start}-`)), `cue at ${cue.start} ms is in a fragment: ${seen.dash.join(' ')}`);

  const mpd = await readFile(join(dir, 'manifest.mpd'), 'utf8');
  const set = /<AdaptationSet[^>]*contentType="text"[^>]*lang="en"[^>]*>([\s\S]*?)<\/AdaptationSet>/.exec(mpd);
  assert.ok(set, `an English text AdaptationSet: ${mpd}`);
  assert.match(set[0], /mimeType="application\/mp4"/);
  assert.match(set[1]!, /<Label>English<\/Label>/);
  assert.match(set[1]!, /<Role schemeIdUri="urn:mpeg:dash:role:2011" value="caption"\/>/);
  assert.match(set[1]!, /codecs="stpp"/);
  assert.match(set[1]!, /media="QualityLevels\(\$Bandwidth\$\)\/Fragments\(textstream_eng=\$Time\$,format=mpd-time-cmaf\)"/);
  assert.match(mpd, /contentType="text"[^>]*lang="fr"[\s\S]*?value="subtitle"/);

  const master = await readFile(join(dir, 'master.m3u8'), 'utf8');
  const subtitles = master.split('\n').filter((l) => l.startsWith('#EXT-X-MEDIA:TYPE=SUBTITLES'));
  assert.equal(subtitles.length, 2, master);
  assert.match(subtitles[0]!, /GROUP-ID="subs",LANGUAGE="en",NAME="English",DEFAULT=NO,AUTOSELECT=YES,CHARACTERISTICS="public\.accessibility\.transcribes-spoken-dialog/);
  const variants = master.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF'));
  assert.ok(variants.length > 0 && variants.every((v) => v.includes('SUBTITLES="subs"')), 'every variant names the subtitles group');
  const playlistKey = /URI="([^"]+)"/.exec(subtitles[0]!)![1]!;
  const playlist = await readFile(join(dir, playlistKey), 'utf8');
  const segments = playlist.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  assert.deepEqual(segments, eng.chunks.map((c) => textFragmentKey(eng.name, bitrate, c.t, 'hls')));
  for (const key of segments) assert.match(await readFile(join(dir, key), 'utf8'), /^WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:\d+,LOCAL:/);
});

test('serve: a .ism <textstream> naming a subtitle file gives the same text objects as package; verify crawls them', async (t) => {
  const { text, bitrate, origin, path } = await assertTextServedAsPackaged(t, english, 'text', '<textstream src="captions.en.vtt" systemLanguage="eng"/>');
  const init = await get(origin.handler, `${path}${encodeURI(`QualityLevels(${bitrate})/Fragments(${text.name}=i)`)}`);
  assert.equal(init.status, 200);
  assert.equal(new TextDecoder('latin1').decode(init.body).includes('stpp'), true, 'an stpp init segment');
});

test('--text takes file:lang[:name] and a subtype; a subtitle file too big is refused before it is read', async (t) => {
  assert.deepEqual(textInputs({ text: ['subs/a b.vtt:en-US:English (US)'], textSubtype: 'capt' }), { textSubtype: 'CAPT', texts: [{ file: 'subs/a b.vtt', language: 'en-US', subtype: 'CAPT', label: 'English (US)' }] });
  assert.deepEqual(textInputs({ text: ['a.srt:fra'] }), { texts: [{ file: 'a.srt', language: 'fra', subtype: 'SUBT' }] });
  assert.deepEqual(textInputs({ textSubtype: 'Subt' }), { textSubtype: 'SUBT' }, 'alone: it applies to the text tracks of the sources');
  assert.deepEqual(textInputs({}), {});
  for (const bad of ['subs.vtt', 'subs.mp4:eng', 'subs.srt:']) assert.throws(() => textInputs({ text: [bad] }), (e: unknown) => isSmoothpubError(e) && e.code === 'cli.bad-option', bad);
  assert.throws(() => textInputs({ text: ['a.vtt:eng'], textSubtype: 'DESC' }), (e: unknown) => isSmoothpubError(e) && e.code === 'cli.bad-option');

  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-text-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  // A file too big to be subtitles is refused before it is read whole.
  const big = join(tmp, 'big.vtt');
  await writeFile(big, '');
  await truncate(big, 17 * 1024 * 1024);
  await assert.rejects(packagePresentation({ inputs: clean, outDir: join(tmp, 'big.ism'), texts: [{ file: big, language: 'eng' }] }), (e: unknown) => isSmoothpubError(e) && e.code === 'text.too-large' && e.context.file === big);

});

test('every cue of a WebVTT, SRT and TTML file comes back from the DASH and Smooth TTML fragments and the HLS WebVTT segments, times and styling', async (t) => {
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-text-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  for (const name of ['styled.vtt', 'styled.srt', 'styled.ttml']) {
    const file = join(fixtures, 'text', name);
    const dir = join(tmp, `${name}.ism`);
    await packagePresentation({ inputs: clean, outDir: dir, formats: ['smooth', 'dash', 'hls'], texts: [{ file, language: 'fra' }] });
    const manifest = readManifest(await readFile(join(dir, 'Manifest'), 'utf8'));
    const text = manifest.streams.find((s) => s.type === 'text')!;
    const bitrate = text.qualityLevels[0]!.bitrate;
    const got = { smooth: [] as Cue[], dash: [] as Cue[], hls: [] as Cue[] };
    for (const c of text.chunks) {
      got.smooth.push(...readTtmlFragment(await readFile(join(dir, formatFragmentUrl(text.url, bitrate, c.t))), name, { timescale: 10_000_000, timeBase: 'fragment', timeFrom: 'tfxd' }));
      got.dash.push(...readTtmlFragment(await readFile(join(dir, textFragmentKey(text.name, bitrate, c.t, 'dash'))), name, { timescale: 10_000_000, timeBase: 'track', timeFrom: 'tfdt' }));
      got.hls.push(...readSubtitles(await readFile(join(dir, textFragmentKey(text.name, bitrate, c.t, 'hls'))), name, 'webvtt'));
    }
    // Cues inside the 8 s presentation, as read from the file; the fragments cut them at 2 s boundaries.
    const source = readSubtitles(await readFile(file), file).filter((c) => c.start < 8000);
    const shape = (cues: readonly Cue[], nearest = false): unknown[] =>
      mergeCues(cues).map((c) => ({ start: c.start, end: Math.min(c.end, 8000), runs: c.runs.map((r) => (nearest && 'text' in r && r.color !== undefined && WEBVTT_COLOR_CLASSES[r.color] === undefined ? { ...r, color: nearestColorClass(r.color) } : r)) }));
    for (const format of ['smooth', 'dash'] as const) assert.deepEqual(shape(got[format]), shape(source), `${name} through ${format}`);
    // HLS segments write a color outside WebVTT's eight classes as the nearest one (writeWebVtt: hls.js and ffmpeg take no STYLE block).
    assert.deepEqual(shape(got.hls), shape(source, true), `${name} through hls`);
  }
});
