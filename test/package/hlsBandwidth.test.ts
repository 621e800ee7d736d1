// HLS bandwidths are those of the fragments as written (RFC 8216 4.3.4.2): a tfdt added to
// a moof that has none counts, and a source that has one already adds nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { indexFile } from '../../src/fragments/indexFile.js';
import { measureBitrates } from '../../src/formats/hls/segmentBitrates.js';
import { readMediaPlaylist, readMultivariantPlaylist } from '../../src/formats/hls/readPlaylists.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { fixtures } from '../e2e/helpers.js';

const sources = [
  // ffmpeg's ISMV: tfxd only, so every moof gains a 20-byte tfdt.
  { name: 'ffmpeg ISMV (no tfdt)', inputs: [join(fixtures, 'clean', 'clean.ism')], media: ['v120', 'v250', 'v400', 'audio'].map((f) => join(fixtures, 'clean', `${f}.${f === 'audio' ? 'isma' : 'ismv'}`)), growth: 20 },
  // GStreamer's ismlmux: a tfdt in every traf.
  { name: 'ismlmux (tfdt)', inputs: [join(fixtures, 'othertools', 'ismlmux.ismv')], media: [join(fixtures, 'othertools', 'ismlmux.ismv')], growth: undefined },
];

for (const s of sources) {
  test(`BANDWIDTH and AVERAGE-BANDWIDTH are the written segments' peak and average bit rates (${s.name})`, async (t) => {
    for (const file of s.media) {
      for (const track of (await indexFile(file)).tracks) assert.ok(track.fragments.every((f) => f.tfdtGrowth === s.growth), `${file} track ${track.trackId}: each moof gains ${s.growth ?? 0} bytes`);
    }
    const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-hls-bandwidth-'));
    t.after(() => rm(tmp, { recursive: true, force: true }));
    const out = join(tmp, 'out.ism');
    await packagePresentation({ inputs: s.inputs, outDir: out, formats: ['hls'] });
    const measured = async (uri: string): Promise<{ peak: number; average: number }> => {
      const playlist = readMediaPlaylist(await readFile(join(out, uri), 'utf8'));
      const sizes = await Promise.all(playlist.segments.map(async (seg) => (await stat(join(out, seg.uri))).size));
      return measureBitrates(sizes, playlist.segments.map((seg) => seg.duration), playlist.targetDuration!);
    };
    const master = readMultivariantPlaylist(await readFile(join(out, 'master.m3u8'), 'utf8'));
    assert.ok(master.variants.length > 1);
    for (const v of master.variants) {
      const rates = [await measured(v.uri)];
      // A variant's rates include its heaviest audio rendition's (RFC 8216 4.3.4.2).
      const audio = await Promise.all(master.renditions.filter((r) => r.type === 'AUDIO' && r.groupId === v.audio).map((r) => measured(r.uri!)));
      if (audio.length > 0) rates.push({ peak: Math.max(...audio.map((a) => a.peak)), average: Math.max(...audio.map((a) => a.average)) });
      assert.equal(v.bandwidth, rates.reduce((sum, r) => sum + r.peak, 0), `${v.uri} BANDWIDTH`);
      assert.equal(v.averageBandwidth, rates.reduce((sum, r) => sum + r.average, 0), `${v.uri} AVERAGE-BANDWIDTH`);
    }
  });
}
