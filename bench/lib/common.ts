/** Small helpers every benchmark shares. */

export function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

/** `--name N` from the command line: a positive integer, else `fallback`. */
export function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs a positive integer`);
  return v;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Rounds to milliseconds (or thousandths) for the RESULT json. */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
