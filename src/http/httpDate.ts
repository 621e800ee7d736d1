let lastSecond = NaN;
let lastText = '';

/** An HTTP-date (RFC 9110 5.6.7) from epoch milliseconds, to whole seconds. */
export function formatHttpDate(ms: number): string {
  const second = Math.floor(ms / 1000);
  // An origin formats the same few dates (its sources' mtimes) on every request.
  if (second !== lastSecond) {
    lastText = new Date(second * 1000).toUTCString();
    lastSecond = second;
  }
  return lastText;
}

/** Epoch milliseconds of an HTTP-date, or undefined when it does not parse. */
export function parseHttpDate(text: string | null): number | undefined {
  if (text === null || text.length > 64) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}
