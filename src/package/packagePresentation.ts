import { resolve } from 'node:path';
import { ErrorCode, SmoothpubError, type SmoothpubWarning } from '../errors.js';
import { buildPlan } from '../plan/buildPlan.js';
import { loadPresentation, type LoadOptions } from '../plan/loadPresentation.js';
import { presentationWarnings } from '../plan/presentationWarnings.js';
import type { Presentation } from '../smooth/model.js';
import { writePlanToFolder, type WriteProgress } from './writePlanToFolder.js';
import { buildFolderAtomically } from '../util/atomicFolder.js';
import { exists } from '../util/exists.js';

export interface PackageOptions extends LoadOptions {
  inputs: string[];
  outDir: string;
  /** Also write clientaccesspolicy.xml and crossdomain.xml. */
  policy?: boolean;
  /** Replace an existing output folder (atomically). */
  overwrite?: boolean;
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: WriteProgress) => void;
}

export interface PackageResult {
  outDir: string;
  objects: number;
  bytes: number;
  presentation: Presentation;
  /** What the user should know about the presentation (see BuiltPresentation.warnings). */
  warnings: SmoothpubWarning[];
}

/**
 * Lays out a static Smooth presentation: `<outDir>/Manifest` and
 * `<outDir>/QualityLevels(b)/Fragments(name=t)`, each fragment the source's exact
 * `moof`+`mdat` bytes; with `formats` DASH and HLS beside them (buildPlan). Built in a hidden folder beside `outDir` and renamed into
 * place at the end, so a failed or interrupted run leaves no half presentation.
 */
export async function packagePresentation(opts: PackageOptions): Promise<PackageResult> {
  const outDir = resolve(opts.outDir);
  if (!opts.overwrite && (await exists(outDir))) {
    throw new SmoothpubError(ErrorCode.OUTPUT_EXISTS, 'output folder already exists; choose another or pass --force to replace it', { file: outDir });
  }
  const loaded = await loadPresentation(opts.inputs, opts);
  const plan = buildPlan(loaded, { ...(opts.policy !== undefined && { policy: opts.policy }), ...(opts.formats !== undefined && { formats: opts.formats }) });
  const writeOptions = { ...(opts.concurrency !== undefined && { concurrency: opts.concurrency }), ...(opts.signal && { signal: opts.signal }), ...(opts.onProgress && { onProgress: opts.onProgress }) };
  await buildFolderAtomically(outDir, (temp) => writePlanToFolder(plan, temp, writeOptions), opts.signal);
  return { outDir, objects: plan.objects.length, bytes: plan.totalBytes, presentation: loaded.presentation, warnings: presentationWarnings(loaded) };
}
