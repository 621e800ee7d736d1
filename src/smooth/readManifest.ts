import { XMLParser } from 'fast-xml-parser';
import { describeXmlProblem } from './describeXmlProblem.js';
import type { Presentation, ProtectionHeader, QualityLevel, StreamIndex, StreamType } from './model.js';
import { badManifest, readNumberAttribute, readTimeAttribute } from './manifestAttributes.js';
import { readChunks } from './readChunks.js';
import { ATTRIBUTE_PREFIX, isXmlNode, readAttribute, readChildren, readText, type XmlNode } from './xmlNode.js';

/** MS-SSTR 2.2.2.1: the TimeScale when the manifest gives none. */
export const DEFAULT_TIMESCALE = 10_000_000;

const REPEATED = new Set(['StreamIndex', 'QualityLevel', 'c', 'ProtectionHeader']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: ATTRIBUTE_PREFIX,
  parseAttributeValue: false,
  parseTagValue: false,
  isArray: (name, _path, _leaf, isAttribute) => !isAttribute && REPEATED.has(name),
});

/**
 * Reads a client Manifest as IIS, Azure Media Services, Expression Encoder and
 * smoothpub write it, into a presentation with every chunk's t and d explicit.
 */
export function readManifest(xml: string): Presentation {
  const root = readRoot(xml, 'SmoothStreamingMedia', 'a Smooth Streaming client manifest');
  const timeScale = readNumberAttribute(root, 'TimeScale', 'SmoothStreamingMedia') ?? DEFAULT_TIMESCALE;
  if (timeScale === 0) throw badManifest('SmoothStreamingMedia: TimeScale must not be 0');
  const p: Presentation = {
    majorVersion: readNumberAttribute(root, 'MajorVersion', 'SmoothStreamingMedia') ?? 2,
    minorVersion: readNumberAttribute(root, 'MinorVersion', 'SmoothStreamingMedia') ?? 0,
    timeScale,
    duration: readTimeAttribute(root, 'Duration', 'SmoothStreamingMedia') ?? 0n,
    streams: [],
  };
  const isLive = readAttribute(root, 'IsLive');
  if (isLive !== undefined) p.isLive = isLive.trim().toUpperCase() === 'TRUE';
  // MS-SSTR's name, else the one IIS wrote (and GStreamer reads).
  const lookaheadCount = readNumberAttribute(root, 'LookaheadCount', 'SmoothStreamingMedia') ?? readNumberAttribute(root, 'LookAheadFragmentCount', 'SmoothStreamingMedia');
  if (lookaheadCount !== undefined) p.lookaheadCount = lookaheadCount;
  const dvrWindowLength = readTimeAttribute(root, 'DVRWindowLength', 'SmoothStreamingMedia');
  if (dvrWindowLength !== undefined) p.dvrWindowLength = dvrWindowLength;
  const streamNodes = readChildren(root, 'StreamIndex');
  if (streamNodes.length === 0) throw badManifest('expected at least one <StreamIndex> in <SmoothStreamingMedia>, found none');
  p.streams = streamNodes.map((node, i) => readStreamIndex(node, i, p));
  const protection = readProtection(root);
  if (protection.length > 0) p.protection = protection;
  return p;
}

/** Parses XML and returns its root element, or says what was expected and found. */
function readRoot(xml: string, expected: string, description: string): XmlNode {
  const text = xml.startsWith('\uFEFF') ? xml.slice(1) : xml;
  const problem = describeXmlProblem(text);
  if (problem !== undefined) throw badManifest(`expected ${description} (XML), found ${problem}`);
  const doc: unknown = parser.parse(text);
  const names = isXmlNode(doc) ? Object.keys(doc).filter((k) => !k.startsWith('?') && !k.startsWith('#')) : [];
  const name = names[0];
  if (name !== expected || !isXmlNode(doc)) {
    throw badManifest(`expected root element <${expected}> (${description}), found ${name === undefined ? 'no element' : `<${name}>`}`);
  }
  const root = doc[name];
  return isXmlNode(root) ? root : {};
}

