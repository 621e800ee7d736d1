import { XMLParser } from 'fast-xml-parser';
import { ErrorCode, SmoothpubError } from '../../errors.js';
import { describeXmlProblem } from '../../smooth/describeXmlProblem.js';
import { ATTRIBUTE_PREFIX, isXmlNode, readAttribute, readChildren, readText, type XmlNode } from '../../smooth/xmlNode.js';
import { resolveUrl } from './resolveUrl.js';
import { fillSegmentTemplate, type TemplateValues } from './segmentTemplate.js';
import { parseXsDuration } from './xsDuration.js';

/** One media segment: its URL and its place on the Representation's timeline. */
export interface MpdSegment {
  url: string;
  /** Start in the Representation's timescale, as the MPD gives it (`S@t`: presentationTimeOffset included). */
  time: bigint;
  duration: bigint;
  /** `$Number$` of the segment. */
  number: number;
}

export interface MpdRepresentation {
  id: string;
  bandwidth: number;
  /** Inherited from the AdaptationSet where the Representation does not say. */
  codecs?: string;
  mimeType?: string;
  width?: number;
  height?: number;
  frameRate?: string;
  sar?: string;
  audioSamplingRate?: string;
  /** AudioChannelConfiguration values (for the 23003-3 scheme: the channel count). */
  audioChannels: string[];
  /** The same descriptors with their schemes (Dolby's for AC-3/E-AC-3: a hex channel map). */
  audioChannelConfigurations: { schemeIdUri: string; value: string }[];
  timescale: number;
  presentationTimeOffset: bigint;
  /** The init segment, resolved; undefined when the template names none. */
  initUrl?: string;
  segments: MpdSegment[];
}

/** A ContentProtection descriptor (ISO/IEC 23009-1 5.8.4.1; Common Encryption's and the DRM systems'). */
export interface MpdContentProtection {
  schemeIdUri: string;
  value?: string;
  /** `cenc:default_KID`, as written (a UUID). */
  defaultKid?: string;
  /** `cenc:pssh`: a whole pssh box, base64. */
  pssh?: string;
  /** PlayReady's `mspr:pro`: a PlayReady Object, base64. */
  pro?: string;
  /** Clear Key's `dashif:laurl` (or `Laurl`). */
  laUrl?: string;
}

export interface MpdAdaptationSet {
  id?: string;
  /** `contentType`, or the type of its `mimeType` (`video/mp4` -> `video`). */
  contentType?: string;
  mimeType?: string;
  lang?: string;
  /** Role values (any scheme), in order. */
  roles: string[];
  /** ContentProtection descriptors of the AdaptationSet, in order (none: clear). */
  contentProtection: MpdContentProtection[];
  par?: string;
  maxWidth?: number;
  maxHeight?: number;
  representations: MpdRepresentation[];
}

export interface MpdPeriod {
  id?: string;
  /** Seconds from the start of the presentation. */
  start: number;
  /** Seconds; undefined when nothing in the MPD says (a dynamic MPD's last Period). */
  duration?: number;
  adaptationSets: MpdAdaptationSet[];
}

export interface Mpd {
  type: 'static' | 'dynamic';
  profiles: string;
  /** mediaPresentationDuration in seconds. */
  duration?: number;
  minBufferTime?: number;
  periods: MpdPeriod[];
}

export interface ReadMpdOptions {
  /** The MPD's own URL: segment URLs are resolved against it (and any BaseURL). Without it they stay relative. */
  baseUrl?: string;
}

const REPEATED = new Set(['Period', 'AdaptationSet', 'Representation', 'S', 'BaseURL', 'Role', 'AudioChannelConfiguration', 'SegmentTemplate', 'ContentProtection']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: ATTRIBUTE_PREFIX,
  parseAttributeValue: false,
  parseTagValue: false,
  removeNSPrefix: true,
  isArray: (name, _path, _leaf, isAttribute) => !isAttribute && REPEATED.has(name),
});

