import { readManifest } from '../smooth/readManifest.js';
import { parseSmoothUrl } from '../smooth/url.js';
import { withoutIndex, type LiveLevel, type LiveStream } from './liveLevel.js';
import { LivePresentation, type LiveOutputOptions } from './livePresentation.js';
import { readStored, type IngestStore } from './readStored.js';

/**
 * A presentation as the store holds it, for a server started again (after a crash, kill -9
 * included): the Manifest says what was announced (streams, levels, chunks), one listing
 * what is stored. A chunk is a level's only when its object is there; objects the Manifest
 * does not name (stored, then the server died before the Manifest was written) are kept
 * aside as orphans: a repeated push of the same size takes them in without an upload. Every
 * object is written whole or not at all (a folder renames, Azure and S3 commit a put), so
 * what the listing shows is complete.
 */
export async function recoverPresentation(name: string, store: IngestStore, out: LiveOutputOptions): Promise<LivePresentation> {
  const live = new LivePresentation(name, out);
  const root = `${name}.ism`;
  const bytes = await out.withRetries(`${root}/Manifest`, () => readStored(store, `${root}/Manifest`));
  if (bytes === undefined) return live;
  const manifest = readManifest(new TextDecoder().decode(bytes));
  const objects = new Map<string, Map<bigint, number>>();
  await out.withRetries(`${root}/ (list)`, async () => {
    objects.clear();
    for await (const o of store.list(root)) {
      const url = parseSmoothUrl(o.key);
      if (url?.kind !== 'fragment') continue;
      const levelKey = `${url.streamName}/${url.bitrate}`;
      let times = objects.get(levelKey);
      if (!times) objects.set(levelKey, (times = new Map()));
      times.set(url.time, o.size);
    }
  });
  let fragments = 0;
  let orphans = 0;
  for (const s of manifest.streams) {
    if (s.type === 'text') continue;
    const stream: LiveStream = { name: s.name, type: s.type, language: s.language ?? 'und', timeScale: s.timeScale ?? manifest.timeScale, levels: [], listed: [], listedTimes: new Set(), unlisted: new Map() };
    if (s.maxWidth !== undefined) stream.maxWidth = s.maxWidth;
    if (s.maxHeight !== undefined) stream.maxHeight = s.maxHeight;
    const announced = new Map(s.chunks.map((c) => [c.t, c.d]));
    for (const q of s.qualityLevels) {
      const quality = withoutIndex(q);
      const level: LiveLevel = { streamName: s.name, type: s.type, bitrate: q.bitrate, quality, stored: new Map(), orphans: new Map(), inFlight: new Map(), feeders: 0, latest: undefined, end: undefined };
      for (const [t, size] of objects.get(`${s.name}/${q.bitrate}`) ?? []) {
        const d = announced.get(t);
        if (d === undefined) {
          level.orphans.set(t, size);
          orphans++;
        } else {
          level.stored.set(t, { t, d, size });
          if (level.end === undefined || t + d > level.end) level.end = t + d;
          fragments++;
        }
      }
      stream.levels.push(level);
    }
    // Chunks listed stay listed only while some level still has them stored.
    stream.listed = s.chunks.filter((c) => stream.levels.some((l) => l.stored.has(c.t))).map((c) => ({ t: c.t, d: c.d }));
    stream.listedTimes = new Set(stream.listed.map((c) => c.t));
    live.streams.push(stream);
  }
  live.finalized = manifest.isLive !== true;
  out.onEvent({ type: 'recovered', presentation: name, live: !live.finalized, fragments, orphans });
  return live;
}
