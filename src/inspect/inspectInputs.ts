import { isSmoothpubError, type ErrorContext } from '../errors.js';
import type { SourceIndex } from '../index/types.js';
import type { LevelBinding } from '../plan/buildPresentation.js';
import { loadPresentation } from '../plan/loadPresentation.js';
import type { PresentationOptions } from '../plan/buildPresentation.js';
import type { Presentation } from '../smooth/model.js';

export interface Problem {
  code: string;
  message: string;
  context: ErrorContext;
}

export interface InspectReport {
  ok: boolean;
  sources: SourceIndex[];
  presentation?: Presentation;
  problems: Problem[];
}

/**
 * Indexes the inputs and builds the presentation, reporting problems (unreadable
 * files, unsupported codecs, misaligned levels) as values instead of throwing.
 */
export async function inspectInputs(inputs: string[], options: PresentationOptions = {}): Promise<InspectReport> {
  const sources: SourceIndex[] = [];
  try {
    const loaded = await loadPresentation(inputs, { ...options, onIndexed: (ix) => sources.push(ix) });
    return { ok: true, sources: loaded.sources.map((src) => withCutFragments(src, loaded.levels)), presentation: loaded.presentation, problems: [] };
  } catch (e) {
    if (!isSmoothpubError(e)) throw e;
    // Files are indexed concurrently: report them in a stable order.
    sources.sort((a, b) => a.file.localeCompare(b.file));
    return { ok: false, sources: sources.map((src) => withCutFragments(src, [])), problems: [{ code: e.code, message: e.message, context: e.context }] };
  }
}

/**
 * A plain MP4's tracks as the presentation cut them: their fragments, and the sample
 * count instead of the (large) sample table.
 */
function withCutFragments(src: SourceIndex, levels: LevelBinding[]): SourceIndex {
  if (src.method !== 'progressive') return src;
  return {
    ...src,
    tracks: src.tracks.map(({ samples, ...t }) => {
      const cut = levels.find((l) => l.track.file === t.file && l.track.trackId === t.trackId)?.track.fragments ?? t.fragments;
      return { ...t, fragments: cut, ...(samples && { sampleCount: samples.count }) };
    }),
  };
}
