import { Cursor } from '../bmff/cursor.js';
import { ErrorCode, SmoothpubError, isSmoothpubError } from '../errors.js';
import { readMoof } from '../fragments/readMoof.js';
import { readMoov, type MoovTrack } from '../fragments/readMoov.js';
import { readIsm, type IsmEntry } from '../smooth/ism.js';
import { qualityLevelFor } from '../smooth/qualityLevelFor.js';
import { concatBytes } from '../util/concatBytes.js';
import type { LiveEvent } from './liveEvent.js';
import { withoutIndex, type LiveLevel } from './liveLevel.js';
import type { LivePresentation, TrackDescription } from './livePresentation.js';
import { PushParser, type PushedBox } from './pushParser.js';

interface Feed {
  level: LiveLevel;
  track: MoovTrack;
  /** Where this push's previous fragment of the track ends in decode time (a fragment without tfdt starts there when its tfxd agrees). */
  end?: bigint;
}

const TWO_63 = 1n << 63n;
const TWO_64 = 1n << 64n;

/**
 * One encoder connection (`POST <name>.isml/Streams(<id>)`): its boxes in push order
 * (ftyp, the live server manifest, moov, then moof+mdat pairs, mfra at the end). Each
 * fragment is handed to the presentation as soon as its mdat is whole; uploads of several
 * fragments overlap, and `backlog` tells the server when to stop reading the request.
 */
export class IngestConnection {
  private readonly parser: PushParser;
  private serverManifest: IsmEntry[] | undefined;
  private feeds: Map<number, Feed> | undefined;
  private moof: PushedBox | undefined;
  private readonly pending = new Set<Promise<unknown>>();
  private failure: SmoothpubError | undefined;
  fragments = 0;
  bytes = 0;
  /** `mfra` seen: the encoder ended the stream. */
  endOfStream = false;

  constructor(
    readonly source: string,
    private readonly presentation: LivePresentation,
    maxBoxSize: number,
    private readonly onEvent: (e: LiveEvent) => void,
  ) {
    this.parser = new PushParser(source, maxBoxSize);
    this.maxPendingBytes = Math.max(4 * maxBoxSize, 256 * 1024 * 1024);
  }

  /** Fragments received and waiting to be stored may take this much memory. */
  private readonly maxPendingBytes: number;

  /** Bytes of fragments received and not yet stored. */
  private pendingBytes = 0;

  /** Takes a chunk of the request body; throws (the stream is to be dropped) on a push that cannot be read or stored. */
  push(chunk: Uint8Array): void {
    if (this.failure) throw this.failure;
    this.bytes += chunk.length;
    for (const box of this.parser.push(chunk)) this.take(box);
  }

  /** The request body ended (clean) or the connection broke: waits for the uploads started, then stops feeding. */
  async finish(clean: boolean): Promise<void> {
    try {
      if (clean) this.parser.end();
      if (clean && this.moof) throw this.bad('the push ended after a moof without its mdat', this.moof.offset);
    } finally {
      await this.settled();
      for (const feed of this.feeds?.values() ?? []) this.presentation.feeding(feed.level, -1);
      this.feeds = undefined;
      // Chunks that waited for this connection's levels may be listed now.
      await this.presentation.scheduleManifest();
    }
    if (this.failure) throw this.failure;
  }

  /** Resolves when every upload started has settled (stored, duplicate, refused or failed). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private take(box: PushedBox): void {
    switch (box.type) {
      case 'ftyp':
      case 'free':
      case 'skip':
      case 'styp':
      case 'sidx':
      case 'uuid':
        return;
      case 'liveManifest':
        this.serverManifest = this.readServerManifest(box);
        return;
      case 'moov':
        if (this.feeds) throw this.bad("a second 'moov' in one push", box.offset);
        this.feeds = this.readTracks(box);
        return;
      case 'moof':
        if (!this.feeds) throw this.bad("a 'moof' before the 'moov'", box.offset);
        if (this.moof) throw this.bad("a 'moof' follows a 'moof' without its 'mdat'", box.offset);
        this.moof = box;
        return;
      case 'mdat': {
        const moof = this.moof;
        if (!moof) throw this.bad("an 'mdat' without a 'moof' before it", box.offset);
        this.moof = undefined;
        this.fragment(moof, box);
        return;
      }
      case 'mfra':
        this.endOfStream = true;
        return;
      default:
        throw this.bad(`unexpected box '${box.type}'`, box.offset);
    }
  }

  /** The SMIL document in the live server manifest box: each track's systemBitrate and name. */
  private readServerManifest(box: PushedBox): IsmEntry[] {
    // size, type, user type (16), version and flags (4).
    const text = new TextDecoder().decode(box.bytes.subarray(8 + 16 + 4));
    try {
      return readIsm(text, this.source, { live: true }).entries;
    } catch (e) {
      throw isSmoothpubError(e) ? this.bad(`the live server manifest cannot be read: ${e.message}`, box.offset) : e;
    }
  }

