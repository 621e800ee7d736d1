import { resolve } from 'node:path';
import { ErrorCode, SmoothpubError, type SmoothpubWarning } from '../errors.js';
import { buildPlan, levelFragmentObjects } from '../plan/buildPlan.js';
import { loadPresentation, needsPreparation, type LoadOptions, type ReadySources } from '../plan/loadPresentation.js';
import { presentationWarnings } from '../plan/presentationWarnings.js';
import type { Presentation } from '../smooth/model.js';
import { FolderWriting, type WriteProgress } from './writePlanToFolder.js';
import { earlyFragments } from './earlyFragments.js';
import { ProtectOnWriters } from './protectOnWriters.js';
import type { TrackIndex } from '../fragments/types.js';
import { buildFolderAtomically } from '../util/atomicFolder.js';
import { exists } from '../util/exists.js';
import { blockingLocalAccess } from '../source/sourceAccess.js';
import { encryptionSummary, type EncryptionSummary } from '../plan/protectionSettings.js';

export interface PackageOptions extends LoadOptions {
  inputs: string[];
  outDir: string;
  /** Also write clientaccesspolicy.xml and crossdomain.xml. */
  policy?: boolean;
  /** Replace an existing output folder (atomically). */
  overwrite?: boolean;
  /** Writer threads (default: one a core, up to two; writerPool's defaultWriterThreads). */
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
  /** A protected presentation: its scheme and key IDs (never the keys). */
  encryption?: EncryptionSummary;
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
  // Writers default to one a core, up to two (writerPool): the clear copy is the kernel's
  // work and fills a core; protected payloads are read, encrypted and written in user
  // space, CPU work a second core shares as well (README, Protected content).
  const writeOptions = { ...(opts.concurrency !== undefined && { concurrency: opts.concurrency }), ...(opts.signal && { signal: opts.signal }), ...(opts.onProgress && { onProgress: opts.onProgress }) };
  // Local files are read with blocking calls, one source after the other, so the
  // fragments of each are written (earlyFragments) while the next is indexed; with DASH
  // or HLS (or encryption) each with its tfdt, made there once and taken as it is by
  // prepareFormats. Protected fragments are laid out and encrypted by the writer threads
  // from the one read that writes them (ProtectOnWriters): no payload is read here.
  const local = opts.files === undefined;
  const decodeTimes = needsPreparation(opts) ? new Map<TrackIndex, TrackIndex>() : undefined;
  const early = local ? earlyFragments({ ...opts, ...(decodeTimes && { withTfdt: { files: blockingLocalAccess, made: decodeTimes } }) }) : undefined;
  return buildFolderAtomically(
    outDir,
    async (temp) => {
      const writing = new FolderWriting(temp, writeOptions);
      const protecting = opts.protection && new ProtectOnWriters(writing, opts.protection);
      const sendEarly = async (ready: ReadySources): Promise<void> => {
        const part = await early!(ready);
        if (protecting) await protecting.early(part);
        else if (part) writing.sendEarly(part.levels.flatMap((level) => levelFragmentObjects(part.built, level)));
      };
      try {
        const loaded = await loadPresentation(opts.inputs, {
          ...opts,
          ...(local && { files: blockingLocalAccess, indexConcurrency: 1 }),
          ...(early && { onSourceReady: sendEarly }),
          ...(decodeTimes && { decodeTimes }),
          ...(protecting && { protectWhenWritten: protecting.whenWritten }),
        });
        const plan = buildPlan(loaded, { ...(opts.policy !== undefined && { policy: opts.policy }), ...(opts.formats !== undefined && { formats: opts.formats }) });
        await writing.finish(plan);
        const encryption = loaded.protection && encryptionSummary(loaded.protection);
        return { outDir, objects: plan.objects.length, bytes: plan.totalBytes, presentation: loaded.presentation, warnings: presentationWarnings(loaded, opts.formats), ...(encryption && { encryption }) };
      } catch (e) {
        writing.abort(e as Error);
        throw e;
      } finally {
        await writing.close();
      }
    },
    opts.signal,
  );
}
