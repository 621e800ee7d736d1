import { XMLParser } from 'fast-xml-parser';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { describeXmlProblem } from './describeXmlProblem.js';
import { parseDecimalNumber } from './parseDecimal.js';
import { ATTRIBUTE_PREFIX } from './xmlNode.js';
import * as posix from '../util/posixPath.js';

export type IsmKind = 'video' | 'audio' | 'text';

/** The text Subtypes smoothpub serves: captions and subtitles (text/model's TextSubtype). */
export type IsmSubtype = 'CAPT' | 'SUBT';

/** One track of an IIS `.ism` server manifest (SMIL 2.0). */
export interface IsmEntry {
  kind: IsmKind;
  /** The media file; readIsm resolves it against the `.ism`'s directory. */
  src: string;
  systemBitrate?: number;
  trackId?: number;
  trackName?: string;
  language?: string;
  /**
   * A `<textstream>`'s Smooth Subtype (`CAPT` captions, `SUBT` subtitles) where a `Subtype`
   * param or attribute says it. IIS documents no such param (the `.ismc` beside the `.ism`
   * says it), so writeIsm leaves it out; it is read for `.ism` files written by hand.
   */
  subtype?: IsmSubtype;
}

export interface IsmReadOptions {
  /**
   * The live server manifest an encoder pushes (its `uuid` box): its tracks name no file,
   * so `src` may be missing (then '') and is never resolved.
   */
  live?: boolean;
}

export interface Ism {
  clientManifestRelativePath?: string;
  entries: IsmEntry[];
}

export const SMIL_NAMESPACE = 'http://www.w3.org/2001/SMIL20/Language';

/** SMIL element name per kind; `textstream` is what IIS writes for text tracks. */
export const ISM_ELEMENTS: Readonly<Record<IsmKind, string>> = { video: 'video', audio: 'audio', text: 'textstream' };

type Ordered = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: ATTRIBUTE_PREFIX,
  preserveOrder: true,
  parseAttributeValue: false,
  parseTagValue: false,
  removeNSPrefix: true,
});

/**
 * Reads a `.ism` server manifest. Every `src` must be a relative path inside the
 * `.ism`'s directory (absolute paths, URLs and `..` escapes are refused), and comes
 * back joined to that directory. `ismPath` is the `.ism` file's own path.
 */
export function readIsm(xml: string, ismPath: string, options: IsmReadOptions = {}): Ism {
  const text = xml.startsWith('\uFEFF') ? xml.slice(1) : xml;
  const problem = describeXmlProblem(text);
  if (problem !== undefined) throw badIsm(`expected a .ism server manifest (SMIL XML), found ${problem}`, ismPath);
  const top = elementsOf(parser.parse(text) as unknown);
  const root = top.find((n) => !tagOf(n).startsWith('?'));
  if (root === undefined || tagOf(root) !== 'smil') {
    throw badIsm(`expected root element <smil> (a .ism server manifest), found ${root === undefined ? 'no element' : `<${tagOf(root)}>`}`, ismPath);
  }
  const ism: Ism = { entries: [] };
  for (const section of childrenOf(root)) {
    if (tagOf(section) === 'head') {
      for (const meta of childrenOf(section).filter((n) => tagOf(n) === 'meta')) {
        const content = attributeOf(meta, 'content');
        if (attributeOf(meta, 'name') === 'clientManifestRelativePath' && content !== undefined) {
          ism.clientManifestRelativePath = posix.normalize(checkRelative(content, 'clientManifestRelativePath', ismPath));
        }
      }
    } else if (tagOf(section) === 'body') {
      for (const node of childrenOf(section)) {
        const media = tagOf(node) === 'switch' ? childrenOf(node) : [node];
        for (const m of media) ism.entries.push(readEntry(m, ismPath, options.live === true));
      }
    }
  }
  if (ism.entries.length === 0) throw badIsm('expected <video>, <audio> or <textstream> elements in <body><switch>, found none', ismPath);
  return ism;
}

