/**
 * Typed access to fast-xml-parser's object output (attributes prefixed `@_`),
 * so readers never touch `unknown` directly.
 */
export type XmlNode = Record<string, unknown>;

export const ATTRIBUTE_PREFIX = '@_';

export function isXmlNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An attribute's text, or undefined when absent. */
export function readAttribute(node: XmlNode, name: string): string | undefined {
  const value = node[ATTRIBUTE_PREFIX + name];
  return typeof value === 'string' ? value : undefined;
}

/** Child elements with this name, in document order (elements parsed as arrays). */
export function readChildren(node: XmlNode, name: string): XmlNode[] {
  const value = node[name];
  const list: unknown[] = Array.isArray(value) ? value : value === undefined ? [] : [value];
  // An element with no attributes and no children parses as its text ('' if empty).
  return list.map((v) => (isXmlNode(v) ? v : typeof v === 'string' && v !== '' ? { '#text': v } : {}));
}

/** An element's text content ('' when it has none). */
export function readText(node: XmlNode): string {
  const text = node['#text'];
  return typeof text === 'string' ? text : '';
}
