import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { TfraEntry } from '../bmff/tfra.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { writeInitSegment } from '../formats/initSegment.js';
import { withTfrf, type FragmentTime } from '../fragments/withTfrf.js';
import { planDvrWindow, type DvrWindow } from '../plan/dvrWindow.js';
import { tfraTime, writeMfra } from '../remux/writeMfra.js';
import { readStored, type IngestStore } from './readStored.js';
import { contentTypeFor } from '../http/contentType.js';
import type { Retrying } from '../publish/publishPlan.js';
import type { Chunk, Presentation, QualityLevel, StreamIndex, StreamType } from '../smooth/model.js';
import { PRESENTATION_TIME_SCALE } from '../smooth/timeScale.js';
import { formatFragmentUrl } from '../smooth/url.js';
import { writeManifest } from '../smooth/writeManifest.js';
import type { Store } from '../stores/store.js';
import type { HeldFragment, LiveLevel, LiveStream, StoredFragment } from './liveLevel.js';
import type { LiveEvent } from './liveEvent.js';
import { md5Of } from './md5Of.js';
import type { Format } from '../formats/model.js';
import { initKey } from '../formats/names.js';
import { formatDocuments } from '../plan/formatObjects.js';
import { fragmentContentType } from '../plan/plan.js';
import { addsFormats, liveDocumentOptions, liveFormatPresentation, liveInitSegment, liveOrigin, fragmentDuration as fragmentDurationOf, storedTrackId, withDecodeTime, type LiveOrigin } from './liveFormats.js';

export interface LiveOutputOptions {
  store: Store;
  withRetries: Retrying;
  fragmentCacheControl: string;
  manifestCacheControl: string;
  onEvent: (e: LiveEvent) => void;
  /** At the end of the event, write each level as an IIS-style .ismv under `<name>.archive/`. */
  archive?: boolean;
  /** `--dvr`: how far behind the live edge clients may seek, in 100 ns units; undefined: unbounded (nothing deleted). */
  dvrWindow?: bigint;
  /** How long after a chunk left the DVR window its fragments are deleted, 100 ns units (documents cached for their max-age, downloads under way). */
  dvrMargin?: bigint;
  /**
   * `--formats`: with dash or hls, every level's init segment is stored when the level
   * appears, every fragment gets a tfdt, and the MPD and playlists are rewritten with the
   * Manifest (static VOD ones at the end of the event).
   */
  formats?: readonly Format[];
  /** How long the HLS playlists list the last fragments live before EXT-X-ENDLIST comes (ms); default: one fragment duration. */
  endListDelayMs?: number;
}

/** A chunk that left the DVR window stays stored this long (100 ns units) unless told otherwise. */
export const DEFAULT_DVR_MARGIN = 30n * 10_000_000n;

/** What a connection's track is, once its `moov` and live server manifest are read. */
export interface TrackDescription {
  type: StreamType;
  language: string;
  timescale: number;
  bitrate: number;
  quality: Omit<QualityLevel, 'index'>;
  width?: number;
  height?: number;
}

/** What became of one pushed fragment. */
export type FragmentOutcome = 'held' | 'duplicate' | 'adopted' | 'refused';

/**
 * One live presentation `<name>.ism/` in the store: its streams and levels, the fragments
 * stored, and the Manifest, rewritten after every fragment once the fragment is stored, so
 * the Manifest never names a fragment the store does not hold.
 */
export class LivePresentation {
  readonly streams: LiveStream[] = [];
  /** Finalised as VOD (the Manifest has no IsLive); new fragments make it live again. */
  finalized = false;
  private dirty = false;
  private writing: Promise<void> | undefined;
  /** The wall clock of the event's start in the DASH/HLS documents, fixed once they are first written (or read back from the stored MPD after a restart). */
  origin: LiveOrigin | undefined;

  constructor(
    readonly name: string,
    private readonly out: LiveOutputOptions,
  ) {}

