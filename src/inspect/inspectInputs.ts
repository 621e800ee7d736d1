import { isSmoothpubError, type ErrorContext, type SmoothpubWarning } from '../errors.js';
import { tfxdWarning } from '../fragments/tfxdWarning.js';
import { nonSyncStartWarnings } from '../fragments/nonSyncStartWarnings.js';
import type { SourceIndex, TrackIndex } from '../fragments/types.js';
import type { DuplicateTrack, LevelBinding } from '../plan/buildPresentation.js';
import { loadPresentation } from '../plan/loadPresentation.js';
import type { PresentationOptions } from '../plan/buildPresentation.js';
import type { Presentation } from '../smooth/model.js';
import { SYSTEM_IDS } from '../protect/model.js';
import type { ProtectionSystem, SourceEncryption, SourceTrackProtection } from '../protect/sourceProtection.js';

export interface Problem {
  code: string;
  message: string;
  context: ErrorContext;
}

/**
 * An already-encrypted track's protection as inspect shows it: the scheme, KID, IV size and
 * pattern, and of each DRM header its system and key IDs and size. Never a header's data
 * (no key is ever known here; the data is summed up as its size).
 */
export interface InspectedProtection extends SourceEncryption {
  systems: (Omit<ProtectionSystem, 'data'> & { name?: string; bytes: number })[];
}

/** A track as inspect reports it; a plain MP4's sample table is summed up as its count. */
export interface InspectedTrack extends Omit<TrackIndex, 'samples' | 'protection'> {
  protection?: InspectedProtection;
  sampleCount?: number;
  /** A plain MP4 track the presentation leaves out, and why: it has no fragments of its own. */
  notUsed?: string;
}

export interface InspectedSource extends Omit<SourceIndex, 'tracks'> {
  tracks: InspectedTrack[];
}

/** The presentation as inspect reports it: its protection headers by system and size. */
export type InspectedPresentation = Omit<Presentation, 'protection'> & { protection?: { systemId: string; bytes: number }[] };

export interface InspectReport {
  ok: boolean;
  sources: InspectedSource[];
  presentation?: InspectedPresentation;
  problems: Problem[];
  /** What does not stop packaging but is worth knowing: tfxd boxes that disagree with their samples, fragments far longer than asked for, fragments starting at a non-sync sample. */
  warnings: SmoothpubWarning[];
}

/**
 * Indexes the inputs and builds the presentation, reporting problems (unreadable
 * files, unsupported codecs, misaligned levels) as values instead of throwing.
 */
export async function inspectInputs(inputs: string[], options: PresentationOptions & { signal?: AbortSignal } = {}): Promise<InspectReport> {
  const sources: SourceIndex[] = [];
  try {
    const loaded = await loadPresentation(inputs, { ...options, onIndexed: (ix) => sources.push(ix) });
    return {
      ok: true,
      sources: loaded.sources.map((src) => withCutFragments(src, loaded.levels, loaded.duplicates)),
      presentation: inspectedPresentation(loaded.presentation),
      problems: [],
      warnings: [...loaded.warnings, ...warningsOf(loaded.sources)],
    };
  } catch (e) {
    if (!isSmoothpubError(e)) throw e;
    // Files are indexed concurrently: report them in a stable order.
    sources.sort((a, b) => a.file.localeCompare(b.file));
    // No presentation: what each source says of itself is still worth saying.
    const warnings = [...sources.flatMap((src) => src.tracks.flatMap((t) => tfxdWarning(t) ?? [])), ...warningsOf(sources)];
    return { ok: false, sources: sources.map((src) => withCutFragments(src, [], [])), problems: [{ code: e.code, message: e.message, context: e.context }], warnings };
  }
}

const SYSTEM_NAMES = new Map<string, string>(Object.entries(SYSTEM_IDS).map(([name, id]) => [id, name]));

function inspectedProtection({ systems, ...encryption }: SourceTrackProtection): InspectedProtection {
  return {
    ...encryption,
    systems: systems.map((s) => {
      const name = SYSTEM_NAMES.get(s.systemId);
      return { systemId: s.systemId, ...(name !== undefined && { name }), box: s.box, kids: s.kids, bytes: s.data.length };
    }),
  };
}

function inspectedPresentation(p: Presentation): InspectedPresentation {
  const { protection, ...rest } = p;
  return protection === undefined ? rest : { ...rest, protection: protection.map((h) => ({ systemId: h.systemId, bytes: Math.floor((h.data.replace(/=+$/, '').length * 3) / 4) })) };
}

function warningsOf(sources: SourceIndex[]): SmoothpubWarning[] {
  return sources.flatMap((src) => src.tracks.flatMap((t) => nonSyncStartWarnings(t)));
}

/**
 * A plain MP4's tracks as the presentation cut them: their fragments, and the sample
 * count instead of the (large) sample table. A track left out (the same audio muxed into
 * every rendition is used once) says so rather than showing no fragments unexplained.
 */
function withCutFragments(src: SourceIndex, levels: LevelBinding[], duplicates: DuplicateTrack[]): InspectedSource {
  const shown = ({ protection, ...t }: TrackIndex): Omit<TrackIndex, 'protection'> & { protection?: InspectedProtection } => (protection ? { ...t, protection: inspectedProtection(protection) } : t);
  if (src.method !== 'progressive') return { ...src, tracks: src.tracks.map(shown) };
  const isTrack = (a: TrackIndex, b: Pick<TrackIndex, 'file' | 'trackId'>): boolean => a.file === b.file && a.trackId === b.trackId;
  return {
    ...src,
    tracks: src.tracks.map((track) => {
      const { samples, ...t } = shown(track);
      // A tx3g track's level is the TTML track made from it: found by its source track ID.
      const level = levels.find((l) => (l.text?.sourceTrackId === undefined ? isTrack(l.track, t) : l.track.file === t.file && l.text.sourceTrackId === t.trackId));
      // Cut fragments are timed on the presentation clock: the track says so.
      const inspected: InspectedTrack = { ...t, ...(level && { timescale: level.track.timescale, fragments: level.track.fragments }), ...(samples && { sampleCount: samples.count }) };
      if (level === undefined && levels.length > 0) {
        const twin = duplicates.find((d) => isTrack(d.track, t))?.sameAs;
        inspected.notUsed = twin ? `the same samples as ${twin.file} track ${twin.trackId}` : 'not selected';
      }
      return inspected;
    }),
  };
}
