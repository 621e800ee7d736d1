// Text streams made from subtitle files (`--text`), as real players show them: dash.js in
// headless Chromium (the Smooth text StreamIndex, TTML timed from each fragment's start; the
// DASH stpp AdaptationSet, TTML on the track's timeline) and hls.js (HLS WebVTT segments),
// every cue read back from the video element's text track at its time, with its text and
// its bold and italic; and ffmpeg reading the DASH and HLS text tracks. The same for a TTML
// text track of an ISMV source passed through (test/fixtures/textpass/text_en.ismt).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { startStaticServer } from '../../src/play/staticServer.js';
import { readSubtitles } from '../../src/text/readSubtitles.js';
import type { Cue, TextRun } from '../../src/text/model.js';
import { playInChromium } from './chromiumPlayer.js';
import { launchChromium, type PageTextTrack, type PlayerStats } from './dashjsPlayer.js';
import { failedRequests, fixtureSets, fixtures, requireTools } from './helpers.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const english = join(fixtures, 'text', 'captions.en.vtt');
const french = join(fixtures, 'text', 'subtitles.fr.srt');

/** A cue as a player shows it: seconds, the text, and which words are bold or italic. */
interface ShownCue {
  start: number;
  end: number;
  text: string;
  bold: string[];
  italic: string[];
}

function expectedCues(cues: readonly Cue[]): ShownCue[] {
  return cues.map((c) => ({ start: c.start / 1000, end: c.end / 1000, text: plain(c.runs), bold: styled(c.runs, 'bold'), italic: styled(c.runs, 'italic') }));
}

function plain(runs: readonly TextRun[]): string {
  return runs.map((r) => ('lineBreak' in r ? '\n' : r.text)).join('').replace(/\s+/g, ' ').trim();
}

function styled(runs: readonly TextRun[], style: 'bold' | 'italic'): string[] {
  return runs.filter((r): r is Extract<TextRun, { text: string }> => 'text' in r && r[style] === true).map((r) => r.text.trim());
}

/**
 * The cues of the player's text track, with a cue cut at a fragment boundary (each
 * fragment holds what shows during its time) joined again: the same text ending where the
 * next begins is one cue on screen.
 */
function shownCues(track: PageTextTrack): ShownCue[] {
  const out: ShownCue[] = [];
  const sorted = [...track.cues].sort((a, b) => a.startTime - b.startTime);
  for (const c of sorted) {
    const html = c.html ?? '';
    const text = (c.text !== null && c.text !== '' ? stripTags(c.text) : stripTags(html.replace(/<br\b[^>]*>/gi, ' '))).replace(/\s+/g, ' ').trim();
    const cue = { start: round(c.startTime), end: round(c.endTime), text, bold: styledIn(html, 'bold'), italic: styledIn(html, 'italic') };
    const last = out[out.length - 1];
    if (last && last.text === cue.text && Math.abs(last.end - cue.start) < 0.002) last.end = cue.end;
    else if (!(last && last.text === cue.text && last.start === cue.start && last.end === cue.end)) out.push(cue);
  }
  return out;
}

/** `00:00:01.500`, as the TTML writer states times. */
function clock(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  return `${String(h).padStart(2, '0')}:${short(ms - h * 3_600_000)}`;
}

/** `00:01.500`, as ffmpeg's WebVTT muxer writes times under an hour. */
function short(ms: number): string {
  const m = Math.floor(ms / 60_000);
  const sec = (ms - m * 60_000) / 1000;
  return `${String(m).padStart(2, '0')}:${sec.toFixed(3).padStart(6, '0')}`;
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

function stripTags(html: string): string {
  return html.replace(/<[^>]*>/g, '').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&nbsp;/g, ' ');
}

/**
 * Words inside `<b>`/`<i>` (WebVTT cues as getCueAsHTML gives them) or inside a span whose
 * style says bold/italic (dash.js's TTML rendering: `<span style="..."><span>text</span></span>`).
 */