  /** The level a track feeds: an existing one with the same stream and bitrate (a redundant encoder, a reconnect), else a new one. */
  levelFor(track: TrackDescription, where: string): LiveLevel {
    const stream = this.streamFor(track);
    if (stream.timeScale !== track.timescale) {
      throw new SmoothpubError(ErrorCode.LIVE_BAD_PUSH, `${where}: stream '${stream.name}' runs at timescale ${stream.timeScale}, this track at ${track.timescale}`);
    }
    const level = stream.levels.find((l) => l.bitrate === track.bitrate);
    if (level) {
      if (level.quality.fourCC !== track.quality.fourCC || level.quality.codecPrivateData.toUpperCase() !== track.quality.codecPrivateData.toUpperCase()) {
        throw new SmoothpubError(
          ErrorCode.LIVE_BAD_PUSH,
          `${where}: level ${track.bitrate} of stream '${stream.name}' is fed with ${level.quality.fourCC} ${level.quality.codecPrivateData} already; this track has ${track.quality.fourCC} ${track.quality.codecPrivateData} (a redundant encoder must send the same codec setup; another level needs another bitrate)`,
        );
      }
      return level;
    }
    const created: LiveLevel = { streamName: stream.name, type: track.type, bitrate: track.bitrate, quality: track.quality, stored: new Map(), orphans: new Map(), inFlight: new Map(), feeders: 0, latest: undefined, end: undefined };
    stream.levels.push(created);
    stream.levels.sort((a, b) => b.bitrate - a.bitrate);
    if (track.width !== undefined) stream.maxWidth = Math.max(stream.maxWidth ?? 0, track.width);
    if (track.height !== undefined) stream.maxHeight = Math.max(stream.maxHeight ?? 0, track.height);
    return created;
  }

  /** Video is `video`; the first audio language `audio`, others `audio_<lang>` (as package names them). */
  private streamFor(track: TrackDescription): LiveStream {
    const sameType = this.streams.filter((s) => s.type === track.type);
    const existing = track.type === 'video' ? sameType[0] : sameType.find((s) => s.language === track.language);
    if (existing) return existing;
    const name = track.type === 'video' || sameType.length === 0 ? track.type : `${track.type}_${track.language}`;
    const stream: LiveStream = { name, type: track.type, language: track.language, timeScale: track.timescale, levels: [], listed: [], listedTimes: new Set(), unlisted: new Map() };
    this.streams.push(stream);
    this.streams.sort((a, b) => (a.type === b.type ? 0 : a.type === 'video' ? -1 : 1));
    return stream;
  }

  keyOf(level: LiveLevel, t: bigint): string {
    return `${this.name}.ism/${formatFragmentUrl(`QualityLevels({bitrate})/Fragments(${level.streamName}={start time})`, level.bitrate, t)}`;
  }

