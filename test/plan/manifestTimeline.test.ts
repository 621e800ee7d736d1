import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { indexFile } from '../../src/fragments/indexFile.js';
import type { SampleTable, TrackIndex } from '../../src/fragments/types.js';
import { buildPresentation, writePresentationManifest } from '../../src/plan/buildPresentation.js';
import { readManifest } from '../../src/smooth/readManifest.js';

/**
 * A 2-hour ladder as encoders hand it out (the `encode` command's settings): 29.97 fps
 * video with keyframes forced every 2 s (`-force_key_frames expr:gte(t,n_forced*2)`), AAC
 * at 48 kHz with 1024 samples of priming. Sample tables only: the cut, timing and
 * Manifest are the real ones; the sample entries are a fixture's.
 */
async function twoHourLadder(): Promise<TrackIndex[]> {
  const ix = await indexFile(resolve('test/fixtures/progressive/v100.mp4'));
  const video = ix.tracks.find((t) => t.kind === 'video')!;
  const audio = ix.tracks.find((t) => t.kind === 'audio')!;
  const frames = Math.floor((7200 * 30000) / 1001);
  const sync = new Uint8Array(frames);
  for (let n = 0, forced = 0; n < frames; n++) {
    // gte(t, n_forced * 2) with t = n * 1001 / 30000
    if (n * 1001 >= forced * 60000) {
      sync[n] = 1;
      forced++;
    }
  }
  const videoTable: SampleTable = {
    count: frames,
    offsets: new Float64Array(frames),
    sizes: new Uint32Array(frames),
    times: Float64Array.from({ length: frames + 1 }, (_, i) => i * 1001),
    sync,
    mediaTime: 0,
    delay: 0,
  };
  const aacFrames = Math.ceil((7200 * 48000) / 1024) + 1;
  const audioTable: SampleTable = {
    count: aacFrames,
    offsets: new Float64Array(aacFrames),
    sizes: new Uint32Array(aacFrames),
    times: Float64Array.from({ length: aacFrames + 1 }, (_, i) => i * 1024),
    mediaTime: 1024,
    delay: 0,
  };
  const levels = [300, 200, 100].map((k): TrackIndex => ({ ...video, file: `v${k}.mp4`, timescale: 30000, fragments: [], samples: videoTable, measuredBitrate: k * 1000 }));
  return [...levels, { ...audio, timescale: 48000, fragments: [], samples: audioTable }];
}

test('a 2-hour 29.97 fps ladder cut at 2 s: the compact Manifest and what it is made of', async (t) => {
  const tracks = await twoHourLadder();
  const built = buildPresentation(tracks.map((track) => ({ track })));
  const compact = writePresentationManifest(built);
  const expanded = writePresentationManifest({ ...built, manifestTimeline: 'expanded' });
  assert.equal(built.manifestTimeline, 'compact', 'compact is the default');
  const size = (xml: string): number => Buffer.byteLength(xml);
  const lines = (xml: string, stream: string): number => (new RegExp(`<StreamIndex Type="${stream}"[^]*?</StreamIndex>`).exec(xml)?.[0].match(/<c /g) ?? []).length;
  const video = built.presentation.streams.find((s) => s.type === 'video')!;
  const audio = built.presentation.streams.find((s) => s.type === 'audio')!;
  const durations = (chunks: { d: bigint }[]): string[] => [...new Set(chunks.map((c) => c.d))].sort().map(String);
  t.diagnostic(`video: ${video.chunks.length} fragments of ${durations(video.chunks).join(' / ')} (100 ns): ${lines(expanded, 'video')} <c> expanded, ${lines(compact, 'video')} compact`);
  t.diagnostic(`audio: ${audio.chunks.length} fragments, ${durations(audio.chunks).length} distinct durations: ${lines(expanded, 'audio')} <c> expanded, ${lines(compact, 'audio')} compact`);
  t.diagnostic(`Manifest: ${size(expanded)} bytes expanded, ${size(compact)} bytes compact (${((100 * size(compact)) / size(expanded)).toFixed(0)} %)`);

  // 60 frames of 29.97 fps are exactly 20020000 ticks, whatever the rounding: runs of them
  // are broken only by the 59-frame fragment the forced keyframes drift into every ~17.
  assert.ok(video.chunks.length > 3500);
  assert.deepEqual(durations(video.chunks.slice(1, -1)), ['19686333', '19686334', '20020000']);
  assert.ok(lines(compact, 'video') < video.chunks.length / 7, `video: ${lines(compact, 'video')} <c> for ${video.chunks.length} fragments`);
  assert.equal(lines(expanded, 'video'), video.chunks.length);
  assert.ok(size(compact) < size(expanded) * 0.6, `${size(compact)} vs ${size(expanded)} bytes`);
  // Both read back as the same timeline, and t is only where a client could not derive it.
  assert.deepEqual(readManifest(compact), readManifest(expanded));
  assert.deepEqual(readManifest(compact).streams.map((s) => s.chunks), built.presentation.streams.map((s) => s.chunks));
  assert.equal((compact.match(/<c t=/g) ?? []).length, 2, 't on each stream\'s first chunk only');
});