function readEntry(node: Ordered, ismPath: string, live: boolean): IsmEntry {
  const tag = tagOf(node);
  const kind = (Object.keys(ISM_ELEMENTS) as IsmKind[]).find((k) => ISM_ELEMENTS[k] === tag);
  if (kind === undefined) throw badIsm(`expected <video>, <audio> or <textstream> in <switch>, found <${tag}>`, ismPath);
  const src = attributeOf(node, 'src') ?? (live ? '' : undefined);
  if (src === undefined) throw badIsm(`<${tag}> has no src attribute`, ismPath);
  const entry: IsmEntry = { kind, src: live ? src : posix.join(posix.dirname(ismPath), checkRelative(src, `<${tag}> src`, ismPath)) };
  const systemBitrate = attributeOf(node, 'systemBitrate');
  if (systemBitrate !== undefined) entry.systemBitrate = readUnsigned(systemBitrate, `<${tag} src="${src}"> systemBitrate`, ismPath);
  const language = attributeOf(node, 'systemLanguage');
  if (language !== undefined) entry.language = language;
  const subtypeAttribute = attributeOf(node, 'Subtype') ?? attributeOf(node, 'subtype');
  if (subtypeAttribute !== undefined) entry.subtype = readSubtype(subtypeAttribute, `<${tag} src="${src}"> Subtype`, ismPath);
  for (const param of childrenOf(node).filter((n) => tagOf(n) === 'param')) {
    const name = attributeOf(param, 'name')?.toLowerCase();
    const value = attributeOf(param, 'value');
    if (value === undefined) continue;
    if (name === 'trackid') entry.trackId = readUnsigned(value, `<${tag} src="${src}"> trackID`, ismPath);
    else if (name === 'trackname') entry.trackName = value;
    else if (name === 'systemlanguage' && entry.language === undefined) entry.language = value;
    else if (name === 'subtype' && entry.subtype === undefined) entry.subtype = readSubtype(value, `<${tag} src="${src}"> Subtype`, ismPath);
  }
  return entry;
}

/**
 * A path relative to the `.ism`'s directory that stays inside it; Windows-authored
 * files use backslashes, so those count as separators. Returns it with '/' separators.
 */
function checkRelative(path: string, what: string, ismPath: string): string {
  const slashed = path.trim().replaceAll('\\', '/');
  const refuse = (why: string): SmoothpubError => badIsm(`${what} must be a relative path inside the .ism's directory, found ${JSON.stringify(path)} (${why})`, ismPath);
  if (slashed === '' || slashed.includes('\0')) throw refuse('empty or has a NUL');
  if (slashed.startsWith('/')) throw refuse('absolute');
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(slashed)) throw refuse('a drive letter or URL');
  const normal = posix.normalize(slashed);
  if (normal === '..' || normal.startsWith('../')) throw refuse('escapes the directory');
  if (normal === '.' || normal.endsWith('/')) throw refuse('not a file');
  return normal;
}

/** The text Subtypes smoothpub serves (MS-SSTR names others, such as CHAP and SCMD, that are not TTML captions). */
function readSubtype(text: string, what: string, ismPath: string): IsmSubtype {
  const value = text.trim().toUpperCase();
  if (value === 'CAPT' || value === 'SUBT') return value;
  throw badIsm(`${what} must be CAPT (captions) or SUBT (subtitles), found ${JSON.stringify(text)}`, ismPath);
}

function readUnsigned(text: string, what: string, ismPath: string): number {
  const value = parseDecimalNumber(text.trim().replace(/^0+(?=\d)/, ''), 0xffffffff);
  if (value === undefined) throw badIsm(`${what} must be an unsigned 32-bit integer, found ${JSON.stringify(text)}`, ismPath);
  return value;
}

function badIsm(message: string, ismPath: string): SmoothpubError {
  return new SmoothpubError(ErrorCode.BAD_ISM, `.ism: ${message}`, { file: ismPath });
}

function elementsOf(value: unknown): Ordered[] {
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is Ordered => typeof v === 'object' && v !== null && tagOf(v as Ordered) !== '#text');
}

function tagOf(node: Ordered): string {
  return Object.keys(node).find((k) => k !== ':@') ?? '';
}

function childrenOf(node: Ordered): Ordered[] {
  return elementsOf(node[tagOf(node)]);
}

function attributeOf(node: Ordered, name: string): string | undefined {
  const attributes = node[':@'];
  if (typeof attributes !== 'object' || attributes === null) return undefined;
  const value = (attributes as Record<string, unknown>)[ATTRIBUTE_PREFIX + name];
  return typeof value === 'string' ? value : undefined;
}