  /**
   * Stores one fragment (its `moof`+`mdat` bytes as pushed) unless the level has it already;
   * refuses one that starts before the end of what the level has (backwards, overlapping).
   * Resolves once the fragment is stored and a Manifest naming it is written.
   */
  async addFragment(level: LiveLevel, t: bigint, d: bigint, bytes: Uint8Array, source: string): Promise<FragmentOutcome> {
    const size = bytes.length;
    const where = { presentation: this.name, stream: level.streamName, bitrate: level.bitrate, t: t.toString(), source };
    const stored = level.stored.get(t);
    const held = level.held?.t === t ? level.held : undefined;
    const inFlight = level.inFlight.get(t);
    if (stored !== undefined || held !== undefined || inFlight !== undefined) {
      // Compared with the fragment as it was pushed: the stored object has a tfrf added.
      const same = stored !== undefined ? (stored.pushed !== undefined ? stored.pushed === size : storesAs(bytes, stored.size)) : (inFlight ?? held!.bytes.length) === size;
      if (same) {
        this.out.onEvent({ type: 'duplicate', ...where, size });
        // A redundant or restarted encoder at this time has reached it too.
        if (stored !== undefined) this.reached(level, t);
        return 'duplicate';
      }
      this.refuse(where, `a fragment at ${t} was pushed already with ${stored?.pushed ?? inFlight ?? held?.bytes.length ?? `a stored size of ${stored!.size}`} bytes; this copy has ${size}: the first copy is kept`);
      return 'refused';
    }
    const orphan = level.orphans.get(t);
    if (orphan !== undefined) {
      if (!storesAs(bytes, orphan)) {
        this.refuse(where, `the store holds a fragment at ${t} of ${orphan} bytes from before a restart, which is not this copy of ${size} bytes with a tfrf: the stored one is kept`);
        return 'refused';
      }
      level.orphans.delete(t);
      // The object has its tfrf already (it names the fragment after it); a fragment held before it now has its next.
      // One held after it (a redundant encoder ahead of this one) stays held for its own next.
      const before = level.held;
      if (before !== undefined && before.t < t) {
        level.held = undefined;
        await this.storeHeld(level, before, [{ time: t, duration: d }]);
      }
      this.accept(level, { t, d, size: orphan, pushed: size });
      this.out.onEvent({ type: 'fragment', ...where, size: orphan, d: d.toString(), action: 'adopted', key: this.keyOf(level, t) });
      await this.scheduleManifest();
      return 'adopted';
    }
    const end = level.end;
    if (end !== undefined && t < end) {
      this.refuse(where, `a fragment at ${t} starts before the end of what the level has (${end}): timestamps going backwards or overlapping are refused, nothing is overwritten`);
      return 'refused';
    }
    if (this.finalized) this.finalized = false;
    // Held back until the next fragment arrives: its object is immutable, and its tfrf names
    // that next fragment (dash.js's Smooth support grows its timeline only from tfrf entries).
    const previous = level.held;
    const current: HeldFragment = { t, d, bytes, source, endBefore: level.end };
    level.held = current;
    level.end = t + d;
    // Kept in the store beside the presentation while held, so a kill -9 loses nothing received whole.
    const persisted = this.persistHeld(level, current);
    persisted.catch(() => undefined);
    if (previous !== undefined) {
      try {
        await this.storeHeld(level, previous, [{ time: t, duration: d }]);
      } catch (e) {
        // Neither is stored: the encoder (or a redundant one) may send both again.
        if (level.held === current) {
          level.held = undefined;
          level.end = previous.endBefore;
        }
        throw e;
      }
    }
    await persisted;
    return 'held';
  }

  /** `.smoothpub-ingest/<name>.ism/QualityLevels(b)/Fragments(s=t)`: where a level's held fragment waits for its next one (outside the presentation's folder). */
  heldKey(level: LiveLevel, t: bigint): string {
    return `${HELD_PREFIX}/${this.keyOf(level, t)}`;
  }

  /**
   * Puts a newly held fragment at its `heldKey` (as it will be stored, before its tfrf, after
   * a header with its duration and pushed size), then reports it `held`: received and safe.
   * A restart publishes what it finds there (`publishRecovered`); storing the fragment at its
   * URL deletes it. Stores that cannot delete keep nothing aside.
   */
  private async persistHeld(level: LiveLevel, h: HeldFragment): Promise<void> {
    const ready = (h.ready = this.withFormats(level, h.bytes, h.t, h.d));
    if (this.out.store.delete === undefined) return;
    const key = this.heldKey(level, h.t);
    const body = encodeHeld(h.d, h.bytes.length, ready);
    h.persisted = this.out.withRetries(key, () =>
      this.out.store.put(key, () => body, { size: body.length, contentType: 'application/octet-stream', cacheControl: 'no-store', md5: () => md5Of(body) }),
    );
    await h.persisted;
    this.out.onEvent({ type: 'held', presentation: this.name, stream: level.streamName, bitrate: level.bitrate, t: h.t.toString(), source: h.source, key: this.keyOf(level, h.t) });
  }

