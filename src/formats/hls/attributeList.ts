/**
 * RFC 8216 4.2 attribute lists: `NAME=value,NAME="quoted string",...`, names of
 * `[A-Z0-9-]`, no whitespace. A quoted string may hold anything but `"`, CR and LF.
 */

/** One attribute value as written: quoted strings without their quotes. */
export interface AttributeValue {
  text: string;
  quoted: boolean;
}

export type AttributeList = ReadonlyMap<string, AttributeValue>;

/** `"text"`, refusing what a quoted string cannot carry. */
export function quotedString(text: string): string {
  if (/["\r\n]/.test(text)) throw new RangeError(`an HLS quoted string cannot hold '"', CR or LF: ${JSON.stringify(text)}`);
  return `"${text}"`;
}

/**
 * Writes an attribute list from [name, value] pairs in order; `undefined` values are left
 * out, strings are written as given (quote them with `quotedString`), numbers in decimal.
 */
export function formatAttributeList(attributes: [string, string | number | undefined][]): string {
  return attributes.flatMap(([name, value]) => (value === undefined ? [] : [`${name}=${value}`])).join(',');
}

/** Why an attribute list does not parse: the message and the 0-based column. */
export class AttributeListError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
  }
}

const NAME = /^[A-Z0-9-]+$/;

/** Parses an attribute list; throws AttributeListError on a syntax error or a repeated name. */
export function parseAttributeList(text: string): Map<string, AttributeValue> {
  const out = new Map<string, AttributeValue>();
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new AttributeListError(`attribute ${JSON.stringify(text.slice(i))} has no '='`, i);
    const name = text.slice(i, eq);
    if (!NAME.test(name)) throw new AttributeListError(`attribute name ${JSON.stringify(name)} is not [A-Z0-9-]+`, i);
    if (out.has(name)) throw new AttributeListError(`attribute ${name} appears twice (RFC 8216 4.2)`, i);
    let value: AttributeValue;
    let end: number;
    if (text[eq + 1] === '"') {
      const close = text.indexOf('"', eq + 2);
      if (close < 0) throw new AttributeListError(`the quoted string of ${name} is not closed`, eq + 1);
      value = { text: text.slice(eq + 2, close), quoted: true };
      end = close + 1;
    } else {
      const comma = text.indexOf(',', eq + 1);
      end = comma < 0 ? text.length : comma;
      const raw = text.slice(eq + 1, end);
      if (raw === '' || /[\s"]/.test(raw)) throw new AttributeListError(`the value of ${name} (${JSON.stringify(raw)}) is empty or holds whitespace or '"'`, eq + 1);
      value = { text: raw, quoted: false };
    }
    out.set(name, value);
    if (end < text.length && text[end] !== ',') throw new AttributeListError(`expected ',' after ${name}, found ${JSON.stringify(text[end])}`, end);
    i = end + 1;
    if (end === text.length - 1) throw new AttributeListError('the attribute list ends with a comma', end);
  }
  return out;
}
