// A FormatPresentation built from fixture files exactly as the packager builds one
// (loadPresentation with DASH and HLS asked for, then formatPresentation).
import { FORMATS, type FormatPresentation } from '../../src/formats/model.js';
import { formatPresentation } from '../../src/plan/formatObjects.js';
import { loadPresentation, type LoadedPresentation } from '../../src/plan/loadPresentation.js';

export interface FormatFixture {
  loaded: LoadedPresentation;
  format: FormatPresentation;
}

export async function loadFormatFixture(inputs: string[]): Promise<FormatFixture> {
  const loaded = await loadPresentation(inputs, { formats: FORMATS });
  return { loaded, format: formatPresentation(loaded) };
}