  /** Deletes a held fragment's copy once it is stored at its URL (left behind on failure: the next start deletes it). */
  private async forgetHeld(level: LiveLevel, h: HeldFragment): Promise<void> {
    const del = this.out.store.delete?.bind(this.out.store);
    if (h.persisted === undefined || del === undefined) return;
    try {
      await h.persisted;
      const key = this.heldKey(level, h.t);
      await this.out.withRetries(key, () => del(key));
    } catch {
      // Not persisted, or not deleted: a restart finds it stored already and deletes it.
    }
  }

  /**
   * After a restart: stores the held fragments a previous run left under `heldKey` (each
   * with a tfrf naming the next one found, the last with none, as a stop stores them) and
   * deletes those stored already. `found` is in time order per level.
   */
  async publishRecovered(found: { level: LiveLevel; t: bigint; key: string; body: Uint8Array }[]): Promise<number> {
    let published = 0;
    const del = this.out.store.delete!.bind(this.out.store);
    for (let i = 0; i < found.length; i++) {
      const { level, t, key, body } = found[i]!;
      const held = decodeHeld(body);
      if (level.stored.has(t) || held === undefined || (level.end !== undefined && t < level.end)) {
        await this.out.withRetries(key, () => del(key));
        continue;
      }
      const after = found[i + 1];
      const next = after !== undefined && after.level === level ? decodeHeld(after.body) : undefined;
      const h: HeldFragment = { t, d: held.d, bytes: held.ready, ready: held.ready, pushedSize: held.pushedSize, source: 'recovered', endBefore: level.end, persisted: Promise.resolve() };
      level.end = t + held.d;
      await this.storeHeld(level, h, next === undefined ? [] : [{ time: after!.t, duration: next.d }]);
      published++;
    }
    return published;
  }

  /** Stores a held fragment with a tfrf naming `next` (none at the end of the event), then a Manifest naming it. */
  private async storeHeld(level: LiveLevel, h: HeldFragment, next: FragmentTime[]): Promise<void> {
    const key = this.keyOf(level, h.t);
    const body = withTfrf(h.ready ?? this.withFormats(level, h.bytes, h.t, h.d), next);
    if (addsFormats(this.out.formats) && level.source !== undefined) await (level.init ??= this.storeInit(level, level.source));
    level.inFlight.set(h.t, h.bytes.length);
    try {
      const md5 = (): Uint8Array => md5Of(body);
      await this.out.withRetries(key, () =>
        this.out.store.put(key, () => body, { size: body.length, contentType: contentTypeFor(key), cacheControl: this.out.fragmentCacheControl, md5 }),
      );
    } finally {
      level.inFlight.delete(h.t);
    }
    this.accept(level, { t: h.t, d: h.d, size: body.length, pushed: h.pushedSize ?? h.bytes.length });
    this.out.onEvent({ type: 'fragment', presentation: this.name, stream: level.streamName, bitrate: level.bitrate, t: h.t.toString(), source: h.source, size: body.length, d: h.d.toString(), action: 'stored', key });
    await Promise.all([this.scheduleManifest(), this.forgetHeld(level, h)]);
  }

  /** The pushed bytes as stored before their tfrf: with a tfdt when DASH or HLS is asked. */
  private withFormats(level: LiveLevel, bytes: Uint8Array, t: bigint, d: bigint): Uint8Array {
    return addsFormats(this.out.formats) ? withDecodeTime(bytes, t, d, level.source?.trex?.defaultSampleDuration ?? 0) : bytes;
  }

  /** A level's DASH/HLS init segment, stored before its first fragment (and again after a restart: the same bytes from the same moov). */
  private async storeInit(level: LiveLevel, source: NonNullable<LiveLevel['source']>): Promise<void> {
    const key = `${this.name}.ism/${initKey(level.streamName, level.bitrate)}`;
    const body = liveInitSegment(source);
    try {
      await this.out.withRetries(key, () => this.out.store.put(key, () => body, { size: body.length, contentType: fragmentContentType(level.type), cacheControl: this.out.fragmentCacheControl, md5: () => md5Of(body) }));
    } catch (e) {
      level.init = undefined;
      throw e;
    }
    level.initStored = true;
  }