/**
 * Reads a DASH MPD (ISO/IEC 23009-1) as smoothpub and Shaka Packager write it: Periods,
 * AdaptationSets and Representations with every segment listed, expanded from
 * SegmentTemplate (on Period, AdaptationSet or Representation, attribute by attribute)
 * with a SegmentTimeline (`t`, `d`, `r` including -1) or a fixed `duration`. SegmentBase,
 * SegmentList and remote (xlink) elements are refused by name.
 */
export function readMpd(xml: string, options: ReadMpdOptions = {}): Mpd {
  const text = xml.startsWith('\uFEFF') ? xml.slice(1) : xml;
  const problem = describeXmlProblem(text);
  if (problem !== undefined) throw badMpd(`expected a DASH MPD (XML), found ${problem}`);
  const doc: unknown = parser.parse(text);
  const names = isXmlNode(doc) ? Object.keys(doc).filter((k) => !k.startsWith('?') && !k.startsWith('#')) : [];
  const rootNode = isXmlNode(doc) ? doc['MPD'] : undefined;
  if (names[0] !== 'MPD' || !isXmlNode(rootNode)) {
    throw badMpd(`expected root element <MPD> (a DASH MPD), found ${names[0] === undefined ? 'no element' : `<${names[0]}>`}`);
  }
  const root = rootNode;
  const typeText = readAttribute(root, 'type') ?? 'static';
  if (typeText !== 'static' && typeText !== 'dynamic') throw badMpd(`MPD: type must be static or dynamic, found ${JSON.stringify(typeText)}`);
  const mpd: Mpd = { type: typeText, profiles: readAttribute(root, 'profiles') ?? '', periods: [] };
  const duration = readDuration(root, 'mediaPresentationDuration', 'MPD');
  if (duration !== undefined) mpd.duration = duration;
  const minBufferTime = readDuration(root, 'minBufferTime', 'MPD');
  if (minBufferTime !== undefined) mpd.minBufferTime = minBufferTime;
  const base = withBaseUrl(options.baseUrl, root);
  const periodNodes = readChildren(root, 'Period');
  if (periodNodes.length === 0) throw badMpd('MPD: expected at least one <Period>, found none');
  let previousEnd: number | undefined = 0;
  periodNodes.forEach((node, i) => {
    const where = `Period ${readAttribute(node, 'id') ?? i}`;
    refuseRemote(node, where);
    const start = readDuration(node, 'start', where) ?? previousEnd;
    if (start === undefined) throw badMpd(`${where}: no start, and the Period before it has no known end`);
    const nextStart = periodNodes[i + 1] === undefined ? undefined : readDuration(periodNodes[i + 1]!, 'start', `Period ${i + 1}`);
    let length = readDuration(node, 'duration', where);
    if (length === undefined && nextStart !== undefined) length = nextStart - start;
    if (length === undefined && i === periodNodes.length - 1 && mpd.duration !== undefined) length = mpd.duration - start;
    const period: MpdPeriod = { start, adaptationSets: [] };
    const id = readAttribute(node, 'id');
    if (id !== undefined) period.id = id;
    if (length !== undefined) period.duration = length;
    const periodBase = withBaseUrl(base, node);
    const periodTemplate = readChildren(node, 'SegmentTemplate');
    period.adaptationSets = readChildren(node, 'AdaptationSet').map((a, j) => readAdaptationSet(a, j, where, period, periodBase, periodTemplate));
    mpd.periods.push(period);
    previousEnd = length === undefined ? undefined : start + length;
  });
  return mpd;
}

