// A live event simulated from a packaged VOD presentation: fragments "arrive" in real time
// and each becomes an object only once the LookaheadCount fragments after it have arrived
// (its tfrf names them, as IIS did), the documents (Smooth Manifest, dynamic MPD, sliding
// HLS playlists) are rewritten from the smoothpub writers on every request, and when the
// last fragment has arrived the event ends: the Manifest and MPD become the VOD ones and
// the playlists gain EXT-X-ENDLIST. Each client gets its own mount (`/<client>/live.ism/`),
// so a test can tell whose requests are whose while all watch one event.
import { readFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeMpd } from '../../src/formats/dash/writeMpd.js';
import { writeHls } from '../../src/formats/hls/writePlaylists.js';
import type { FormatPresentation } from '../../src/formats/model.js';
import { parseFormatUrl } from '../../src/formats/names.js';
import { withTfrf } from '../../src/fragments/withTfrf.js';
import { planDvrWindow } from '../../src/plan/dvrWindow.js';
import type { Chunk, Presentation } from '../../src/smooth/model.js';
import { parseSmoothUrl } from '../../src/smooth/url.js';
import { writeManifest } from '../../src/smooth/writeManifest.js';

const TICKS_PER_MS = 10_000n;

export interface LiveEventOptions {
  /** The packaged presentation folder (`package --formats smooth,dash,hls`). */
  dir: string;
  /** Its DASH/HLS view (formatPresentation of the loaded presentation). */
  format: FormatPresentation;
  /** Media time already arrived when the event server starts, 100 ns units. */
  preroll: bigint;
  /** Fragments after a fragment that must have arrived before it is published (its tfrf names them). */
  lookahead: number;
  /** DVRWindowLength / timeShiftBufferDepth / the playlists' window, 100 ns units; undefined: unbounded. */
  dvr?: bigint;
  /** How long after the event's end the playlists gain EXT-X-ENDLIST (default: at once), 100 ns units. */
  endListAfter?: bigint;
  /** Leave the tfrf out of the fragments (to see what a client does without it). */
  withoutTfrf?: boolean;
}

export interface LiveRequest {
  client: string;
  path: string;
  status: number;
  /** Milliseconds since the event server started. */
  at: number;
  /** For a fragment: its chunk index, and the newest published chunk index of its stream then; for a document, the video stream's newest then. */
  index?: number;
  newest?: number;
  streamName?: string;
  /** For an HLS playlist: it carried EXT-X-ENDLIST. */
  endList?: boolean;
}

export interface LiveEvent {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  /** The Smooth Manifest URL for `client`. */
  manifestUrl(client: string, document?: string): string;
  requests: LiveRequest[];
  /** Milliseconds from start until the last fragment arrives (the event's end). */
  endsAfterMs: number;
  ended(): boolean;
  close(): Promise<void>;
}