  /**
   * Stores every level's held fragment with an empty tfrf (nothing is known to follow it):
   * at the end of the event, and when the server stops. The Manifest stays live.
   */
  async storeHeldFragments(): Promise<void> {
    const stores: Promise<void>[] = [];
    for (const stream of this.streams) {
      for (const level of stream.levels) {
        const h = level.held;
        if (h === undefined) continue;
        level.held = undefined;
        stores.push(this.storeHeld(level, h, []));
      }
    }
    await Promise.all(stores);
    await this.scheduleManifest();
  }

  private accept(level: LiveLevel, f: StoredFragment): void {
    level.stored.set(f.t, f);
    if (level.end === undefined || f.t + f.d > level.end) level.end = f.t + f.d;
    const stream = this.streams.find((s) => s.name === level.streamName)!;
    if (!stream.listedTimes.has(f.t) && !stream.unlisted.has(f.t)) stream.unlisted.set(f.t, f.d);
    this.reached(level, f.t);
  }

  private reached(level: LiveLevel, t: bigint): void {
    if (level.feeders > 0 && (level.latest === undefined || t > level.latest)) level.latest = t;
    this.refreshListings();
  }

  private refuse(where: Record<string, string | number>, reason: string): void {
    this.out.onEvent({ type: 'refused', code: ErrorCode.LIVE_FRAGMENT_REFUSED, ...where, message: `${this.name} stream '${where['stream']}' level ${where['bitrate']}: ${reason}` } as LiveEvent);
  }

  /** A connection starts or stops feeding a level; when one stops, chunks it held back may be listed. */
  feeding(level: LiveLevel, delta: 1 | -1): void {
    level.feeders += delta;
    if (level.feeders === 0) {
      level.latest = undefined;
      this.refreshListings();
    }
  }

