import type { Rung } from './ladder.js';
import type { SourceInfo } from './probeInput.js';

/** One output of the encode: a rung made concrete for this source. */
export interface Rendition {
  width: number;
  height: number;
  kbps: number;
  /** File name inside the renditions folder. */
  file: string;
}

/**
 * Concrete frame sizes for a ladder. Height-only rungs take their width from the
 * source's display aspect ratio (square pixels out); the default ladder also drops
 * rungs taller than the source (never upscale), keeping at least one level at the
 * source's own size. A WxH rung is a box the picture is fitted into, aspect kept, so
 * a 4:3 source in a 1280x720 rung becomes 960x720: an explicit ladder is used as given.
 */
export function planRenditions(ladder: readonly Rung[], source: SourceInfo, capAtSource: boolean): Rendition[] {
  const aspect = (source.width * source.sampleAspect) / source.height;
  let rungs = [...ladder];
  if (capAtSource) {
    const fitting = rungs.filter((r) => r.height <= source.height);
    const lowest = [...rungs].sort((a, b) => a.kbps - b.kbps)[0];
    rungs = fitting.length > 0 || lowest === undefined ? fitting : [{ height: even(source.height), kbps: lowest.kbps }];
  }
  return rungs
    .map((r) => {
      const { width, height } = r.width === undefined ? { width: even(r.height * aspect), height: r.height } : fitInto(r.width, r.height, aspect);
      return { width, height, kbps: r.kbps, file: `video_${width}x${height}_${r.kbps}k.mp4` };
    })
    .sort((a, b) => b.kbps - a.kbps);
}

function fitInto(boxWidth: number, boxHeight: number, aspect: number): { width: number; height: number } {
  if (boxWidth / boxHeight > aspect) return { width: even(boxHeight * aspect), height: boxHeight };
  return { width: boxWidth, height: even(boxWidth / aspect) };
}

/** The nearest even size of at least 2: H.264 4:2:0 frames have even dimensions. */
function even(n: number): number {
  return Math.max(2, Math.round(n / 2) * 2);
}