function styledIn(html: string, style: 'bold' | 'italic'): string[] {
  const tag = style === 'bold' ? 'b' : 'i';
  const css = style === 'bold' ? /font-weight:\s*bold/i : /font-style:\s*italic/i;
  const out: string[] = [];
  for (const m of html.matchAll(new RegExp(`<${tag}(?:\\s[^>]*)?>(.*?)</${tag}>`, 'gis'))) out.push(stripTags(m[1]!).trim());
  for (const m of html.matchAll(/<span style="([^"]*)">((?:<span>[^<]*<\/span>|[^<])*)<\/span>/gi)) {
    if (css.test(m[1]!)) out.push(stripTags(m[2]!).trim());
  }
  return out.filter((s) => s !== '');
}

/**
 * dash.js's TTML cues (Smooth, DASH) carry no text: it draws each into an element of the
 * captions element, named by the cue's id, when it shows. Their times come from the text
 * track, their text and styling from what was drawn for each, found by that id: on a
 * loaded machine the page's scripts may hear of a drawing seconds of media time late.
 */
function drawnCues(track: PageTextTrack, captions: PlayerStats['captions']): ShownCue[] {
  const drawn = (id: string | null): string => captions.find((d) => id !== null && d.id === id && d.html !== '')?.html ?? '';
  return shownCues({ ...track, cues: track.cues.map((c) => ({ ...c, text: null, html: drawn(c.id) })) });
}