  /**
   * Lists every chunk stored for at least one level of its stream that no connected level
   * still has to reach (a level connected but without a fragment yet has reached nothing):
   * levels pushed together appear together, and a level whose encoder stopped does not hold
   * its stream back (its missing chunks answer 404 at that level). An encoder that stays
   * connected and sends nothing holds its stream back until its connection ends.
   */
  refreshListings(all = false): void {
    for (const stream of this.streams) {
      const ready = [...stream.unlisted].filter(([t]) => all || stream.levels.every((l) => l.feeders === 0 || (l.latest !== undefined && l.latest >= t)));
      ready.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const [t, d] of ready) {
        stream.unlisted.delete(t);
        if (insertChunk(stream.listed, { t, d })) stream.listedTimes.add(t);
      }
    }
  }

  /** Writes the Manifest (live, or VOD once finalised); concurrent calls share writes, and each resolves after a write that saw its state. */
  scheduleManifest(): Promise<void> {
    this.dirty = true;
    this.writing ??= this.writeLoop().finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  private async writeLoop(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      const presentation = this.presentation();
      // Taken with the presentation: fragments stored while the Manifest is put move the
      // window, and a playlist must pair its first segment with that segment's sequence.
      const sequence = this.mediaSequences();
      if (presentation === undefined) continue;
      const body = new TextEncoder().encode(writeManifest(presentation, { repeat: true }));
      const key = `${this.name}.ism/Manifest`;
      await this.out.withRetries(key, () =>
        this.out.store.put(key, () => body, { size: body.length, contentType: contentTypeFor(key), cacheControl: this.out.manifestCacheControl, md5: () => md5Of(body) }),
      );
      this.out.onEvent({ type: 'manifest', presentation: this.name, live: !this.finalized, chunks: presentation.streams.map((s) => s.chunks.length), key });
      if (addsFormats(this.out.formats)) await this.writeFormatDocuments(presentation, sequence);
      await this.removeOld();
    }
  }

  /**
   * The MPD and HLS playlists of the presentation the Manifest just described, naming the
   * same chunks, under the names `package` gives them: live, a dynamic MPD and sliding
   * playlists (short cache headers, as the Manifest); finalised, a static MPD and the
   * playlists with EXT-X-ENDLIST (a live playlist cannot become PLAYLIST-TYPE VOD; with
   * nothing removed they list the whole event from sequence 0).
   */
  private async writeFormatDocuments(p: Presentation, sequence: ReadonlyMap<string, number>): Promise<void> {
    const formats = this.out.formats ?? [];
    const fp = liveFormatPresentation(p, this.streams, this.name);
    if (fp === undefined) return;
    const now = new Date();
    const live = (this.origin ??= liveOrigin(p, this.edge(), now));
    const options = liveDocumentOptions(p, live, now, this.out.dvrWindow, (name) => sequence.get(name) ?? 0, this.finalized);
    const docs = this.finalized
      ? [...formatDocuments(fp, formats.filter((f) => f === 'dash')), ...formatDocuments({ ...fp, presentation: { ...fp.presentation, isLive: true } }, formats.filter((f) => f === 'hls'), { hls: options.hls })]
      : formatDocuments(fp, formats, options);
    const encoder = new TextEncoder();
    for (const doc of docs) {
      const body = encoder.encode(doc.text);
      const md5 = (): Uint8Array => md5Of(body);
      for (const name of doc.keys) {
        const key = `${this.name}.ism/${name}`;
        await this.out.withRetries(key, () => this.out.store.put(key, () => body, { size: body.length, contentType: doc.contentType, cacheControl: this.out.manifestCacheControl, md5 }));
      }
    }
    this.out.onEvent({ type: 'documents', presentation: this.name, live: !this.finalized, keys: docs.map((d) => `${this.name}.ism/${d.keys[0]!}`) });
  }

  /** Each stream's HLS media sequence of the first chunk presentation() lists now. */
  private mediaSequences(): Map<string, number> {
    return new Map(this.streams.map((s) => [s.name, (s.removed ?? 0) + (this.finalized ? 0 : this.window(s).first)]));
  }

  /** Every stream with a listed chunk (live: those in the DVR window); undefined while none has one. */
  presentation(): Presentation | undefined {
    const streams: StreamIndex[] = [];
    const end = this.edge();
    for (const s of this.streams) {
      if (s.listed.length === 0 || s.levels.length === 0) continue;
      const first = this.finalized ? 0 : this.window(s).first;
      const stream: StreamIndex = {
        type: s.type,
        name: s.name,
        url: `QualityLevels({bitrate})/Fragments(${s.name}={start time})`,
        qualityLevels: s.levels.map((l, index) => ({ index, ...l.quality, bitrate: l.bitrate })),
        chunks: s.listed.slice(first).map((c) => ({ ...c })),
      };
      if (s.timeScale !== PRESENTATION_TIME_SCALE) stream.timeScale = s.timeScale;
      if (s.language !== 'und') stream.language = s.language;
      if (s.maxWidth !== undefined) stream.maxWidth = stream.displayWidth = s.maxWidth;
      if (s.maxHeight !== undefined) stream.maxHeight = stream.displayHeight = s.maxHeight;
      streams.push(stream);
    }
    if (streams.length === 0) return undefined;
    const p: Presentation = { majorVersion: 2, minorVersion: 2, timeScale: PRESENTATION_TIME_SCALE, duration: end, streams };
    if (!this.finalized) {
      // dash.js reads a live Manifest with a Duration other than 0 as a finished start-over
      // presentation (MssParser: "Live manifest with Duration = start-over"): live says 0.
      p.duration = 0n;
      p.isLive = true;
      // One fragment of look-ahead: each stored fragment's tfrf names the one after it.
      p.lookaheadCount = 1;
      p.dvrWindowLength = this.out.dvrWindow ?? 0n;
    }
    return p;
  }

  /** The end of the newest listed chunk of any stream, 100 ns units: the live edge. */
  private edge(): bigint {
    let end = 0n;
    for (const s of this.streams) {
      const last = s.listed[s.listed.length - 1];
      if (last === undefined || s.levels.length === 0) continue;
      const streamEnd = ((last.t + last.d) * BigInt(PRESENTATION_TIME_SCALE)) / BigInt(s.timeScale);
      if (streamEnd > end) end = streamEnd;
    }
    return end;
  }

  /** The stream's DVR window over its listed chunks, on its own clock. */
  private window(s: LiveStream): DvrWindow {
    const window = this.out.dvrWindow;
    if (window === undefined) return { first: 0, removable: 0 };
    const scale = (v: bigint): bigint => (v * BigInt(s.timeScale)) / BigInt(PRESENTATION_TIME_SCALE);
    return planDvrWindow({ chunks: s.listed, edge: scale(this.edge()), window: scale(window), margin: scale(this.out.dvrMargin ?? DEFAULT_DVR_MARGIN) });
  }

  /**
   * Deletes the fragments of chunks that left the DVR window a safety margin ago (after a
   * Manifest without them was written): they are no longer listed, and the VOD Manifest at
   * the end names what is still stored.
   */
  private async removeOld(): Promise<void> {
    const del = this.out.store.delete?.bind(this.out.store);
    if (this.out.dvrWindow === undefined || this.finalized || del === undefined) return;
    for (const s of this.streams) {
      const { removable } = this.window(s);
      if (removable === 0) continue;
      const gone = s.listed.splice(0, removable);
      s.removed = (s.removed ?? 0) + gone.length;
      const keys: string[] = [];
      for (const c of gone) {
        s.listedTimes.delete(c.t);
        for (const level of s.levels) {
          if (!level.stored.delete(c.t)) continue;
          keys.push(this.keyOf(level, c.t));
        }
      }
      for (const key of keys) await this.out.withRetries(key, () => del(key));
      this.out.onEvent({ type: 'removed', presentation: this.name, stream: s.name, chunks: gone.length, fragments: keys.length, before: (gone[gone.length - 1]!.t + gone[gone.length - 1]!.d).toString() });
    }
  }

  /** Ends the event: the Manifest becomes a static VOD Manifest in place (every chunk listed, Duration, no IsLive). */
  async finalize(): Promise<void> {
    await this.storeHeldFragments();
    this.refreshListings(true);
    if (this.out.formats?.includes('hls') === true) {
      // The last fragments listed live first: GStreamer's hlsdemux never fetches segments
      // that appear in the update adding EXT-X-ENDLIST.
      await this.scheduleManifest();
      const p = this.presentation();
      // A target duration: the longest fragment, whole seconds up.
      const wait = this.out.endListDelayMs ?? (p === undefined ? 0 : Math.ceil(Number(fragmentDurationOf(p)) / 10_000_000) * 1000);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    this.finalized = true;
    await this.scheduleManifest();
    const p = this.presentation();
    this.out.onEvent({ type: 'finalized', presentation: this.name, duration: (p?.duration ?? 0n).toString() });
    if (this.out.archive) for (const stream of this.streams) for (const level of stream.levels) await this.archiveLevel(level);
  }

  /**
   * `<name>.archive/<stream>_<bitrate>.ismv`: the level's head (ftyp, a one-track moov, as
   * remux writes it), its stored fragments in time order as they are, and an mfra indexing
   * them; `package` and `serve` read it like any ISMV. Streamed from the store twice (the
   * MD5 first), never held whole. A level read back after a restart has no pushed moov to
   * build the head from and is left out.
   */
  private async archiveLevel(level: LiveLevel): Promise<void> {
    const source = level.source;
    const fragments = [...level.stored.values()].sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
    if (source === undefined || fragments.length === 0) return;
    // Fragments stored with a tfdt name track CMAF_TRACK_ID: the head and mfra say the same.
    const trackId = storedTrackId(source, this.out.formats);
    const init = writeInitSegment(
      { kind: source.kind, timescale: source.timescale, trackId, width: source.width ?? 0, height: source.height ?? 0, sampleEntry: source.sampleEntry, fragments: fragments.map((f) => ({ duration: f.d })) },
      { stsd: undefined, trex: source.trex },
      { language: source.language },
    );
    const entries: TfraEntry[] = [];
    let at = init.length;
    for (const f of fragments) {
      entries.push({ time: tfraTime(f.t), moofOffset: at, trafNumber: 1, trunNumber: 1, sampleNumber: 1 });
      at += f.size;
    }
    const mfra = writeMfra(trackId, entries);
    const store = this.out.store as IngestStore;
    const parts = async function* (self: LivePresentation): AsyncGenerator<Uint8Array> {
      yield init;
      for (const f of fragments) {
        const key = self.keyOf(level, f.t);
        const bytes = await self.out.withRetries(key, () => readStored(store, key));
        if (bytes === undefined) throw new SmoothpubError(ErrorCode.STORE_NOT_FOUND, `archiving ${self.name}: ${key} is no longer in the store`, { key });
        yield bytes;
      }
      yield mfra;
    };
    const hash = createHash('md5');
    for await (const part of parts(this)) hash.update(part);
    // Once: a retry's put must not digest the hash again (it throws once finalised).
    const md5 = hash.digest();
    const key = `${this.name}.archive/${level.streamName}_${level.bitrate}.ismv`;
    const size = at + mfra.length;
    await this.out.withRetries(key, () =>
      this.out.store.put(key, () => Readable.from(parts(this)), { size, contentType: level.type === 'audio' ? 'audio/mp4' : 'video/mp4', cacheControl: this.out.fragmentCacheControl, md5 }),
    );
    this.out.onEvent({ type: 'archived', presentation: this.name, key, size, fragments: fragments.length });
  }
}

