// The Subtype of a text track passed through (CAPT captions, SUBT subtitles): from the .ism
// <textstream>, the .ismc beside the .ism or beside the track's file, the track's `kind` box or
// handler name; --text-subtype (textSubtype) over all of them; SUBT when nothing says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { loadPresentation, type LoadOptions } from '../../src/plan/loadPresentation.js';
import { writePresentationManifest } from '../../src/plan/buildPresentation.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { box } from '../../src/bmff/writer.js';
import { fixtures, get, startOrigin } from '../origin/helpers.js';
import { readManifest } from '../../src/smooth/readManifest.js';

const clean = ['v400', 'v250', 'v120'].map((l) => join(fixtures, 'clean', `${l}.ismv`)).concat(join(fixtures, 'clean', 'audio.isma'));
const ismt = join(fixtures, 'textpass', 'text_en.ismt');

/** The text stream's Subtype in the Manifest, and the one its level carries to DASH and HLS. */
async function subtypeOf(inputs: string[], options: LoadOptions = {}): Promise<string | undefined> {
  const loaded = await loadPresentation(inputs, options);
  const stream = loaded.presentation.streams.find((s) => s.type === 'text')!;
  const level = loaded.levels.find((l) => l.streamName === stream.name)!;
  assert.equal(level.text?.subtype, stream.subtype, 'the level says what the Manifest says');
  return stream.subtype;
}

/** A folder with the clean ladder and the .ismt, and a .ism over them with `textstream` as its text entry. */
async function folder(t: { after: (fn: () => Promise<void>) => void }, textstream: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-subtype-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const f of [...clean, ismt]) await copyFile(f, join(dir, basename(f)));
  const media = clean.map((f) => `<${f.endsWith('.isma') ? 'audio' : 'video'} src="${basename(f)}"/>`).join('');
  await writeFile(join(dir, 'v.ism'), `<smil xmlns="http://www.w3.org/2001/SMIL20/Language"><body><switch>${media}${textstream}</switch></body></smil>`);
  return dir;
}

/** The client Manifest of the ladder and the .ismt, its text stream saying `subtype`. */
async function clientManifest(subtype: string): Promise<string> {
  const xml = writePresentationManifest(await loadPresentation([...clean, ismt]));
  assert.match(xml, /Type="text" Name="textstream_eng" Subtype="SUBT"/);
  return xml.replace('Subtype="SUBT"', `Subtype="${subtype}"`);
}