  private readTracks(box: PushedBox): Map<number, Feed> {
    const moov = readMoov(new Cursor(box.bytes, box.offset, 'moov', 8, box.bytes.length));
    const feeds = new Map<number, Feed>();
    const described: { stream: string; bitrate: number; fourCC: string }[] = [];
    for (const track of moov.tracks) {
      if (track.kind !== 'video' && track.kind !== 'audio') {
        throw this.bad(`track ${track.trackId} is ${track.kind ?? `'${track.handlerType}'`}: live ingest takes video and audio tracks`, box.offset);
      }
      if (track.sampleEntry === undefined) throw this.bad(`track ${track.trackId} has no sample description`, box.offset);
      const entry = this.serverManifest?.find((e) => e.trackId === track.trackId);
      const bitrate = entry?.systemBitrate;
      if (bitrate === undefined || bitrate === 0) {
        throw this.bad(
          `track ${track.trackId} has no systemBitrate in a live server manifest box: the fragment URLs need it before the first fragment (ffmpeg: -movflags +isml)`,
          box.offset,
        );
      }
      const quality = withoutIndex(qualityLevelFor(track.sampleEntry, { index: 0, bitrate }));
      const description: TrackDescription = { type: track.kind, language: entry?.language ?? track.language, timescale: track.timescale, bitrate, quality };
      if (track.kind === 'video') {
        if (quality.maxWidth !== undefined) description.width = quality.maxWidth;
        if (quality.maxHeight !== undefined) description.height = quality.maxHeight;
      }
      const level = this.presentation.levelFor(description, this.source);
      level.source ??= {
        trackId: track.trackId,
        kind: track.kind,
        timescale: track.timescale,
        ...(description.width !== undefined && { width: description.width }),
        ...(description.height !== undefined && { height: description.height }),
        sampleEntry: track.sampleEntry,
        trex: track.trex,
        language: description.language,
      };
      feeds.set(track.trackId, { level, track });
      described.push({ stream: level.streamName, bitrate: level.bitrate, fourCC: quality.fourCC });
    }
    if (feeds.size === 0) throw this.bad('the moov has no tracks', box.offset);
    for (const feed of feeds.values()) this.presentation.feeding(feed.level, 1);
    this.onEvent({ type: 'tracks', source: this.source, tracks: described });
    return feeds;
  }

  private fragment(moof: PushedBox, mdat: PushedBox): void {
    const feeds = this.feeds!;
    const info = readMoof(
      new Cursor(moof.bytes, moof.offset, 'moof', 8, moof.bytes.length),
      (id) => feeds.get(id)?.track.trex?.defaultSampleDuration ?? 0,
      (id) => feeds.get(id)?.track.trex?.defaultSampleFlags,
    );
    const feed = feeds.get(info.trackId);
    if (!feed) throw this.bad(`a fragment of track ${info.trackId}, which the moov does not have`, moof.offset);
    let t = info.tfdt ?? decodeStart(info.tfxd === undefined ? undefined : signed(info.tfxd.time), info.firstCompositionOffset, feed.end);
    if (t === undefined) throw this.bad("a fragment with neither 'tfdt' nor PIFF 'tfxd': its time is unknown", moof.offset);
    let d = info.duration;
    if (t < 0n) {
      // AAC priming (ffmpeg: the first audio tfxd is -1024 samples): announced from 0, as package does.
      if (t + d <= 0n) throw this.bad(`a fragment at negative time ${t} that ends before 0`, moof.offset);
      d = t + d;
      t = 0n;
    }
    feed.end = t + d;
    this.fragments++;
    const bytes = concatBytes([moof.bytes, mdat.bytes]);
    // The request is never paused (a push that ends while paused loses what was not read), so
    // a store slower than the push is bounded here: the stream is dropped, not the server.
    if (this.pendingBytes + bytes.length > this.maxPendingBytes) {
      throw this.bad(`the store is slower than the push: ${this.pending.size} fragments (${this.pendingBytes} bytes) wait to be stored`, moof.offset);
    }
    this.pendingBytes += bytes.length;
    const upload = this.presentation.addFragment(feed.level, t, d, bytes, this.source).catch((e: unknown) => {
      this.failure ??= isSmoothpubError(e) ? e : new SmoothpubError(ErrorCode.STORE_REQUEST, `storing a fragment failed: ${(e as Error).message}`);
    });
    this.pending.add(upload);
    void upload.finally(() => {
      this.pending.delete(upload);
      this.pendingBytes -= bytes.length;
    });
  }

  private bad(message: string, offset: number): SmoothpubError {
    return new SmoothpubError(ErrorCode.LIVE_BAD_PUSH, `stream ${this.source}: ${message}`, { file: this.source, offset });
  }
}

/**
 * When a fragment without `tfdt` starts decoding, as package reads a file
 * (`fragmentTime` in fragments/indexSource.ts): where the push's previous fragment of the
 * track ends, when its `tfxd` time is that plus the first sample's composition offset
 * (ffmpeg writes the first sample's presentation time: with open GOPs a keyframe decodes a
 * few frames before it is shown), else what `tfxd` says (the first fragment, or a gap).
 */
function decodeStart(said: bigint | undefined, firstCompositionOffset: bigint, previousEnd: bigint | undefined): bigint | undefined {
  if (previousEnd !== undefined && said !== undefined && said === previousEnd + firstCompositionOffset) return previousEnd;
  return said;
}

/** A tfxd time is unsigned in the box, but ffmpeg writes AAC priming as a negative number in two's complement. */
function signed(time: bigint): bigint {
  return time >= TWO_63 ? time - TWO_64 : time;
}