function readAdaptationSet(node: XmlNode, position: number, parentWhere: string, period: MpdPeriod, base: string | undefined, parentTemplates: XmlNode[]): MpdAdaptationSet {
  const where = `${parentWhere} AdaptationSet ${readAttribute(node, 'id') ?? position}`;
  refuseRemote(node, where);
  const set: MpdAdaptationSet = {
    roles: readChildren(node, 'Role').map((r) => readAttribute(r, 'value') ?? ''),
    contentProtection: readChildren(node, 'ContentProtection').map((c) => readContentProtection(c, where)),
    representations: [],
  };
  copy(node, 'id', (v) => (set.id = v));
  copy(node, 'mimeType', (v) => (set.mimeType = v));
  copy(node, 'lang', (v) => (set.lang = v));
  copy(node, 'par', (v) => (set.par = v));
  copyNumber(node, 'maxWidth', where, (v) => (set.maxWidth = v));
  copyNumber(node, 'maxHeight', where, (v) => (set.maxHeight = v));
  const setBase = withBaseUrl(base, node);
  const templates = [...parentTemplates, ...readChildren(node, 'SegmentTemplate')];
  const representations = readChildren(node, 'Representation');
  if (representations.length === 0) throw badMpd(`${where}: expected at least one <Representation>, found none`);
  set.representations = representations.map((r, i) => readRepresentation(r, i, where, node, period, setBase, templates));
  const contentType = readAttribute(node, 'contentType') ?? (set.mimeType ?? set.representations[0]?.mimeType)?.split('/')[0];
  if (contentType !== undefined) set.contentType = contentType;
  return set;
}

function readRepresentation(node: XmlNode, position: number, parentWhere: string, set: XmlNode, period: MpdPeriod, base: string | undefined, parentTemplates: XmlNode[]): MpdRepresentation {
  const id = readAttribute(node, 'id');
  const where = `${parentWhere} Representation ${id === undefined ? position : `'${id}'`}`;
  if (id === undefined || /\s/.test(id) || id === '') throw badMpd(`${where}: expected an id without whitespace, found ${id === undefined ? 'none' : JSON.stringify(id)}`);
  const bandwidth = readNumber(node, 'bandwidth', where);
  if (bandwidth === undefined) throw badMpd(`${where}: expected a bandwidth attribute, found none`);
  for (const element of ['SegmentBase', 'SegmentList']) {
    if (node[element] !== undefined || set[element] !== undefined) throw badMpd(`${where}: ${element} is not supported; smoothpub reads SegmentTemplate (with SegmentTimeline or duration)`);
  }
  const templates = [...parentTemplates, ...readChildren(node, 'SegmentTemplate')];
  if (templates.length === 0) throw badMpd(`${where}: no SegmentTemplate on it, its AdaptationSet or its Period`);
  // Attributes inherit one by one, the most specific level winning; so does the timeline.
  const attribute = (name: string): string | undefined => templates.map((t) => readAttribute(t, name)).filter((v) => v !== undefined).at(-1);
  const timeline = templates.map((t) => t['SegmentTimeline']).filter((t) => t !== undefined).at(-1);
  const inherited = (name: string): string | undefined => readAttribute(node, name) ?? readAttribute(set, name);
  const timescale = positiveInteger(attribute('timescale') ?? '1', `${where} SegmentTemplate timescale`);
  const channelConfigurations = (node['AudioChannelConfiguration'] === undefined ? readChildren(set, 'AudioChannelConfiguration') : readChildren(node, 'AudioChannelConfiguration'))
    .map((c) => ({ schemeIdUri: readAttribute(c, 'schemeIdUri') ?? '', value: readAttribute(c, 'value') ?? '' }));
  const rep: MpdRepresentation = {
    id,
    bandwidth,
    audioChannels: channelConfigurations.map((c) => c.value),
    audioChannelConfigurations: channelConfigurations,
    timescale,
    presentationTimeOffset: time(attribute('presentationTimeOffset') ?? '0', `${where} SegmentTemplate presentationTimeOffset`),
    segments: [],
  };
  for (const name of ['codecs', 'mimeType', 'frameRate', 'sar', 'audioSamplingRate'] as const) {
    const v = inherited(name);
    if (v !== undefined) rep[name] = v;
  }
  for (const name of ['width', 'height'] as const) {
    const v = readNumber(node, name, where) ?? readNumber(set, name, where);
    if (v !== undefined) rep[name] = v;
  }
  const repBase = withBaseUrl(base, node);
  const fill = (template: string, values: Partial<TemplateValues>, what: string): string => {
    const filled = fillSegmentTemplate(template, { RepresentationID: id, Bandwidth: bandwidth, ...values });
    if (typeof filled !== 'string') throw badMpd(`${where} SegmentTemplate ${what}: ${filled.problem}`);
    return resolveUrl(repBase, filled);
  };
  const initialization = attribute('initialization');
  if (initialization !== undefined) rep.initUrl = fill(initialization, {}, 'initialization');
  const media = attribute('media');
  if (media === undefined) throw badMpd(`${where}: SegmentTemplate has no media attribute`);
  const startNumber = Number(attribute('startNumber') ?? '1');
  if (!Number.isSafeInteger(startNumber) || startNumber < 0) throw badMpd(`${where}: SegmentTemplate startNumber must be a non-negative integer`);
  const periodEnd = period.duration === undefined ? undefined : rep.presentationTimeOffset + BigInt(Math.round(period.duration * timescale));
  const times = isXmlNode(timeline)
    ? expandTimeline(timeline, startNumber, periodEnd, where)
    : expandDuration(attribute('duration'), startNumber, rep.presentationTimeOffset, periodEnd, where);
  rep.segments = times.map((s) => ({ ...s, url: fill(media, { Number: s.number, Time: s.time }, 'media') }));
  return rep;
}

