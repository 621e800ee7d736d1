import { resolve } from 'node:path';
import { ErrorCode, SmoothpubError, type SmoothpubWarning } from '../errors.js';
import { buildPlan, levelFragmentObjects } from '../plan/buildPlan.js';
import type { BuiltPresentation, LevelBinding } from '../plan/buildPresentation.js';
import { loadPresentation, type LoadOptions, type ReadySources } from '../plan/loadPresentation.js';
import { presentationWarnings } from '../plan/presentationWarnings.js';
import type { Presentation } from '../smooth/model.js';
import { FolderWriting, type WriteProgress } from './writePlanToFolder.js';
import { earlyFragments } from './earlyFragments.js';
import { needsFormatMedia } from '../plan/prepareFormats.js';
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
  // or HLS each with its tfdt, made there once and taken as it is by prepareFormats.
  // Protected fragments are made once the whole presentation is known (protectPresentation),
  // a level at a time, and written as each level is done (onLevelProtected).
  const local = opts.files === undefined;
  const decodeTimes = needsFormatMedia(opts.formats) && !opts.protection ? new Map<TrackIndex, TrackIndex>() : undefined;
  const early = local && !opts.protection ? earlyFragments({ ...opts, ...(decodeTimes && { withTfdt: { files: blockingLocalAccess, made: decodeTimes } }) }) : undefined;
  return buildFolderAtomically(
    outDir,
    async (temp) => {
      const writing = new FolderWriting(temp, writeOptions);
      try {
        const loaded = await loadPresentation(opts.inputs, {
          ...opts,
          ...(local && { files: blockingLocalAccess, indexConcurrency: 1 }),
          ...(early && { onSourceReady: async (ready: ReadySources) => writing.sendEarly(await early(ready)) }),
          ...(decodeTimes && { decodeTimes }),
          // Protected fragments are written while the next ones are protected, handed over
          // as the writer takes them (never more than a few batches queued), and dropped
          // here once handed over: memory stays flat however long the presentation.
          ...(opts.protection && { onFragmentsProtected: (b: BuiltPresentation, part: LevelBinding) => writing.sendBuilt(levelFragmentObjects(b, part)), dropProtectedHandedOver: true }),
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
