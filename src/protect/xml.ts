import { XMLParser } from 'fast-xml-parser';

/**
 * The small XML reading protect/ needs (WRMHEADER, CPIX): namespace prefixes dropped
 * (CPIX documents use `cpix:`, a default namespace or any other prefix), every element
 * a list so that one and several read the same, no value conversion.
 */
export type XmlElement = Record<string, unknown>;

const ATTRIBUTE = '@_';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: ATTRIBUTE,
  removeNSPrefix: true,
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
  isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
});

/** The root element named `root`; `fail` builds the typed error for anything else. */
export function readXml(text: string, root: string, fail: (message: string) => Error): XmlElement {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let doc: unknown;
  try {
    doc = parser.parse(body, true);
  } catch (e) {
    // The parser's message quotes the offending text: say where only.
    const line = e instanceof Error ? /line[: ]+(\d+)/i.exec(e.message)?.[1] : undefined;
    throw fail(`expected well-formed XML with root <${root}>, found malformed XML${line === undefined ? '' : ` at line ${line}`}`);
  }
  const names = isElement(doc) ? Object.keys(doc).filter((k) => !k.startsWith('?') && !k.startsWith('#')) : [];
  const node = isElement(doc) ? doc[root] : undefined;
  const first = Array.isArray(node) ? (node[0] as unknown) : undefined;
  if (names[0] !== root || !isElement(first)) throw fail(`expected root element <${root}>, found ${names[0] === undefined ? 'no element' : `<${names[0]}>`}`);
  return first;
}

export function xmlChildren(node: XmlElement, name: string): XmlElement[] {
  const v = node[name];
  if (!Array.isArray(v)) return [];
  // An empty element reads as '' (no attributes, no children): an element all the same.
  return v.map((e: unknown) => (isElement(e) ? e : { '#text': String(e) }));
}

export function xmlChild(node: XmlElement, name: string): XmlElement | undefined {
  return xmlChildren(node, name)[0];
}

export function xmlAttribute(node: XmlElement, name: string): string | undefined {
  const v = node[ATTRIBUTE + name];
  return typeof v === 'string' ? v : undefined;
}

/** The element's text, trimmed; undefined for no element or an empty one. */
export function xmlText(node: XmlElement | undefined): string | undefined {
  if (node === undefined) return undefined;
  const v = node['#text'];
  const text = Array.isArray(v) ? v.join('') : typeof v === 'string' ? v : undefined;
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

/** Names of the element's child elements. */
export function xmlChildNames(node: XmlElement): string[] {
  return Object.keys(node).filter((k) => !k.startsWith(ATTRIBUTE) && k !== '#text');
}

export function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

function isElement(v: unknown): v is XmlElement {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