export async function startLiveEvent(o: LiveEventOptions): Promise<LiveEvent> {
  const vod = o.format.presentation;
  const started = Date.now();
  const origin = minFirst(vod);
  const lastEnd = maxEnd(vod);
  const elapsed = (): bigint => BigInt(Date.now() - started) * TICKS_PER_MS + o.preroll;
  const arrived = (c: Chunk): boolean => c.t + c.d - origin <= elapsed();
  const ended = (): boolean => lastEnd - origin <= elapsed();
  /** Chunks of a stream published now: each with its look-ahead arrived, or all once the event is over. */
  const published = (chunks: readonly Chunk[]): number => {
    if (ended()) return chunks.length;
    let n = 0;
    while (n < chunks.length && chunks[n + o.lookahead] !== undefined && arrived(chunks[n + o.lookahead]!)) n++;
    return n;
  };
  const edge = (): bigint => {
    let e = 0n;
    for (const s of vod.streams) {
      const n = published(s.chunks);
      if (n > 0) e = max(e, s.chunks[n - 1]!.t + s.chunks[n - 1]!.d);
    }
    return e;
  };
  /** First and end index of the stream's chunks the documents name now. */
  const windowOf = (chunks: readonly Chunk[]): { first: number; end: number } => {
    const end = published(chunks);
    const { first } = planDvrWindow({ chunks: chunks.slice(0, end), edge: edge(), window: o.dvr, margin: 0n });
    return { first, end };
  };
  const liveFormat = (): FormatPresentation => {
    const streams = vod.streams.map((s) => ({ ...s, chunks: ((w) => s.chunks.slice(w.first, w.end))(windowOf(s.chunks)) }));
    const presentation: Presentation = { ...vod, isLive: true, duration: 0n, lookaheadCount: o.lookahead, dvrWindowLength: o.dvr ?? 0n, streams };
    const levels = o.format.levels.map((l) => {
      const s = vod.streams.find((x) => x.name === l.streamName)!;
      const w = windowOf(s.chunks);
      return { ...l, sizes: Array.from(l.sizes).slice(w.first, w.end) };
    });
    return { ...o.format, presentation, levels };
  };
  // Media time `origin` was live at `started - preroll`; a segment is published L fragments
  // after its end, so the MPD's clock starts that much later (fragments of 2 s).
  const fragment = vod.streams[0]!.chunks[0]!.d;
  const availabilityStartTime = new Date(started - Number(o.preroll / TICKS_PER_MS) + Number((BigInt(o.lookahead) * fragment) / TICKS_PER_MS));
  const hlsLive = (endedNow: boolean): Parameters<typeof writeHls>[1] => ({
    live: { mediaSequence: (name) => windowOf(vod.streams.find((s) => s.name === name)!.chunks).first, ...(endedNow && { ended: true }) },
  });

  let url = '';
  const requests: LiveRequest[] = [];
  const server = createServer((req, res) => {
    const m = /^\/([^/]+)\/live\.ism\/(.*)$/.exec(decodeURIComponent((req.url ?? '/').split('?')[0]!));
    const log: LiveRequest = { client: m?.[1] ?? '', path: m?.[2] ?? req.url ?? '', status: 0, at: Date.now() - started };
    res.on('finish', () => requests.push({ ...log, status: res.statusCode }));
    res.setHeader('Access-Control-Allow-Origin', '*');
    // The time source of the MPD's UTCTiming (a HEAD of the root: its Date header).
    if (req.url === '/') return send(res, 200);
    if (m === null) return send(res, 404);
    answer(m[2]!, log, res).catch(() => send(res, 500));
  });

  async function answer(path: string, log: LiveRequest, res: ServerResponse): Promise<void> {
    const isEnded = ended();
    const smooth = parseSmoothUrl(path);
    // For a document: the newest video chunk published when the client read it (where a client starts is judged against what it was told).
    const video = vod.streams.find((s) => s.type === 'video');
    if (smooth?.kind !== 'fragment' && video !== undefined) log.newest = published(video.chunks) - 1;
    if (smooth?.kind === 'manifest') {
      if (isEnded) return sendFile(res, join(o.dir, 'Manifest'), 'text/xml');
      return send(res, 200, writeManifest(liveFormat().presentation), 'text/xml');
    }
    if (smooth?.kind === 'fragment') {
      const stream = vod.streams.find((s) => s.name === smooth.streamName);
      const index = stream?.chunks.findIndex((c) => c.t === smooth.time) ?? -1;
      if (stream === undefined || index < 0) return send(res, 404);
      const n = published(stream.chunks);
      Object.assign(log, { index, newest: n - 1, streamName: stream.name });
      if (index >= n) return send(res, 404);
      const body = new Uint8Array(await readFile(join(o.dir, path)));
      const next = stream.chunks.slice(index + 1, index + 1 + o.lookahead).filter(arrived).map((c) => ({ time: c.t, duration: c.d }));
      return send(res, 200, o.withoutTfrf === true ? body : withTfrf(body, next), 'video/mp4');
    }
    const format = parseFormatUrl(path);
    if (format?.kind === 'mpd') {
      if (isEnded) return sendFile(res, join(o.dir, path), 'application/dash+xml');
      const mpd = writeMpd(liveFormat(), {
        live: {
          availabilityStartTime,
          timeOrigin: origin,
          publishTime: new Date(),
          minimumUpdatePeriod: fragment,
          ...(o.dvr !== undefined && { timeShiftBufferDepth: o.dvr }),
          suggestedPresentationDelay: 3n * fragment,
          // This server's own Date header: no public time server off line.
          utcTiming: [{ schemeIdUri: 'urn:mpeg:dash:utc:http-head:2014', value: url }],
        },
      });
      return send(res, 200, mpd, 'application/dash+xml');
    }
    if (format?.kind === 'master' || format?.kind === 'media-playlist') {
      const endList = isEnded && elapsed() >= lastEnd - origin + (o.endListAfter ?? 0n);
      if (format.kind === 'media-playlist') log.endList = endList;
      const hls = writeHls(liveFormat(), hlsLive(endList));
      const text = format.kind === 'master' ? hls.master : hls.media.find((x) => x.key === path)?.text;
      return text === undefined ? send(res, 404) : send(res, 200, text, 'application/vnd.apple.mpegurl');
    }
    // Init segments and anything else: as packaged.
    return sendFile(res, join(o.dir, path), 'video/mp4');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}/`;
  return {
    url,
    manifestUrl: (client, document = 'Manifest') => `${url}${client}/live.ism/${document}`,
    requests,
    endsAfterMs: Number((lastEnd - origin - o.preroll) / TICKS_PER_MS),
    ended,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, body?: string | Uint8Array, type?: string): void {
  // Documents change every fragment; fragments never do.
  res.writeHead(status, { 'Cache-Control': type === 'video/mp4' ? 'max-age=31536000, immutable' : 'no-cache', ...(type && { 'Content-Type': type }) });
  res.end(body);
}

async function sendFile(res: ServerResponse, file: string, type: string): Promise<void> {
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return send(res, 404);
  }
  send(res, 200, body, type);
}

function minFirst(p: Presentation): bigint {
  return p.streams.map((s) => s.chunks[0]!.t).reduce((a, b) => (a < b ? a : b));
}

function maxEnd(p: Presentation): bigint {
  return p.streams.map((s) => s.chunks.at(-1)!.t + s.chunks.at(-1)!.d).reduce(max);
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
