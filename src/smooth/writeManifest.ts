import { XMLBuilder } from 'fast-xml-parser';
import { ErrorCode, SmoothpubError } from '../errors.js';
import type { Chunk, Presentation, QualityLevel, StreamIndex } from './model.js';
import { ATTRIBUTE_PREFIX, type XmlNode } from './xmlNode.js';

export interface WriteManifestOptions {
  /**
   * Compress runs of equal, contiguous chunks with `r` (MS-SSTR 2.2, needs
   * MinorVersion 2; `r` is the run's length). Off unless asked: every client reads the
   * uncompressed form (smoothpub's presentations ask for it, their `manifestTimeline`).
   */
  repeat?: boolean;
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: ATTRIBUTE_PREFIX,
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
});

/** The client Manifest (MS-SSTR 2.2.2) as indented XML, attributes in a fixed order. */
export function writeManifest(p: Presentation, options: WriteManifestOptions = {}): string {
  const repeat = options.repeat === true;
  if (repeat && p.minorVersion < 2) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, `manifest: repeat (r) needs MinorVersion 2, found MinorVersion ${p.minorVersion}`);
  }
  if (p.streams.length === 0) {
    throw new SmoothpubError(ErrorCode.BAD_MANIFEST, 'manifest: expected at least one stream, found none');
  }
  const root: XmlNode = attributes({
    MajorVersion: p.majorVersion,
    MinorVersion: p.minorVersion,
    TimeScale: p.timeScale,
    // Live: 0. dash.js takes a live Manifest with a Duration for a finished start-over
    // presentation (static, no timeline growth); IIS wrote 0 while the event ran.
    Duration: p.isLive === true ? '0' : unsigned(p.duration, 'Duration'),
    IsLive: p.isLive === undefined ? undefined : p.isLive ? 'TRUE' : 'FALSE',
    LookaheadCount: p.lookaheadCount,
    // The same under the name IIS wrote: GStreamer's mssdemux reads only this one, and
    // without it plays no frame of a live presentation (docs/architecture.md, "Live").
    LookAheadFragmentCount: p.lookaheadCount,
    DVRWindowLength: p.dvrWindowLength === undefined ? undefined : unsigned(p.dvrWindowLength, 'DVRWindowLength'),
  });
  root['StreamIndex'] = p.streams.map((s) => buildStreamIndex(s, repeat));
  if (p.protection !== undefined && p.protection.length > 0) {
    root['Protection'] = {
      ProtectionHeader: p.protection.map((h) => ({ ...attributes({ SystemID: h.systemId }), '#text': h.data })),
    };
  }
  return builder.build({
    '?xml': attributes({ version: '1.0', encoding: 'UTF-8' }),
    SmoothStreamingMedia: root,
  }) as string;
}

function buildStreamIndex(s: StreamIndex, repeat: boolean): XmlNode {
  const node = attributes({
    Type: s.type,
    Name: s.name,
    Subtype: s.subtype,
    Language: s.language,
    TimeScale: s.timeScale,
    Chunks: s.chunks.length,
    QualityLevels: s.qualityLevels.length,
    Url: s.url,
    MaxWidth: s.maxWidth,
    MaxHeight: s.maxHeight,
    DisplayWidth: s.displayWidth,
    DisplayHeight: s.displayHeight,
  });
  node['QualityLevel'] = s.qualityLevels.map(buildQualityLevel);
  node['c'] = buildChunks(s.chunks, repeat, s.name);
  return node;
}

function buildQualityLevel(q: QualityLevel): XmlNode {
  return attributes({
    Index: q.index,
    Bitrate: q.bitrate,
    FourCC: q.fourCC,
    MaxWidth: q.maxWidth,
    MaxHeight: q.maxHeight,
    SamplingRate: q.samplingRate,
    Channels: q.channels,
    BitsPerSample: q.bitsPerSample,
    PacketSize: q.packetSize,
    AudioTag: q.audioTag,
    NALUnitLengthField: q.nalUnitLengthField,
    WaveFormatEx: q.waveFormatEx,
    // Always present, even empty: dash.js calls toString() on it for every level.
    CodecPrivateData: q.codecPrivateData,
  });
}

/**
 * `t` on the first chunk and wherever the timeline jumps: clients compute an
 * omitted t as previous t + d, and a first chunk without t as 0, which breaks
 * streams that start later (ffmpeg's smoothstreaming muxer bug, see docs/architecture.md).
 */
function buildChunks(chunks: readonly Chunk[], repeat: boolean, streamName: string): XmlNode[] {
  const out: XmlNode[] = [];
  let end: bigint | undefined;
  for (let i = 0; i < chunks.length; ) {
    const chunk = chunks[i] as Chunk;
    const where = `stream '${streamName}' chunk ${i}`;
    unsigned(chunk.t, `${where} t`);
    unsigned(chunk.d, `${where} d`);
    let count = 1;
    if (repeat) {
      while (continues(chunks[i + count - 1] as Chunk, chunks[i + count])) count++;
    }
    out.push(attributes({
      t: chunk.t === end ? undefined : chunk.t.toString(),
      d: chunk.d.toString(),
      r: count > 1 ? count : undefined,
    }));
    const last = chunks[i + count - 1] as Chunk;
    end = last.t + last.d;
    i += count;
  }
  return out;
}

function continues(prev: Chunk, next: Chunk | undefined): boolean {
  return next !== undefined && next.d === prev.d && next.t === prev.t + prev.d;
}

function unsigned(value: bigint, what: string): string {
  if (value < 0n) {
    throw new SmoothpubError(ErrorCode.BAD_MANIFEST, `manifest: ${what} must be a non-negative integer, found ${value}`);
  }
  return value.toString();
}

/** Attribute map in insertion order, dropping undefined values. */
function attributes(values: Record<string, string | number | undefined>): XmlNode {
  const node: XmlNode = {};
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === 'number' && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new SmoothpubError(ErrorCode.BAD_MANIFEST, `manifest: ${name} must be a non-negative integer, found ${value}`);
    }
    if (value !== undefined) node[ATTRIBUTE_PREFIX + name] = String(value);
  }
  return node;
}
