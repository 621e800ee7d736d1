/**
 * Strict unsigned decimal parsing: ASCII digits only, no sign, exponent, dot or
 * whitespace. Returns undefined for anything else, so callers choose the error.
 */
export function parseDecimal(text: string, options: { maxDigits: number; canonical?: boolean }): bigint | undefined {
  if (text.length === 0 || text.length > options.maxDigits) return undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  // Canonical form: one URL per object, so `Fragments(video=007)` is not an alias of `=7`.
  if (options.canonical === true && text.length > 1 && text.startsWith('0')) return undefined;
  return BigInt(text);
}

/** A decimal that must also fit a JS number no larger than `max`. */
export function parseDecimalNumber(text: string, max: number, options: { canonical?: boolean } = {}): number | undefined {
  const value = parseDecimal(text, { maxDigits: String(max).length, ...options });
  if (value === undefined || value > BigInt(max)) return undefined;
  return Number(value);
}
