import { ErrorCode, SmoothpubError } from '../errors.js';

/** One level of an encoding ladder: a frame size (or just a height) and a video bitrate. */
export interface Rung {
  /** Absent in the default ladder: the width follows the source's display aspect ratio. */
  width?: number;
  height: number;
  /** Target video bitrate in kbit/s. */
  kbps: number;
}

/**
 * The default ladder, by height: close to Apple's HLS authoring table (416x234 up to
 * 1920x1080 for 16:9), which is also what Azure Media Services' multi-bitrate presets
 * made for Smooth. Levels taller than the source are dropped: never upscale.
 */
export const DEFAULT_LADDER: readonly Rung[] = [
  { height: 1080, kbps: 5800 },
  { height: 720, kbps: 3500 },
  { height: 540, kbps: 2000 },
  { height: 432, kbps: 1100 },
  { height: 360, kbps: 730 },
  { height: 234, kbps: 300 },
];

/** `1280x720@3000k,640x360@800k` (or `720@3000k`: width from the source's aspect ratio). */
export function parseLadder(spec: string): Rung[] {
  const rungs = spec.split(',').map((part) => parseRung(part.trim(), spec));
  if (rungs.length === 0) throw badLadder(spec, 'no levels');
  const seen = new Set<string>();
  for (const r of rungs) {
    const key = `${r.width ?? ''}x${r.height}@${r.kbps}`;
    if (seen.has(key)) throw badLadder(spec, `level ${key}k is given twice`);
    seen.add(key);
  }
  return rungs;
}

function parseRung(part: string, spec: string): Rung {
  const m = /^(?:(\d{1,5})x)?(\d{1,5})p?@(\d{1,6})(k|m)?$/i.exec(part);
  if (!m) throw badLadder(spec, `expected WIDTHxHEIGHT@KBITSk (e.g. 1280x720@3000k), found '${part}'`);
  const kbps = m[4]?.toLowerCase() === 'm' ? Number(m[3]) * 1000 : Number(m[3]);
  const height = Number(m[2]);
  const width = m[1] === undefined ? undefined : Number(m[1]);
  // H.264 in 4:2:0 needs even dimensions.
  if (height < 2 || height % 2 !== 0 || (width !== undefined && (width < 2 || width % 2 !== 0))) throw badLadder(spec, `'${part}': width and height must be even and at least 2`);
  if (kbps < 1) throw badLadder(spec, `'${part}': the bitrate must be at least 1k`);
  return width === undefined ? { height, kbps } : { width, height, kbps };
}

function badLadder(spec: string, why: string): SmoothpubError {
  return new SmoothpubError(ErrorCode.BAD_OPTION, `--ladder '${spec}': ${why}`);
}