type Timed = Omit<MpdSegment, 'url'>;

/** Namespace prefixes are dropped on reading: `cenc:default_KID` is `default_KID`, `cenc:pssh` is `pssh`. */
function readContentProtection(node: XmlNode, where: string): MpdContentProtection {
  const schemeIdUri = readAttribute(node, 'schemeIdUri');
  if (schemeIdUri === undefined) throw badMpd(`${where}: a ContentProtection without schemeIdUri`);
  const out: MpdContentProtection = { schemeIdUri };
  copy(node, 'value', (v) => (out.value = v));
  copy(node, 'default_KID', (v) => (out.defaultKid = v));
  const text = (name: string): string | undefined => {
    const child = readChildren(node, name)[0];
    const t = child === undefined ? '' : readText(child).trim();
    return t === '' ? undefined : t;
  };
  const pssh = text('pssh');
  if (pssh !== undefined) out.pssh = pssh;
  const pro = text('pro');
  if (pro !== undefined) out.pro = pro;
  const laUrl = text('laurl') ?? text('Laurl');
  if (laUrl !== undefined) out.laUrl = laUrl;
  return out;
}

/** `<S t d r n>` entries: `t` defaults to the previous end (0 first), `r="-1"` repeats up to the next `t` or the Period's end. */
function expandTimeline(timeline: XmlNode, startNumber: number, periodEnd: bigint | undefined, where: string): Timed[] {
  const entries = readChildren(timeline, 'S');
  if (entries.length === 0) throw badMpd(`${where}: SegmentTimeline has no <S>`);
  const out: Timed[] = [];
  let t = 0n;
  let number = startNumber;
  entries.forEach((s, i) => {
    const at = `${where} SegmentTimeline S ${i}`;
    const tText = readAttribute(s, 't');
    if (tText !== undefined) {
      const given = time(tText, `${at} t`);
      if (given < t) throw badMpd(`${at}: t=${given} goes back before the previous segment's end ${t}`);
      t = given;
    }
    const dText = readAttribute(s, 'd');
    if (dText === undefined) throw badMpd(`${at}: expected a d attribute, found none`);
    const d = time(dText, `${at} d`);
    if (d === 0n) throw badMpd(`${at}: d must be positive`);
    const nText = readAttribute(s, 'n');
    if (nText !== undefined) number = Number(time(nText, `${at} n`));
    const rText = readAttribute(s, 'r') ?? '0';
    if (!/^-?\d+$/.test(rText.trim())) throw badMpd(`${at}: r must be an integer, found ${JSON.stringify(rText)}`);
    let r = BigInt(rText.trim());
    if (r < -1n) throw badMpd(`${at}: r must be -1 or more, found ${r}`);
    if (r === -1n) {
      const nextT = entries[i + 1] === undefined ? undefined : readAttribute(entries[i + 1]!, 't');
      const until = nextT !== undefined ? time(nextT, `${where} SegmentTimeline S ${i + 1} t`) : periodEnd;
      if (until === undefined) throw badMpd(`${at}: r=-1 repeats to the next S@t or the Period's end, and neither is known`);
      r = until > t ? (until - t + d - 1n) / d - 1n : 0n;
    }
    if (r > 10_000_000n) throw badMpd(`${at}: r=${r} segments is more than smoothpub lists`);
    for (let k = 0n; k <= r; k++) {
      out.push({ time: t, duration: d, number: number++ });
      t += d;
    }
  });
  return out;
}

