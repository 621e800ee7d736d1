import { findChild } from '../bmff/box.js';
import { Cursor } from '../bmff/cursor.js';
import { readMpd } from '../formats/dash/readMpd.js';
import { initKey, MPD_KEY } from '../formats/names.js';
import { readMoof } from '../fragments/readMoof.js';
import { readMoov } from '../fragments/readMoov.js';
import { readManifest } from '../smooth/readManifest.js';
import { PRESENTATION_TIME_SCALE } from '../smooth/timeScale.js';
import { addsFormats, type LiveOrigin } from './liveFormats.js';
import { parseSmoothUrl } from '../smooth/url.js';
import { withoutIndex, type LevelSource, type LiveLevel, type LiveStream } from './liveLevel.js';
import { HELD_PREFIX, LivePresentation, type LiveOutputOptions } from './livePresentation.js';
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
      if (addsFormats(out.formats)) await recoverInit(level, root, store, out);
      stream.levels.push(level);
    }
    // Chunks listed stay listed only while some level still has them stored.
    stream.listed = s.chunks.filter((c) => stream.levels.some((l) => l.stored.has(c.t))).map((c) => ({ t: c.t, d: c.d }));
    stream.listedTimes = new Set(stream.listed.map((c) => c.t));
    live.streams.push(stream);
  }
  live.finalized = manifest.isLive !== true;
  if (addsFormats(out.formats) && !live.finalized) {
    const origin = await recoverOrigin(root, store, out);
    if (origin !== undefined) live.origin = origin;
  }
  // Orphans are listed again when their object says how long they last: those a DVR window
  // had dropped from the Manifest but not yet deleted (the window, re-planned at the next
  // Manifest write, deletes them in turn), and those stored just before the Manifest naming
  // them would have been written.
  let adopted = 0;
  for (const stream of live.streams) {
    for (const level of stream.levels) {
      for (const [t, size] of [...level.orphans]) {
        const key = live.keyOf(level, t);
        const body = await out.withRetries(key, () => readStored(store, key));
        const d = body === undefined ? undefined : storedDuration(body);
        if (d === undefined) continue;
        level.orphans.delete(t);
        level.stored.set(t, { t, d, size });
        if (level.end === undefined || t + d > level.end) level.end = t + d;
        if (!stream.listedTimes.has(t)) stream.unlisted.set(t, d);
        adopted++;
      }
    }
  }
  live.refreshListings();
  const published = await publishHeld(live, store, out);
  out.onEvent({ type: 'recovered', presentation: name, live: !live.finalized, fragments: fragments + adopted, orphans: orphans - adopted, ...(published > 0 && { held: published }) });
  if (adopted > 0 && published === 0) await live.scheduleManifest();
  return live;
}

/**
 * The fragments a previous run held for their tfrf when it died, kept under the held
 * prefix: stored at their URLs (listed by the Manifest written after each), or deleted when
 * stored already. Held copies of levels the Manifest does not name (a kill before the
 * presentation's first Manifest) stay until a push of that level brings them back.
 */
async function publishHeld(live: LivePresentation, store: IngestStore, out: LiveOutputOptions): Promise<number> {
  if (store.delete === undefined) return 0;
  const under = `${HELD_PREFIX}/${live.name}.ism`;
  const found: { level: LiveLevel; t: bigint; key: string }[] = [];
  await out.withRetries(`${under}/ (list)`, async () => {
    found.length = 0;
    for await (const o of store.list(under)) {
      const url = parseSmoothUrl(o.key);
      if (url?.kind !== 'fragment') continue;
      const level = live.streams.find((s) => s.name === url.streamName)?.levels.find((l) => l.bitrate === url.bitrate);
      if (level !== undefined) found.push({ level, t: url.time, key: `${under}/${o.key}` });
    }
  });
  if (found.length === 0) return 0;
  found.sort((a, b) => (a.level !== b.level ? live.keyOf(a.level, 0n).localeCompare(live.keyOf(b.level, 0n)) : a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  const bodies = [];
  for (const f of found) {
    const body = await out.withRetries(f.key, () => readStored(store, f.key));
    if (body !== undefined) bodies.push({ ...f, body });
  }
  return live.publishRecovered(bodies);
}

/** How long a stored fragment lasts: its tfxd's duration, else its samples' (when its trun or tfhd says); undefined when neither does. */
function storedDuration(body: Uint8Array): bigint | undefined {
  try {
    const size = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(0);
    const info = readMoof(new Cursor(body.subarray(0, size), 0, 'moof', 8, size), () => 0);
    const d = info.tfxd?.duration ?? info.duration;
    return d > 0n ? d : undefined;
  } catch {
    return undefined;
  }
}

/**
 * With --formats dash/hls, a level's init segment (stored from its pushed `moov` before its
 * first fragment) is its source again: the level is in the MPD and playlists at once, not
 * only once an encoder feeds it again. Its track is CMAF_TRACK_ID, as its stored fragments
 * name. A missing or unreadable init leaves the level out of them until it is fed.
 */
async function recoverInit(level: LiveLevel, root: string, store: IngestStore, out: LiveOutputOptions): Promise<void> {
  const key = `${root}/${initKey(level.streamName, level.bitrate)}`;
  const bytes = await out.withRetries(key, () => readStored(store, key));
  if (bytes === undefined) return;
  const source = levelSourceOf(bytes);
  if (source === undefined) return;
  level.source = source;
  level.init = Promise.resolve();
  level.initStored = true;
}

/** The one video or audio track of an init segment as a level's source; undefined when it is not one. */
export function levelSourceOf(init: Uint8Array): LevelSource | undefined {
  try {
    const moov = findChild(new Cursor(init, 0, 'init segment'), 'init segment', 'moov');
    const track = moov === undefined ? undefined : readMoov(moov.payload).tracks[0];
    if (track === undefined || (track.kind !== 'video' && track.kind !== 'audio') || track.sampleEntry === undefined) return undefined;
    return {
      trackId: track.trackId,
      kind: track.kind,
      timescale: track.timescale,
      ...(track.kind === 'video' && { width: track.width, height: track.height }),
      sampleEntry: track.sampleEntry,
      trex: track.trex,
      language: track.language,
    };
  } catch {
    return undefined;
  }
}

/**
 * The live MPD's availabilityStartTime and its Period's origin (presentationTimeOffset),
 * read back so that the event keeps its place on the wall clock across a restart: clients
 * map segment times to the clock by them, and a new choice would move every segment.
 */
async function recoverOrigin(root: string, store: IngestStore, out: LiveOutputOptions): Promise<LiveOrigin | undefined> {
  const key = `${root}/${MPD_KEY}`;
  const bytes = await out.withRetries(key, () => readStored(store, key));
  if (bytes === undefined) return undefined;
  const text = new TextDecoder().decode(bytes);
  const at = /\bavailabilityStartTime="([^"]+)"/.exec(text)?.[1];
  if (at === undefined || Number.isNaN(Date.parse(at))) return undefined;
  try {
    const rep = readMpd(text).periods[0]?.adaptationSets[0]?.representations[0];
    if (rep === undefined) return undefined;
    return { timeOrigin: (rep.presentationTimeOffset * BigInt(PRESENTATION_TIME_SCALE)) / BigInt(rep.timescale), at: new Date(Date.parse(at)) };
  } catch {
    return undefined;
  }
}
