/** `hh:mm:ss.ttt` or `mm:ss.ttt` (W3C WebVTT 4.5): milliseconds, or undefined if malformed. */
export function parseWebVttTimestamp(s: string): number | undefined {
  const m = /^(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})$/.exec(s);
  if (m === null) return undefined;
  return ((Number(m[1] ?? 0) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number(m[4]);
}

/**
 * SRT's `hh:mm:ss,mmm`, read as players (ffmpeg, VLC) read it: the comma may be a dot,
 * the hours one digit, the fraction one to three digits (a decimal fraction: `,5` is
 * 500 ms).
 */
export function parseSrtTimestamp(s: string): number | undefined {
  const m = /^(\d{1,}):([0-5]?\d):([0-5]?\d)[,.](\d{1,3})$/.exec(s);
  if (m === null) return undefined;
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number(m[4]!.padEnd(3, '0'));
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function split(ms: number): [number, number, number, number] {
  return [Math.floor(ms / 3_600_000), Math.floor(ms / 60_000) % 60, Math.floor(ms / 1000) % 60, ms % 1000];
}

/** `hh:mm:ss.ttt`: the form WebVTT and TTML clock times share. */
export function formatClockTime(ms: number): string {
  const [h, m, s, f] = split(ms);
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(f, 3)}`;
}

/** `hh:mm:ss,mmm` for SRT. */
export function formatSrtTimestamp(ms: number): string {
  const [h, m, s, f] = split(ms);
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)},${pad(f, 3)}`;
}
