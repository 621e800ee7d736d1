// smoothpub's MPD against Shaka Packager's from the same files: the reader must read
// Shaka's (SegmentTemplate with $Number$, SegmentTimeline), and both must say the same
// codecs, sizes, rates, languages and timeline length.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMpd, type MpdAdaptationSet, type MpdRepresentation } from '../../../src/formats/dash/readMpd.js';
import { writeMpd } from '../../../src/formats/dash/writeMpd.js';
import { fixtures } from '../../e2e/helpers.js';
import { requireShakaPackager } from '../../harness/ci.js';
import { runShakaPackager, type ShakaStream } from '../../harness/shakaPackager.js';
import { loadFormatFixture } from '../formatFixture.js';

const clean = (name: string): string => join(fixtures, 'clean', name);

/** A rate such as `24` or `10000000/416667` as a number. */
const rate = (text: string | undefined): number => {
  const [num, den = '1'] = (text ?? 'NaN').split('/');
  return Number(num) / Number(den);
};

const seconds = (r: MpdRepresentation): number => r.segments.reduce((s, x) => s + Number(x.duration), 0) / r.timescale;

function sameRepresentation(set: MpdAdaptationSet, ours: MpdRepresentation): MpdRepresentation {
  const found = set.representations.find((r) => set.contentType !== 'video' || (r.height ?? 0) === ours.height);
  assert.ok(found, `Shaka Packager's ${set.contentType} set has a Representation for ours ${ours.id}`);
  return found;
}

test("Shaka Packager's MPD of the clean ladder reads, and agrees with ours: codecs, sizes, rates, segment count, length within a frame", async (t) => {
  const packager = requireShakaPackager(t);
  if (packager === undefined) return;
  const out = await mkdtemp(join(tmpdir(), 'smoothpub-shaka-'));
  try {
    const streams: ShakaStream[] = [
      ...['v400', 'v250', 'v120'].map((l): ShakaStream => ({ input: clean(`${l}.ismv`), stream: 'video', folder: l })),
      { input: clean('audio.isma'), stream: 'audio', folder: 'audio' },
    ];
    const shaka = readMpd(await readFile((await runShakaPackager(packager, streams, out)).mpd, 'utf8'));
    const fixture = await loadFormatFixture(streams.map((s) => s.input));
    const ours = readMpd(writeMpd(fixture.format));
    assert.equal(shaka.type, 'static');
    assert.ok(Math.abs(shaka.duration! - ours.duration!) < 1024 / 48000, `durations ${shaka.duration} and ${ours.duration}`);
    const theirSets = shaka.periods[0]!.adaptationSets;
    for (const set of ours.periods[0]!.adaptationSets) {
      const theirs = theirSets.find((s) => s.contentType === set.contentType);
      assert.ok(theirs, `Shaka Packager writes a ${set.contentType} AdaptationSet`);
      assert.equal(theirs.representations.length, set.representations.length);
      assert.equal(theirs.par, set.par, `${set.contentType}: par`);
      const frame = set.contentType === 'video' ? 1 / 24 : 1024 / 48000;
      for (const rep of set.representations) {
        const other = sameRepresentation(theirs, rep);
        const where = `${set.contentType} ${rep.id}`;
        assert.equal(other.codecs, rep.codecs, `${where}: codecs`);
        assert.ok(other.bandwidth > 0 && rep.bandwidth > 0, `${where}: bandwidth ${other.bandwidth} and ${rep.bandwidth}`);
        assert.ok(Math.abs(seconds(other) - seconds(rep)) < frame, `${where}: ${seconds(other)} s and ${seconds(rep)} s`);
        // Shaka cuts on its own --segment_duration grid, smoothpub at the source's fragments:
        // video alike; audio (fragments of 2.0053 s) gets one more, a single AAC frame from
        // 8.0 s to the end. Every segment of Shaka's starts within a frame of one of ours.
        if (set.contentType === 'video') assert.equal(other.segments.length, rep.segments.length, `${where}: segments`);
        assert.ok(Math.abs(other.segments.length - rep.segments.length) <= 1, `${where}: ${other.segments.length} and ${rep.segments.length} segments`);
        const bounds = [...rep.segments.map((x) => Number(x.time) / rep.timescale), seconds(rep)];
        for (const x of other.segments) {
          const start = Number(x.time) / other.timescale;
          assert.ok(bounds.some((b) => Math.abs(b - start) < frame), `${where}: Shaka's segment at ${start} s is more than a frame from every boundary of ours (${bounds.join(', ')})`);
        }
        if (set.contentType === 'video') {
          assert.deepEqual([other.width, other.sar], [rep.width, rep.sar], where);
          // Shaka states the rate as timescale / frame duration (10000000/416667); ours snaps to 24.
          assert.ok(Math.abs(rate(other.frameRate ?? theirs.representations[0]!.frameRate) - rate(rep.frameRate)) < 0.01, `${where}: ${other.frameRate} and ${rep.frameRate}`);
        } else {
          assert.deepEqual([other.audioSamplingRate, other.audioChannels], [rep.audioSamplingRate, rep.audioChannels], where);
        }
        // The reader resolved Shaka's $Number$ template to the files it wrote.
        for (const url of [other.initUrl!, ...other.segments.map((s) => s.url)]) assert.ok(existsSync(join(out, url)), `${where}: ${url} exists`);
      }
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('Shaka Packager and smoothpub state the two languages alike (lang en and fr)', async (t) => {
  const packager = requireShakaPackager(t);
  if (packager === undefined) return;
  const out = await mkdtemp(join(tmpdir(), 'smoothpub-shaka-'));
  try {
    const file = join(fixtures, 'multitrack.ismv');
    // Streams 2 and 3 of the file: the eng and fra AAC tracks.
    const streams = [2, 3].map((n): ShakaStream => ({ input: file, stream: n, folder: `audio${n}` }));
    const shaka = readMpd(await readFile((await runShakaPackager(packager, streams, out, { template: '$Time$' })).mpd, 'utf8'));
    const ours = readMpd(writeMpd((await loadFormatFixture([file])).format));
    const langs = (sets: MpdAdaptationSet[]) => sets.filter((s) => s.contentType === 'audio').map((s) => [s.lang, s.representations[0]!.codecs]);
    assert.deepEqual(langs(ours.periods[0]!.adaptationSets), langs(shaka.periods[0]!.adaptationSets));
    // $Time$ segments: named by their S@t.
    const first = shaka.periods[0]!.adaptationSets[0]!.representations[0]!;
    assert.deepEqual(first.segments.slice(0, 2).map((s) => s.url), first.segments.slice(0, 2).map((s) => `audio2/${s.time}.m4s`));
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