/** Where held fragments wait, under the store's root: outside every `<name>.ism/`. */
export const HELD_PREFIX = '.smoothpub-ingest';

const HELD_MAGIC = 'smoothpub-held-1';

/** A held fragment's copy: a 16-byte tag, its duration (8 bytes) and pushed size (4), then the fragment as it will be stored before its tfrf. */
function encodeHeld(d: bigint, pushedSize: number, ready: Uint8Array): Uint8Array {
  const out = new Uint8Array(28 + ready.length);
  out.set(new TextEncoder().encode(HELD_MAGIC), 0);
  const v = new DataView(out.buffer);
  v.setBigUint64(16, d);
  v.setUint32(24, pushedSize);
  out.set(ready, 28);
  return out;
}

function decodeHeld(body: Uint8Array): { d: bigint; pushedSize: number; ready: Uint8Array } | undefined {
  if (body.length < 28 || new TextDecoder().decode(body.subarray(0, 16)) !== HELD_MAGIC) return undefined;
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  return { d: v.getBigUint64(16), pushedSize: v.getUint32(24), ready: body.subarray(28) };
}

/**
 * Whether the pushed `bytes` stored with a tfrf of one entry or none (or as they are), with
 * a tfdt (`--formats` dash/hls, now or before a restart) or without, make an object of
 * `storedSize` bytes.
 */
function storesAs(bytes: Uint8Array, storedSize: number): boolean {
  if (bytes.length === storedSize) return true;
  try {
    return [bytes, withDecodeTime(bytes, 0n, 0n, 0)].some((b) => b.length === storedSize || withTfrf(b, []).length === storedSize || withTfrf(b, [{ time: 0n, duration: 0n }]).length === storedSize);
  } catch {
    return false;
  }
}

/** Inserts in start order (from the end: chunks come in order); a chunk overlapping its neighbours (levels of one stream that disagree) is left out. */
function insertChunk(listed: Chunk[], c: Chunk): boolean {
  let i = listed.length;
  while (i > 0 && listed[i - 1]!.t > c.t) i--;
  const before = listed[i - 1];
  const after = listed[i];
  if (before !== undefined && before.t + before.d > c.t) return false;
  if (after !== undefined && c.t + c.d > after.t) return false;
  listed.splice(i, 0, c);
  return true;
}