/** A SegmentTemplate without a timeline: segments of `duration` from the Period's start to its end. */
function expandDuration(durationText: string | undefined, startNumber: number, offset: bigint, periodEnd: bigint | undefined, where: string): Timed[] {
  if (durationText === undefined) throw badMpd(`${where}: SegmentTemplate has neither a SegmentTimeline nor a duration`);
  const d = time(durationText, `${where} SegmentTemplate duration`);
  if (d === 0n) throw badMpd(`${where}: SegmentTemplate duration must be positive`);
  if (periodEnd === undefined) throw badMpd(`${where}: SegmentTemplate@duration needs the Period's duration (or the MPD's mediaPresentationDuration)`);
  const count = (periodEnd - offset + d - 1n) / d;
  if (count > 10_000_000n) throw badMpd(`${where}: ${count} segments is more than smoothpub lists`);
  const out: Timed[] = [];
  for (let k = 0n; k < count; k++) {
    const t = offset + k * d;
    out.push({ time: t, duration: t + d > periodEnd ? periodEnd - t : d, number: startNumber + Number(k) });
  }
  return out;
}

/** The first BaseURL of an element resolved against its parent's base. */
function withBaseUrl(base: string | undefined, node: XmlNode): string | undefined {
  const first = readChildren(node, 'BaseURL')[0];
  if (first === undefined) return base;
  const ref = readText(first).trim();
  return ref === '' ? base : resolveUrl(base, ref);
}

function refuseRemote(node: XmlNode, where: string): void {
  if (readAttribute(node, 'href') !== undefined) throw badMpd(`${where}: remote elements (xlink:href) are not supported`);
}

function readDuration(node: XmlNode, name: string, where: string): number | undefined {
  const text = readAttribute(node, name);
  if (text === undefined) return undefined;
  const seconds = parseXsDuration(text);
  if (seconds === undefined || seconds < 0) throw badMpd(`${where}: ${name} must be a non-negative xs:duration such as PT8S, found ${JSON.stringify(text)}`);
  return seconds;
}

function readNumber(node: XmlNode, name: string, where: string): number | undefined {
  const text = readAttribute(node, name);
  if (text === undefined) return undefined;
  const v = time(text, `${where} ${name}`);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw badMpd(`${where}: ${name} ${v} is too large`);
  return Number(v);
}

function positiveInteger(text: string, what: string): number {
  const v = time(text, what);
  if (v === 0n || v > 0xffffffffn) throw badMpd(`${what} must be an integer from 1 to 2^32-1, found ${text}`);
  return Number(v);
}

/** An unsigned decimal integer (xs:unsignedLong) as a bigint. */
function time(text: string, what: string): bigint {
  const trimmed = text.trim();
  if (!/^\d{1,20}$/.test(trimmed)) throw badMpd(`${what} must be an unsigned integer, found ${JSON.stringify(text)}`);
  return BigInt(trimmed);
}

function copy(node: XmlNode, name: string, set: (value: string) => void): void {
  const v = readAttribute(node, name);
  if (v !== undefined) set(v);
}

function copyNumber(node: XmlNode, name: string, where: string, set: (value: number) => void): void {
  const v = readNumber(node, name, where);
  if (v !== undefined) set(v);
}

function badMpd(message: string): SmoothpubError {
  return new SmoothpubError(ErrorCode.BAD_MPD, `mpd: ${message}`);
}