test('nothing says: SUBT; the .ism <textstream> Subtype param says CAPT, and DASH and HLS signal captions', async (t) => {
  assert.equal(await subtypeOf([...clean, ismt]), 'SUBT');
  const dir = await folder(t, '<textstream src="text_en.ismt" systemLanguage="eng"><param name="Subtype" value="CAPT"/></textstream>');
  assert.equal(await subtypeOf([join(dir, 'v.ism')]), 'CAPT');
  const out = join(dir, 'out');
  await packagePresentation({ inputs: [join(dir, 'v.ism')], outDir: out, formats: ['smooth', 'dash', 'hls'] });
  assert.match(await readFile(join(out, 'manifest.mpd'), 'utf8'), /<Role schemeIdUri="urn:mpeg:dash:role:2011" value="caption"\/>/);
  assert.match(await readFile(join(out, 'master.m3u8'), 'utf8'), /TYPE=SUBTITLES[^\n]*CHARACTERISTICS="public\.accessibility\.transcribes-spoken-dialog/);
});

test('the .ismc beside a .ism gives the Subtype the .ism does not; the .ism param wins over it', async (t) => {
  const dir = await folder(t, '<textstream src="text_en.ismt" systemLanguage="eng"><param name="trackName" value="textstream_eng"/></textstream>');
  await writeFile(join(dir, 'v.ismc'), await clientManifest('CAPT'));
  assert.equal(await subtypeOf([join(dir, 'v.ism')]), 'CAPT');
  const stated = await folder(t, '<textstream src="text_en.ismt" subtype="SUBT"/>');
  await writeFile(join(stated, 'v.ismc'), await clientManifest('CAPT'));
  assert.equal(await subtypeOf([join(stated, 'v.ism')]), 'SUBT');
});

test('the .ismc named after an input file (movie.ismc beside movie.ismt) gives its text track\'s Subtype', async (t) => {
  const dir = await folder(t, '');
  const inputs = [...clean.map((f) => join(dir, basename(f))), join(dir, 'text_en.ismt')];
  assert.equal(await subtypeOf(inputs), 'SUBT');
  await writeFile(join(dir, 'text_en.ismc'), await clientManifest('CAPT'));
  assert.equal(await subtypeOf(inputs), 'CAPT');
  // Another Subtype (not TTML captions or subtitles) is not taken.
  await writeFile(join(dir, 'text_en.ismc'), await clientManifest('CHAP'));
  assert.equal(await subtypeOf(inputs), 'SUBT');
});

test("the track's handler name or its kind box (DASH role scheme) saying captions gives CAPT; --text-subtype overrides everything", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-subtype-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const bytes = await readFile(ismt);
  // The fixture's handler is named 'SubtitleHandler'; a name of the same length keeps every offset.
  const named = Buffer.from(bytes);
  const at = named.indexOf('SubtitleHandler');
  assert.ok(at > 0);
  named.write('CaptionsHandler', at, 'latin1');
  await writeFile(join(dir, 'named.ismt'), named);
  assert.equal(await subtypeOf([...clean, join(dir, 'named.ismt')]), 'CAPT');

  // udta/kind ('urn:mpeg:dash:role:2011', 'caption') appended to the trak; moov and trak grow.
  const kind = box('kind', new Uint8Array(4), new TextEncoder().encode('urn:mpeg:dash:role:2011\0caption\0'));
  const udta = box('udta', kind);
  const moovAt = bytes.indexOf('moov') - 4;
  const trakAt = bytes.indexOf('trak') - 4;
  const trakEnd = trakAt + bytes.readUInt32BE(trakAt);
  const withKind = Buffer.concat([bytes.subarray(0, trakEnd), udta, bytes.subarray(trakEnd)]);
  withKind.writeUInt32BE(bytes.readUInt32BE(moovAt) + udta.length, moovAt);
  withKind.writeUInt32BE(bytes.readUInt32BE(trakAt) + udta.length, trakAt);
  await writeFile(join(dir, 'kind.ismt'), withKind);
  assert.equal(await subtypeOf([...clean, join(dir, 'kind.ismt')]), 'CAPT');
  assert.equal(await subtypeOf([...clean, join(dir, 'kind.ismt')], { textSubtype: 'SUBT' }), 'SUBT', '--text-subtype over the track');
  const ism = await folder(t, '<textstream src="text_en.ismt"><param name="Subtype" value="CAPT"/></textstream>');
  assert.equal(await subtypeOf([join(ism, 'v.ism')], { textSubtype: 'SUBT' }), 'SUBT', '--text-subtype over the .ism');
  assert.equal(await subtypeOf([...clean, ismt], { textSubtype: 'CAPT' }), 'CAPT');
});

test('serve takes the Subtype from the .ismc beside the .ism and serves one stream for the same track in two files, as package does', async (t) => {
  const dir = await folder(t, '<textstream src="text_en.ismt" systemLanguage="eng"/><textstream src="copy.ismt" systemLanguage="eng"/>');
  await copyFile(ismt, join(dir, 'copy.ismt'));
  await writeFile(join(dir, 'v.ismc'), await clientManifest('CAPT'));
  const origin = await startOrigin({ root: dir });
  t.after(() => origin.close());
  const served = await get(origin.handler, '/v.ism/Manifest');
  assert.equal(served.status, 200);
  const text = readManifest(new TextDecoder().decode(served.body)).streams.filter((s) => s.type === 'text');
  assert.deepEqual(text.map((s) => [s.name, s.subtype]), [['textstream_eng', 'CAPT']]);
  assert.equal(new TextDecoder().decode(served.body), writePresentationManifest(await loadPresentation([join(dir, 'v.ism')])), 'the Manifest package writes');
});