test('dash.js and hls.js show every cue of a --text subtitle file at its time with its text, bold and italic (Smooth, DASH, HLS); ffmpeg reads the DASH and HLS text', { timeout: 300_000 }, async (t) => {
  if (!requireTools(t, 'chromium', 'ffmpeg')) return;
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-e2e-text-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const dir = join(tmp, 'video.ism');
  await packagePresentation({
    inputs: fixtureSets.clean.inputs,
    outDir: dir,
    formats: ['smooth', 'dash', 'hls'],
    texts: [
      { file: english, language: 'eng', label: 'English' },
      { file: french, language: 'fra' },
    ],
  });
  // dash.js's Smooth support, switched to a second text language, fills that track with the
  // first one's cues (dash.js 5.2): its French is played from a presentation of its own.
  const frenchDir = join(tmp, 'french', 'video.ism');
  await packagePresentation({ inputs: fixtureSets.clean.inputs, outDir: frenchDir, formats: ['smooth'], texts: [{ file: french, language: 'fra' }] });
  const server = await startStaticServer({ root: dir, host: '127.0.0.1', port: 0 });
  t.after(() => server.close());
  const frenchServer = await startStaticServer({ root: frenchDir, host: '127.0.0.1', port: 0 });
  t.after(() => frenchServer.close());
  const browser = await launchChromium();
  t.after(() => browser.close());

  // dash.js's Smooth support takes the Smooth Language as it is (eng, as IIS wrote it).
  const sources = [
    { lang: 'en', smooth: 'eng', file: english },
    { lang: 'fr', smooth: 'fra', file: french },
  ];
  for (const format of ['smooth', 'dash', 'hls'] as const) {
    const doc = format === 'smooth' ? 'Manifest' : format === 'dash' ? 'manifest.mpd' : 'master.m3u8';
    for (const { lang, smooth, file } of sources) {
      await t.test(`${format}: the ${lang} text track`, async () => {
        const before = { server: server.requests.length, french: frenchServer.requests.length };
        const at = format === 'smooth' && lang === 'fr' ? frenchServer : server;
        const r = await playInChromium(browser, { pageUrl: at.url, manifestUrl: `/video.ism/${doc}`, format, text: format === 'smooth' ? smooth : lang, durationSeconds: 8 });
        assert.deepEqual(r.errors, [], `no player errors (console: ${r.consoleErrors.join(' | ')})`);
        assert.ok(r.finished, `played to the end (${r.currentTime} of ${r.duration} s)`);
        const tracks = r.end.textTracks;
        const track = tracks.find((tt) => tt.language.startsWith(lang) && tt.cues.length > 0);
        assert.ok(track, `a ${lang} text track with cues: ${JSON.stringify(tracks.map((tt) => ({ ...tt, cues: tt.cues.length })))}`);
        const expected = expectedCues(readSubtitles(await readFile(file), file));
        const shown = format === 'hls' ? shownCues(track) : drawnCues(track, r.end.captions);
        assert.deepEqual(shown, expected, `every cue at its time, with its text and styling (cues: ${JSON.stringify(track.cues)}; drawn: ${JSON.stringify(r.end.captions.map((c) => ({ time: c.time, id: c.id, text: stripTags(c.html) })))})`);
        assert.deepEqual(failedRequests([...server.requests.slice(before.server), ...frenchServer.requests.slice(before.french)]), [], 'every request answered 200/206');
      });
    }
  }

  const ffmpeg = (args: string[]): Promise<unknown> => promisify(execFile)('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args], { timeout: 60_000 });
  const expected = readSubtitles(await readFile(english), english);
  await t.test('ffmpeg reads the DASH English text track (stpp): every cue in its TTML on the track\'s timeline', async () => {
    // ffmpeg 5.1 has no TTML decoder: its DASH demuxer gives the stpp track as a data stream.
    const out = join(tmp, 'dash.ttml');
    await ffmpeg(['-i', `${server.url}video.ism/manifest.mpd`, '-map', '0:d:0', '-c', 'copy', '-f', 'data', '-y', out]);
    const ttml = await readFile(out, 'utf8');
    for (const cue of expected) {
      assert.ok(ttml.includes(`begin="${clock(cue.start)}"`) && ttml.includes(`end="${clock(cue.end)}"`), `a <p> from ${clock(cue.start)} to ${clock(cue.end)}: ${ttml}`);
      for (const run of cue.runs) if ('text' in run) assert.ok(ttml.includes(run.text.trim()), `'${run.text}' in the TTML`);
    }
  });
  await t.test('ffmpeg reads the HLS English subtitle playlist (WebVTT): every cue at its time', async () => {
    // ffmpeg 5.1's HLS demuxer leaves SUBTITLES renditions out of a multivariant playlist
    // ("Can't support the subtitle"), so it reads the subtitle media playlist itself; its
    // segment names have no extension (-extension_picky 0).
    const master = await readFile(join(dir, 'master.m3u8'), 'utf8');
    const playlist = /TYPE=SUBTITLES[^\n]*LANGUAGE="en"[^\n]*URI="([^"]+)"/.exec(master)?.[1];
    assert.ok(playlist, `an English SUBTITLES rendition: ${master}`);
    const out = join(tmp, 'hls.vtt');
    await ffmpeg(['-extension_picky', '0', '-i', `${server.url}video.ism/${playlist}`, '-c:s', 'webvtt', '-f', 'webvtt', '-y', out]);
    const vtt = await readFile(out, 'utf8');
    for (const cue of expected) {
      assert.ok(vtt.includes(`${short(cue.start)} -->`) && vtt.includes(`--> ${short(cue.end)}`), `a cue from ${short(cue.start)} to ${short(cue.end)}: ${vtt}`);
      for (const run of cue.runs) if ('text' in run) assert.ok(vtt.includes(run.text.trim()), `'${run.text}' in the WebVTT`);
    }
  });
});

test('dash.js and hls.js show every cue of an ISMV TTML text track passed through (Smooth fragments as the source has them, DASH and HLS converted)', { timeout: 300_000 }, async (t) => {
  if (!requireTools(t, 'chromium')) return;
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-e2e-textpass-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const dir = join(tmp, 'video.ism');
  // text_en.ismt is captions.en.vtt as an IIS-style text track (test/harness/textTrackFixture.ts).
  await packagePresentation({ inputs: [...fixtureSets.clean.inputs, join(fixtures, 'textpass', 'text_en.ismt')], outDir: dir, formats: ['smooth', 'dash', 'hls'] });
  const server = await startStaticServer({ root: dir, host: '127.0.0.1', port: 0 });
  t.after(() => server.close());
  const browser = await launchChromium();
  t.after(() => browser.close());
  const expected = expectedCues(readSubtitles(await readFile(english), english));
  for (const format of ['smooth', 'dash', 'hls'] as const) {
    await t.test(`${format}: the en text track`, async () => {
      const before = server.requests.length;
      const doc = format === 'smooth' ? 'Manifest' : format === 'dash' ? 'manifest.mpd' : 'master.m3u8';
      const r = await playInChromium(browser, { pageUrl: server.url, manifestUrl: `/video.ism/${doc}`, format, text: format === 'smooth' ? 'eng' : 'en', durationSeconds: 8 });
      assert.deepEqual(r.errors, [], `no player errors (console: ${r.consoleErrors.join(' | ')})`);
      assert.ok(r.finished, `played to the end (${r.currentTime} of ${r.duration} s)`);
      const track = r.end.textTracks.find((tt) => tt.language.startsWith('en') && tt.cues.length > 0);
      assert.ok(track, `an en text track with cues: ${JSON.stringify(r.end.textTracks.map((tt) => ({ ...tt, cues: tt.cues.length })))}`);
      const shown = format === 'hls' ? shownCues(track) : drawnCues(track, r.end.captions);
      assert.deepEqual(shown, expected, `every cue at its time, with its text and styling (cues: ${JSON.stringify(track.cues)})`);
      assert.deepEqual(failedRequests(server.requests.slice(before)), [], 'every request answered 200/206');
    });
  }
});

