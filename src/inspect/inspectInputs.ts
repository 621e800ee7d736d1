import { isSmoothpubError, type ErrorContext } from '../errors.js';
import type { SourceIndex } from '../index/types.js';
import { loadPresentation } from '../plan/loadPresentation.js';
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
export async function inspectInputs(inputs: string[]): Promise<InspectReport> {
  const sources: SourceIndex[] = [];
  try {
    const loaded = await loadPresentation(inputs, { onIndexed: (ix) => sources.push(ix) });
    return { ok: true, sources: loaded.sources, presentation: loaded.presentation, problems: [] };
  } catch (e) {
    if (!isSmoothpubError(e)) throw e;
    // Files are indexed concurrently: report them in a stable order.
    sources.sort((a, b) => a.file.localeCompare(b.file));
    return { ok: false, sources, problems: [{ code: e.code, message: e.message, context: e.context }] };
  }
}
