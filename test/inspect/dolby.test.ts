// inspect of AC-3/E-AC-3: channels and rate from dac3/dec3 (ffmpeg's E-AC-3 5.1 entry says
// 2 channels), the Smooth FourCC, in text and JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resultOf } from '../cli/jsonEvents.js';
import { runBin } from '../cli/runBin.js';
import type { InspectReport } from '../../src/inspect/inspectInputs.js';

test('inspect --json and text: E-AC-3 5.1 is 6 channels at 48 kHz, FourCC EC-3; AC-3 stereo 2, AC-3', async () => {
  const r = await runBin(['inspect', 'test/fixtures/dolby/eac3.ism', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const report = resultOf<InspectReport>(r.stdout);
  const audio = report.sources.flatMap((s) => s.tracks).find((t) => t.kind === 'audio');
  assert.deepEqual([audio?.codec, audio?.channels, audio?.sampleRate], ['ec-3', 6, 48000]);
  const level = report.presentation?.streams.find((s) => s.type === 'audio')?.qualityLevels[0];
  assert.deepEqual([level?.fourCC, level?.channels, level?.audioTag], ['EC-3', 6, 65534]);

  const text = await runBin(['inspect', 'test/fixtures/dolby/ac3.mp4']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /track 2 {2}audio {2}ac-3 {2}2ch 48000 Hz/);
  assert.match(text.stdout, /AC-3 {2}96 kbit\/s \(96000\) 2ch 48000 Hz/);
});