test('dash.js and hls.js show every cue of a tx3g track of a plain MP4 (ffmpeg mov_text), converted, at its time with its text and styling', { timeout: 300_000 }, async (t) => {
  if (!requireTools(t, 'chromium')) return;
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-e2e-tx3g-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const dir = join(tmp, 'video.ism');
  // Track 4 of movtext.mp4 is subtitles.fr.srt written by ffmpeg -c:s mov_text (scripts/make-fixtures.sh, tx3g).
  await packagePresentation({ inputs: [join(fixtures, 'tx3g', 'movtext.mp4')], outDir: dir, formats: ['smooth', 'dash', 'hls'] });
  // dash.js's Smooth support fills whichever text track it picks with the first text stream's
  // cues (see the --text test): its Smooth run gets the French track alone, named by a .ism.
  await copyFile(join(fixtures, 'tx3g', 'movtext.mp4'), join(tmp, 'movtext.mp4'));
  const param = (id: number): string => `<param name="trackID" value="${id}"/>`;
  await writeFile(join(tmp, 'fr.ism'), `<smil xmlns="http://www.w3.org/2001/SMIL20/Language"><body><switch><video src="movtext.mp4">${param(1)}</video><audio src="movtext.mp4">${param(2)}</audio><textstream src="movtext.mp4">${param(4)}</textstream></switch></body></smil>`);
  await packagePresentation({ inputs: [join(tmp, 'fr.ism')], outDir: join(dir, 'fr.ism'), formats: ['smooth'] });
  const server = await startStaticServer({ root: dir, host: '127.0.0.1', port: 0 });
  t.after(() => server.close());
  const browser = await launchChromium();
  t.after(() => browser.close());
  const expected = expectedCues(readSubtitles(await readFile(french), french));
  for (const format of ['smooth', 'dash', 'hls'] as const) {
    await t.test(`${format}: the fr text track`, async () => {
      const before = server.requests.length;
      const doc = format === 'dash' ? 'manifest.mpd' : 'master.m3u8';
      const r = await playInChromium(browser, { pageUrl: server.url, manifestUrl: format === 'smooth' ? '/video.ism/fr.ism/Manifest' : `/video.ism/${doc}`, format, text: format === 'smooth' ? 'fra' : 'fr', durationSeconds: 8 });
      assert.deepEqual(r.errors, [], `no player errors (console: ${r.consoleErrors.join(' | ')})`);
      assert.ok(r.finished, `played to the end (${r.currentTime} of ${r.duration} s)`);
      const track = r.end.textTracks.find((tt) => tt.language.startsWith('fr') && tt.cues.length > 0);
      assert.ok(track, `a fr text track with cues: ${JSON.stringify(r.end.textTracks.map((tt) => ({ ...tt, cues: tt.cues.length })))}`);
      const shown = format === 'hls' ? shownCues(track) : drawnCues(track, r.end.captions);
      assert.deepEqual(shown, expected, `every cue at its time, with its text and styling (cues: ${JSON.stringify(track.cues)})`);
      assert.deepEqual(failedRequests(server.requests.slice(before)), [], 'every request answered 200/206');
    });
  }
});
