// Shaka Packager (npm devDependency `shaka-packager`, its binary inside the package) as a
// second HLS writer: its playlists from the same sources go through our reader and rules,
// and its bandwidths, measured from its own segments, are compared with ours.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHlsRules } from '../../../src/formats/hls/checkHlsRules.js';
import type { HlsMediaPlaylist, HlsMultivariantPlaylist } from '../../../src/formats/hls/playlistModel.js';
import { readMediaPlaylist, readMultivariantPlaylist } from '../../../src/formats/hls/readPlaylists.js';
import { writeHls } from '../../../src/formats/hls/writePlaylists.js';
import { fixtureSets, fixtures, repoRoot, run } from '../../e2e/helpers.js';
import { fixturePresentation } from './fixturePresentation.js';

const PACKAGER = join(repoRoot, 'node_modules', 'shaka-packager', 'bin', `packager-${process.platform === 'darwin' ? 'osx' : process.platform === 'win32' ? 'win' : process.platform}-${process.arch}${process.platform === 'win32' ? '.exe' : ''}`);

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'smoothpub-shaka-hls-'));
});
after(() => rm(work, { recursive: true, force: true }));

interface ShakaInput {
  file: string;
  /** Shaka's stream selector: `video`, `audio` or a stream index. */
  stream: string;
  name: string;
}

/** Packages with Shaka Packager into `<work>/<set>`, 2 s segments like the Smooth fragments; reads every playlist back. */
async function packageWithShaka(set: string, inputs: ShakaInput[]): Promise<{ dir: string; master: HlsMultivariantPlaylist; medias: Map<string, HlsMediaPlaylist> }> {
  assert.ok(existsSync(PACKAGER), `Shaka Packager binary ${PACKAGER} (npm ci installs the shaka-packager devDependency)`);
  const dir = join(work, set);
  const args = inputs.map((i) => {
    const audio = i.name.startsWith('a') ? ',hls_group_id=audio' : '';
    return `in=${i.file},stream=${i.stream},init_segment=${dir}/${i.name}/init.mp4,segment_template=${dir}/${i.name}/$Number$.m4s,playlist_name=${i.name}.m3u8${audio}`;
  });
  const r = await run(PACKAGER, [...args, '--segment_duration', '2', '--hls_master_playlist_output', join(dir, 'master.m3u8')], 120);
  assert.equal(r.code, 0, r.stderr);
  const master = readMultivariantPlaylist(await readFile(join(dir, 'master.m3u8'), 'utf8'), { uri: 'master.m3u8' });
  const medias = new Map<string, HlsMediaPlaylist>();
  for (const uri of [...master.variants.map((v) => v.resolvedUri), ...master.renditions.flatMap((x) => (x.resolvedUri ? [x.resolvedUri] : []))]) {
    medias.set(uri, readMediaPlaylist(await readFile(join(dir, uri), 'utf8'), { uri }));
  }
  return { dir, master, medias };
}

const SHAKA_SETS: Record<'clean' | 'multitrack', ShakaInput[]> = {
  clean: [
    ...['v400', 'v250', 'v120'].map((v) => ({ file: join(fixtures, 'clean', `${v}.ismv`), stream: 'video', name: v })),
    { file: join(fixtures, 'clean', 'audio.isma'), stream: 'audio', name: 'a' },
  ],
  multitrack: [0, 1, 2, 3].map((i) => ({ file: join(fixtures, 'multitrack.ismv'), stream: String(i), name: i < 2 ? `v${i}` : `a${i}` })),
};

for (const set of ['clean', 'multitrack'] as const) {
  test(`${set}: Shaka Packager's HLS reads back and passes our rules; its bandwidths, from its own segments, are within 3% of ours`, async () => {
    const shaka = await packageWithShaka(set, SHAKA_SETS[set]);
    assert.deepEqual(checkHlsRules(shaka.master, shaka.medias), []);
    // Every segment and init segment it names exists where the resolved URI says.
    for (const m of shaka.medias.values()) {
      for (const uri of new Set([...m.segments.map((s) => s.resolvedUri), ...m.segments.flatMap((s) => (s.map ? [s.map.resolvedUri] : []))])) {
        assert.ok(existsSync(join(shaka.dir, uri)), uri);
      }
    }
    // What it writes differently (docs/architecture.md): no DEFAULT=YES rendition without
    // --default_language, renditions named stream_<n>, EXT-X-VERSION 6 in the media
    // playlists and none in the master, EXT-X-INDEPENDENT-SEGMENTS in the master only.
    assert.equal(shaka.master.renditions.filter((r) => r.isDefault).length, 0);
    assert.ok(shaka.master.renditions.every((r) => /^stream_\d+$/.test(r.name ?? '')));
    assert.equal(shaka.master.version, undefined);
    assert.deepEqual(new Set([...shaka.medias.values()].map((m) => [m.version, m.independentSegments].join())), new Set(['6,false']));

    const ours = writeHls(await fixturePresentation(fixtureSets[set]));
    const master = readMultivariantPlaylist(ours.master, { uri: 'master.m3u8' });
    assert.equal(master.variants.length, shaka.master.variants.length);
    for (const v of master.variants) {
      // The same level in Shaka's master: the one of the same resolution.
      const s = shaka.master.variants.find((x) => x.resolution?.width === v.resolution?.width && x.resolution?.height === v.resolution?.height);
      assert.ok(s, `Shaka's variant at ${v.resolution?.width}x${v.resolution?.height}`);
      // Its segments differ from the fragments by a few boxes (0.7% at most measured here).
      const near = (a: number, b: number): boolean => Math.abs(a - b) / b < 0.03;
      assert.ok(near(v.bandwidth!, s.bandwidth!), `${v.uri}: BANDWIDTH ours ${v.bandwidth}, Shaka ${s.bandwidth}`);
      assert.ok(near(v.averageBandwidth!, s.averageBandwidth!), `${v.uri}: AVERAGE-BANDWIDTH ours ${v.averageBandwidth}, Shaka ${s.averageBandwidth}`);
      // The video is cut at the same keyframes: the same segments and durations.
      const ourMedia = readMediaPlaylist(ours.media.find((m) => m.key === v.uri)!.text);
      const theirs = shaka.medias.get(s.resolvedUri)!;
      assert.deepEqual(
        ourMedia.segments.map((x) => x.duration.toFixed(3)),
        theirs.segments.map((x) => x.duration.toFixed(3)),
      );
    }
  });
}
