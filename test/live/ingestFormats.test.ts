// `ingest --formats smooth,dash,hls`: the same stored fragments as DASH and HLS, live while
// ffmpeg pushes, VOD at the end; the documents read back by the project's readers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFolderStore } from '../../src/stores/folderStore.js';
import { readMpd, type Mpd } from '../../src/formats/dash/readMpd.js';
import { readMediaPlaylist, readMultivariantPlaylist } from '../../src/formats/hls/readPlaylists.js';
import type { HlsMediaPlaylist } from '../../src/formats/hls/playlistModel.js';
import type { LiveEvent } from '../../src/live/liveEvent.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { requireTools } from '../harness/ci.js';
import { pushWithFfmpeg, startIngestRun } from '../harness/livePush.js';
import { waitUntil } from '../harness/waitUntil.js';
import { concat } from '../protect/helpers.js';
import { AUDIO, V120, assertManifestStored, folderObjects, framesRead, tfrfEntries, type Objects } from './helpers.js';

async function textIn(root: string, key: string): Promise<string | undefined> {
  try {
    return await readFile(join(root, key), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

interface Documents {
  mpd: Mpd;
  media: Map<string, HlsMediaPlaylist>;
}

/** The MPD, the multivariant playlist and every media playlist it names; undefined until all are there. */
async function documentsIn(root: string): Promise<Documents | undefined> {
  const mpdText = await textIn(root, 'manifest.mpd');
  const masterText = await textIn(root, 'master.m3u8');
  if (mpdText === undefined || masterText === undefined) return undefined;
  const master = readMultivariantPlaylist(masterText, { uri: 'master.m3u8' });
  const media = new Map<string, HlsMediaPlaylist>();
  for (const uri of [...master.variants.map((v) => v.resolvedUri), ...master.renditions.flatMap((r) => (r.resolvedUri === undefined ? [] : [r.resolvedUri]))]) {
    const text = await textIn(root, uri);
    assert.ok(text !== undefined, `${uri}, named by master.m3u8, is stored`);
    media.set(uri, readMediaPlaylist(text, { uri }));
  }
  return { mpd: readMpd(mpdText), media };
}

/** Every object the documents name: init segments and segments. */
function namedKeys(docs: Documents): string[] {
  const keys: string[] = [];
  for (const set of docs.mpd.periods.flatMap((p) => p.adaptationSets)) {
    for (const r of set.representations) {
      assert.ok(r.initUrl !== undefined, `representation ${r.id} has an init segment`);
      keys.push(r.initUrl, ...r.segments.map((s) => s.url));
    }
  }
  for (const m of docs.media.values()) {
    for (const s of m.segments) keys.push((s.map ?? m.map)!.resolvedUri, s.resolvedUri);
  }
  return keys.map((k) => decodeURIComponent(k));
}

function assertStored(keys: string[], objects: Objects, when: string): void {
  const missing = [...new Set(keys)].filter((k) => !objects.has(k));
  assert.deepEqual(missing, [], `${when}: the documents name only stored objects`);
}

const finalized = (events: LiveEvent[], name: string): boolean => events.some((e) => e.type === 'finalized' && e.presentation === name);

test('--formats smooth,dash,hls: init segments, a dynamic MPD and sliding playlists naming only stored objects while ffmpeg pushes, static VOD documents at the end that ffmpeg reads whole', async (t) => {
  if (!requireTools(t, 'ffmpeg', 'ffprobe')) return;
  const folder = await mkdtemp(join(tmpdir(), 'smoothpub-ingest-formats-'));
  t.after(() => rm(folder, { recursive: true, force: true }));
  const run = await startIngestRun(createFolderStore(folder), { finalizeAfterMs: 60_000, formats: ['smooth', 'dash', 'hls'] });
  t.after(() => run.close());
  const root = join(folder, 'fmt.ism');
  const push = pushWithFfmpeg(run.pushUrl('fmt', 's1'), [V120, AUDIO]);
  let exited = false;
  void push.done.then(() => (exited = true));
  const liveSegments: number[] = [];
  let liveEndList = false;
  await waitUntil(
    'the push to end',
    async () => {
      if (!finalized(run.events, 'fmt')) {
        const docs = await documentsIn(root);
        if (docs !== undefined && docs.mpd.type === 'dynamic') {
          // Listed after the documents were read: whatever they named was stored before them.
          const objects = await folderObjects(root);
          assertStored(namedKeys(docs), objects, 'live');
          const video = docs.mpd.periods[0]!.adaptationSets.find((s) => s.contentType === 'video')!;
          liveSegments.push(video.representations[0]!.segments.length);
          if ([...docs.media.values()].some((m) => m.endList)) liveEndList = true;
          for (const m of docs.media.values()) assert.equal(m.playlistType, undefined, 'a live playlist has no type');
        }
      }
      return exited;
    },
    { timeoutMs: 60_000, intervalMs: 150 },
  );
  assert.equal(await push.done, 0, push.stderr());
  assert.ok(liveSegments.some((n) => n >= 1 && n < 4), `a dynamic MPD with part of the event was seen (video segments seen: ${[...new Set(liveSegments)].join(', ')})`);
  assert.equal(liveEndList, false, 'no EXT-X-ENDLIST while live');
  await waitUntil('the event to be finalised', () => finalized(run.events, 'fmt'), { timeoutMs: 30_000 });

  const objects = await folderObjects(root);
  const manifest = readManifest(new TextDecoder().decode(objects.get('Manifest')));
  assert.notEqual(manifest.isLive, true);
  assertManifestStored(manifest, objects);
  const docs = (await documentsIn(root))!;
  assert.equal(docs.mpd.type, 'static', 'a static MPD at the end');
  assertStored(namedKeys(docs), objects, 'VOD');
  for (const [uri, m] of docs.media) assert.equal(m.endList, true, `${uri} ends with EXT-X-ENDLIST`);
  // The aliases media services answered hold the same documents.
  assert.deepEqual(objects.get('manifest(format=mpd-time-csf)'), objects.get('manifest.mpd'));
  assert.deepEqual(objects.get('manifest(format=m3u8-aapl)'), objects.get('master.m3u8'));

  // The MPD's video timeline is the Manifest's, every segment the stored Smooth fragment (tfrf kept).
  const smoothVideo = manifest.streams.find((s) => s.type === 'video')!;
  const rep = docs.mpd.periods[0]!.adaptationSets.find((s) => s.contentType === 'video')!.representations[0]!;
  assert.deepEqual(rep.segments.map((s) => s.time), smoothVideo.chunks.map((c) => c.t));
  for (const s of rep.segments.slice(0, -1)) assert.equal(tfrfEntries(objects.get(decodeURIComponent(s.url))!)?.length, 1, 'Smooth clients keep their tfrf look-ahead');
  // ffmpeg decodes every video frame from DASH's init segment and segments, and from HLS's.
  assert.equal(framesRead(concat([objects.get(decodeURIComponent(rep.initUrl!))!, ...rep.segments.map((s) => objects.get(decodeURIComponent(s.url))!)])), 192, 'DASH: every frame');
  const videoPlaylist = [...docs.media.entries()].find(([uri]) => uri.startsWith('video-'))![1];
  assert.equal(framesRead(concat([objects.get(decodeURIComponent(videoPlaylist.map!.resolvedUri))!, ...videoPlaylist.segments.map((s) => objects.get(decodeURIComponent(s.resolvedUri))!)])), 192, 'HLS: every frame');
  assert.ok(run.events.some((e) => e.type === 'documents' && e.live) && run.events.some((e) => e.type === 'documents' && !e.live));
});
