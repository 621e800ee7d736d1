import { XMLValidator } from 'fast-xml-parser';

/** Why a text is not well-formed XML, or undefined when it is. */
export function describeXmlProblem(text: string): string | undefined {
  if (text.trim() === '') return 'an empty document';
  const valid = XMLValidator.validate(text);
  if (valid === true) return undefined;
  const where = [valid.err.line === undefined ? '' : `line ${valid.err.line}`, valid.err.col === undefined ? '' : `column ${valid.err.col}`].filter((s) => s !== '');
  return `malformed XML: ${valid.err.msg}${where.length > 0 ? ` (${where.join(', ')})` : ''}`;
}
