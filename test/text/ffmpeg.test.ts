// Differential test: ffmpeg (its WebVTT demuxer and SRT muxer, a reader independent of
// smoothpub's) reads the WebVTT smoothpub writes to the same cues: times, text, and bold,
// italic and underline (ffmpeg's SRT output keeps those three).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Cue } from '../../src/text/model.js';
import { readSubtitles } from '../../src/text/readSubtitles.js';
import { textWindows } from '../../src/text/textWindows.js';
import { writeWebVtt } from '../../src/text/writeWebVtt.js';
import { requireTools } from '../harness/ci.js';
import { fixture, timesAndText } from './helpers.js';

/** Runs without colors: ffmpeg's SRT writer drops WebVTT color classes. */
function styleFlags(cues: Cue[]): unknown[] {
  return cues.map((c) => {
    const out: (string | [string, boolean, boolean, boolean])[] = [];
    for (const r of c.runs) {
      const last = out[out.length - 1];
      if ('lineBreak' in r) out.push('br');
      else if (Array.isArray(last) && last[1] === (r.bold === true) && last[2] === (r.italic === true) && last[3] === (r.underline === true)) last[0] += r.text;
      else out.push([r.text, r.bold === true, r.italic === true, r.underline === true]);
    }
    return out;
  });
}

async function ffmpegToSrt(vtt: string, dir: string, name: string): Promise<Cue[]> {
  const input = join(dir, `${name}.vtt`);
  const output = join(dir, `${name}.srt`);
  writeFileSync(input, vtt);
  await promisify(execFile)('ffmpeg', ['-v', 'error', '-y', '-i', input, '-f', 'srt', output], { timeout: 60_000 });
  return readSubtitles(readFileSync(output), output);
}

test('ffmpeg reads smoothpub\'s WebVTT (a whole file and an HLS segment) to the same cues', async (t) => {
  if (!requireTools(t, 'ffmpeg')) return;
  const dir = mkdtempSync(join(tmpdir(), 'smoothpub-text-ffmpeg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of ['styled.vtt', 'styled.srt', 'styled.ttml']) {
    const source = readSubtitles(fixture(name), name);
    const back = await ffmpegToSrt(writeWebVtt(source), dir, name.replace('.', '-'));
    assert.deepEqual(timesAndText(back), timesAndText(source), name);
    assert.deepEqual(styleFlags(back), styleFlags(source), name);
  }
  // An HLS segment: the X-TIMESTAMP-MAP header does not stop ffmpeg, which reads cue times as written.
  const source = readSubtitles(fixture('styled.vtt'), 'styled.vtt');
  const [, window] = textWindows(source, [{ start: 0, end: 2000 }, { start: 2000, end: 4000 }]);
  const segment = await ffmpegToSrt(writeWebVtt(window!, { timestampMap: true }), dir, 'segment');
  assert.deepEqual(timesAndText(segment), timesAndText(window!.cues));
});
