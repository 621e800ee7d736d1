import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ErrorCode, SmoothpubError } from '../errors.js';

/** An XML element with namespaces resolved: attributes keyed `{namespace}local`. */
export interface XmlElement {
  ns: string;
  local: string;
  attributes: Map<string, string>;
  children: XmlNode[];
}

export type XmlNode = XmlElement | { text: string };

export const NS_XML = 'http://www.w3.org/XML/1998/namespace';

/** `{ns}local`, the key of a resolved attribute. */
export function qname(ns: string, local: string): string {
  return `{${ns}}${local}`;
}

type Ordered = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: '#comment',
});

/**
 * An XML document as a tree of namespace-resolved elements, with text in order (TTML
 * mixes text, `<span>` and `<br/>`). fast-xml-parser reads it (the parser the Manifest
 * and MPD readers use); namespace prefixes are resolved here, because TTML files use
 * `tt:`, `tts:` or any other prefix for the same namespaces.
 */
export function readXmlTree(text: string, file: string): XmlElement {
  // TTML needs no DTD; refusing one rules out entity expansion bombs before parsing.
  const doctype = /<!DOCTYPE/i.exec(text);
  if (doctype !== null) {
    throw new SmoothpubError(ErrorCode.TEXT_MALFORMED, 'the TTML document has a DOCTYPE, which TTML does not use; remove it', { file, line: text.slice(0, doctype.index).split('\n').length });
  }
  try {
    return readTree(text, file);
  } catch (e) {
    if (e instanceof SmoothpubError) throw e;
    // fast-xml-parser's own limits (nesting depth, entity expansion) throw plain Errors,
    // and a deep recursion a RangeError: a broken file, not a crash.
    throw new SmoothpubError(ErrorCode.TEXT_MALFORMED, `cannot read the TTML document: ${e instanceof Error ? e.message : String(e)}`, { file }, { cause: e });
  }
}

function readTree(text: string, file: string): XmlElement {
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new SmoothpubError(ErrorCode.TEXT_MALFORMED, `the TTML document is not well-formed XML: ${valid.err.msg}`, { file, line: valid.err.line });
  }
  const nodes = parser.parse(text) as Ordered[];
  const root = nodes.map((n) => toNode(n, new Map([['xml', NS_XML]]))).find((n): n is XmlElement => 'local' in n);
  if (root === undefined) throw new SmoothpubError(ErrorCode.TEXT_MALFORMED, 'the document has no root element', { file });
  return root;
}

function toNode(raw: Ordered, scope: Map<string, string>): XmlNode {
  const name = Object.keys(raw).find((k) => k !== ':@');
  if (name === '#text') return { text: String(raw[name]) };
  if (name === undefined || name === '#comment') return { text: '' };
  const attrs = (raw[':@'] ?? {}) as Record<string, string>;
  const inner = new Map(scope);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'xmlns') inner.set('', v);
    else if (k.startsWith('xmlns:')) inner.set(k.slice(6), v);
  }
  const [prefix, local] = split(name);
  const attributes = new Map<string, string>();
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) continue;
    const [p, l] = split(k);
    // Unprefixed attributes are in no namespace (XML Namespaces 6.2).
    attributes.set(p === '' ? l : qname(inner.get(p) ?? p, l), String(v));
  }
  const children = ((raw[name] ?? []) as Ordered[]).map((c) => toNode(c, inner));
  return { ns: inner.get(prefix) ?? '', local, attributes, children };
}

function split(name: string): [string, string] {
  const i = name.indexOf(':');
  return i < 0 ? ['', name] : [name.slice(0, i), name.slice(i + 1)];
}

export function elements(e: XmlElement, local?: string): XmlElement[] {
  return e.children.filter((c): c is XmlElement => 'local' in c && (local === undefined || c.local === local));
}
