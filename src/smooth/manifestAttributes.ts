import { ErrorCode, SmoothpubError } from '../errors.js';
import { parseDecimal, parseDecimalNumber } from './parseDecimal.js';
import { readAttribute, type XmlNode } from './xmlNode.js';

/** Numeric manifest attributes, read leniently (surrounding spaces, leading zeros) but never guessed. */
export function readNumberAttribute(node: XmlNode, name: string, where: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const text = readAttribute(node, name);
  if (text === undefined) return undefined;
  const value = parseDecimalNumber(stripLeadingZeros(text.trim()), max);
  if (value === undefined) throw badValue(where, name, text, `an unsigned integer up to ${max}`);
  return value;
}

/** A 64-bit unsigned time or duration. */
export function readTimeAttribute(node: XmlNode, name: string, where: string): bigint | undefined {
  const text = readAttribute(node, name);
  if (text === undefined) return undefined;
  const value = parseDecimal(stripLeadingZeros(text.trim()), { maxDigits: 20 });
  if (value === undefined || value >= 1n << 64n) throw badValue(where, name, text, 'an unsigned 64-bit integer');
  return value;
}

export function badManifest(message: string): SmoothpubError {
  return new SmoothpubError(ErrorCode.BAD_MANIFEST, `manifest: ${message}`);
}

function badValue(where: string, name: string, text: string, expected: string): SmoothpubError {
  return badManifest(`${where}: ${name} must be ${expected}, found ${JSON.stringify(text)}`);
}

function stripLeadingZeros(text: string): string {
  return text.replace(/^0+(?=\d)/, '');
}
