import type { FourCCOptions, H264FourCC, HevcFourCC } from './fourCCFor.js';

export type VideoFourCC = H264FourCC | HevcFourCC;

/**
 * The FourCC a presentation states for its video: one code, or one per codec
 * (`['AVC1', 'HEV1']`). A code for H.264 (H264, AVC1) applies to H.264 levels only, one for
 * HEVC (HVC1, HEV1) to HEVC levels only; a codec without one keeps its default.
 */
export type FourCCChoice = VideoFourCC | readonly VideoFourCC[];

export function fourCCOptionsOf(choice: FourCCChoice | undefined): FourCCOptions {
  const out: FourCCOptions = {};
  const codes: readonly VideoFourCC[] = choice === undefined ? [] : typeof choice === 'string' ? [choice] : choice;
  for (const code of codes) {
    if (code === 'H264' || code === 'AVC1') out.h264FourCC = code;
    else out.hevcFourCC = code;
  }
  return out;
}
