import { describeContext, WarningCode, type SmoothpubWarning } from '../errors.js';
import { nonSyncStartWarnings } from '../fragments/nonSyncStartWarnings.js';
import type { Format } from '../formats/model.js';
import type { SampleEntry } from '../bmff/stsd.js';
import type { BuiltPresentation } from './buildPresentation.js';

/**
 * Everything worth a warning about a presentation that is still made: what building it
 * found (open GOP tfxd, long fragments) and what its output cannot fix (fragments that
 * start at a non-sync sample and could not be joined; with HLS among `formats`, HEVC
 * levels whose sample entry is `hev1`). package and publish print these.
 */
export function presentationWarnings(built: Pick<BuiltPresentation, 'levels' | 'warnings'>, formats: readonly Format[] = []): SmoothpubWarning[] {
  const hev1 = formats.includes('hls') ? built.levels.filter((l) => clearFormat(l.track.sampleEntry) === 'hev1').map((l) => hev1Warning(l.track)) : [];
  return [...built.warnings, ...built.levels.flatMap((l) => nonSyncStartWarnings(l.track, { unmergedOnly: true })), ...hev1];
}

/** An encrypted entry's original format (unknown without sinf/frma: no warning). */
function clearFormat(entry: SampleEntry): string | undefined {
  return entry.format === 'encv' ? entry.originalFormat : entry.format;
}

/** Apple's HLS authoring specification wants `hvc1` (parameter sets in the sample entry only) for HEVC in fMP4. */
function hev1Warning(track: { file: string; trackId: number }): SmoothpubWarning {
  const context = { file: track.file, trackId: track.trackId };
  return {
    code: WarningCode.HLS_HEV1,
    message: `HEVC track with sample entry 'hev1': its HLS init segments and CODECS say hev1 as the source does, and Apple's HLS players want hvc1; remux the source without re-encoding (ffmpeg -i IN -c copy -tag:v hvc1 OUT.mp4)${describeContext(context)}`,
    context,
  };
}
