// Differential test: Shaka Packager (npm `shaka-packager`) writes TTML-in-MP4 (DASH stpp)
// from the same WebVTT file; its segments, read by smoothpub's fragment reader, must
// hold the same cues at the same times as smoothpub's own windows and documents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { childBoxes } from '../../src/bmff/box.js';
import { Cursor } from '../../src/bmff/cursor.js';
import { readMoof } from '../../src/fragments/readMoof.js';
import { readMoov } from '../../src/fragments/readMoov.js';
import type { Cue } from '../../src/text/model.js';
import { decodeEntities } from '../../src/text/readWebVttCueText.js';
import { mergeCues } from '../../src/text/mergeCues.js';
import { readSubtitles } from '../../src/text/readSubtitles.js';
import { readTtmlFragment } from '../../src/text/readTtmlSample.js';
import { textWindows } from '../../src/text/textWindows.js';
import { ttmlFragment } from '../../src/text/ttmlFragment.js';
import { writeTtml } from '../../src/text/writeTtml.js';
import { requireShakaPackager } from '../harness/ci.js';
import { FIXTURES, fixture, timesAndText, utf8 } from './helpers.js';

/**
 * Shaka Packager 3.4.2 copies WebVTT cue text into TTML as it is, tags and entities
 * escaped (`&lt;b&gt;`), so its documents show the markup as text; compare plain text.
 */
function shakaText(cues: Cue[]): [number, number, string][] {
  return timesAndText(cues).map(([s, e, t]) => [s, e, decodeEntities(t.replace(/<[^>]*>/g, ''))]);
}

test('Shaka Packager and smoothpub put the same cues, at the same times, in each 2 s TTML segment', async (t) => {
  const packager = requireShakaPackager(t);
  if (packager === undefined) return;
  const dir = mkdtempSync(join(tmpdir(), 'smoothpub-text-shaka-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const input = resolve(FIXTURES, 'styled.vtt');
  await promisify(execFile)(packager, [`in=${input},stream=text,format=ttml+mp4,init_segment=${dir}/init.mp4,segment_template=${dir}/$Number$.m4s,language=en`, '--segment_duration', '2', '--mpd_output', `${dir}/manifest.mpd`], { timeout: 60_000 });

  const moov = [...childBoxes(new Cursor(readFileSync(join(dir, 'init.mp4')), 0, 'file'), 'file')].find((b) => b.type === 'moov');
  const track = readMoov(moov!.payload).tracks[0]!;
  assert.equal(track.sampleEntry?.format, 'stpp');
  const timescale = track.timescale;
  const segments = readdirSync(dir).filter((f) => /^\d+\.m4s$/.test(f)).sort((a, b) => parseInt(a) - parseInt(b));
  assert.ok(segments.length >= 4, `Shaka wrote ${segments.length} segments`);

  const source = readSubtitles(fixture('styled.vtt'), 'styled.vtt');
  let shakaAll: Cue[] = [];
  for (const name of segments) {
    const bytes = readFileSync(join(dir, name));
    const moof = [...childBoxes(new Cursor(bytes, 0, 'file'), 'file')].find((b) => b.type === 'moof')!;
    const info = readMoof(moof.payload, () => 0);
    const start = Number((info.tfdt! * 1000n) / BigInt(timescale));
    const end = Number(((info.tfdt! + info.duration) * 1000n) / BigInt(timescale));
    const shaka = readTtmlFragment(bytes, name, { timescale, timeBase: 'track', timeFrom: 'tfdt' });
    shakaAll = shakaAll.concat(shaka);
    // smoothpub's document for the same window, as a DASH fragment, read the same way
    const [window] = textWindows(source, [{ start, end }]);
    const ours = ttmlFragment(utf8(writeTtml(window!, { language: 'en', timeBase: 'track' })), { trackId: 1, sequenceNumber: 1, time: info.tfdt!, duration: info.duration, timescale, tfxd: false, tfdt: true });
    assert.ok(shaka.length > 0 || window!.cues.length === 0);
    assert.deepEqual(timesAndText(readTtmlFragment(ours, 'ours', { timescale, timeBase: 'track' })), shakaText(shaka), `segment ${name} [${start}, ${end})`);
  }
  assert.deepEqual(shakaText(mergeCues(shakaAll)), timesAndText(source));
});