function readStreamIndex(node: XmlNode, position: number, p: Presentation): StreamIndex {
  const typeText = readAttribute(node, 'Type');
  const type = typeText?.trim().toLowerCase();
  if (type !== 'video' && type !== 'audio' && type !== 'text') {
    throw badManifest(`StreamIndex ${position}: Type must be video, audio or text, found ${typeText === undefined ? 'none' : JSON.stringify(typeText)}`);
  }
  const name = readAttribute(node, 'Name') ?? type;
  const where = `StreamIndex '${name}'`;
  const s: StreamIndex = {
    type,
    name,
    url: readAttribute(node, 'Url') ?? `QualityLevels({bitrate})/Fragments(${name}={start time})`,
    qualityLevels: [],
    chunks: [],
  };
  const timeScale = readNumberAttribute(node, 'TimeScale', where);
  if (timeScale === 0) throw badManifest(`${where}: TimeScale must not be 0`);
  if (timeScale !== undefined) s.timeScale = timeScale;
  copyText(node, 'Language', (v) => (s.language = v));
  copyText(node, 'Subtype', (v) => (s.subtype = v));
  copyNumber(node, 'MaxWidth', where, (v) => (s.maxWidth = v));
  copyNumber(node, 'MaxHeight', where, (v) => (s.maxHeight = v));
  copyNumber(node, 'DisplayWidth', where, (v) => (s.displayWidth = v));
  copyNumber(node, 'DisplayHeight', where, (v) => (s.displayHeight = v));
  s.qualityLevels = readChildren(node, 'QualityLevel').map((q, i) => readQualityLevel(q, i, node, type, where));
  const streamEnd = (p.duration * BigInt(timeScale ?? p.timeScale)) / BigInt(p.timeScale);
  s.chunks = readChunks(readChildren(node, 'c'), streamEnd, where);
  return s;
}

function readQualityLevel(node: XmlNode, position: number, stream: XmlNode, type: StreamType, streamWhere: string): QualityLevel {
  const where = `${streamWhere} QualityLevel ${position}`;
  const bitrate = readNumberAttribute(node, 'Bitrate', where, 0xffffffff);
  if (bitrate === undefined) throw badManifest(`${where}: expected a Bitrate attribute, found none`);
  const q: QualityLevel = {
    index: readNumberAttribute(node, 'Index', where) ?? position,
    bitrate,
    fourCC: readFourCC(node, stream, type),
    codecPrivateData: (readAttribute(node, 'CodecPrivateData') ?? '').trim(),
  };
  // v1 manifests say Width/Height where v2 says MaxWidth/MaxHeight.
  copyNumber(node, readAttribute(node, 'MaxWidth') === undefined ? 'Width' : 'MaxWidth', where, (v) => (q.maxWidth = v));
  copyNumber(node, readAttribute(node, 'MaxHeight') === undefined ? 'Height' : 'MaxHeight', where, (v) => (q.maxHeight = v));
  copyNumber(node, 'SamplingRate', where, (v) => (q.samplingRate = v));
  copyNumber(node, 'Channels', where, (v) => (q.channels = v));
  copyNumber(node, 'BitsPerSample', where, (v) => (q.bitsPerSample = v));
  copyNumber(node, 'PacketSize', where, (v) => (q.packetSize = v));
  copyNumber(node, 'AudioTag', where, (v) => (q.audioTag = v));
  copyNumber(node, 'NALUnitLengthField', where, (v) => (q.nalUnitLengthField = v));
  copyText(node, 'WaveFormatEx', (v) => (q.waveFormatEx = v.trim()));
  return q;
}

/**
 * FourCC may sit on the StreamIndex instead (dash.js looks there too); old audio
 * levels carry only Subtype or AudioTag 255 (AAC), as GStreamer also accepts.
 */
function readFourCC(node: XmlNode, stream: XmlNode, type: StreamType): string {
  const own = readAttribute(node, 'FourCC') ?? readAttribute(stream, 'FourCC');
  if (own !== undefined) return own.trim();
  if (type !== 'audio') return '';
  const subtype = readAttribute(stream, 'Subtype');
  if (subtype !== undefined && subtype.trim() !== '') return subtype.trim();
  return readAttribute(node, 'AudioTag')?.trim() === '255' ? 'AACL' : '';
}

function readProtection(root: XmlNode): ProtectionHeader[] {
  return readChildren(root, 'Protection').flatMap((protection) =>
    readChildren(protection, 'ProtectionHeader').map((h) => ({ systemId: readAttribute(h, 'SystemID') ?? '', data: readText(h).trim() })),
  );
}

function copyText(node: XmlNode, name: string, set: (value: string) => void): void {
  const value = readAttribute(node, name);
  if (value !== undefined) set(value);
}

function copyNumber(node: XmlNode, name: string, where: string, set: (value: number) => void): void {
  const value = readNumberAttribute(node, name, where);
  if (value !== undefined) set(value);
}
