import { isSmoothpubError } from '../errors.js';
import { Limiter } from '../util/limiter.js';
import { runAll } from '../util/runAll.js';
import type { PublishedPresentation } from './findPublished.js';
import { redactUrl } from './manifestUrl.js';
import { VerifyCode, type VerifyProblem } from './problem.js';
import { DEFAULT_VERIFY_CONCURRENCY, verifyPresentation, type VerifyOptions, type VerifyProgress, type VerifyReport } from './verifyPresentation.js';

/** One presentation of a library that did not verify, and what was wrong. */
export interface LibraryVerifyFailure {
  presentation: string;
  manifestUrl: string;
  problems: VerifyProblem[];
}

export type LibraryVerifyEvent =
  | { type: 'progress'; presentation: string; progress: VerifyProgress }
  | { type: 'verified'; presentation: string; report: VerifyReport };

export interface LibraryVerifyReport {
  ok: boolean;
  presentations: number;
  /** Presentations without a problem. */
  passed: number;
  failed: number;
  fragments: number;
  bytes: number;
  seconds: number;
  /** Every presentation with problems, in the order given. */
  failures: LibraryVerifyFailure[];
}

export interface VerifyLibraryOptions extends Omit<VerifyOptions, 'onProgress' | 'limiter'> {
  onEvent?: (e: LibraryVerifyEvent) => void;
}

/**
 * Verifies every presentation of a library as verifyPresentation does, with one
 * `concurrency` of fetches shared by all of them; each one's problems are reported with it
 * and the rest go on. Only an abort stops the run.
 */
export async function verifyLibrary(presentations: PublishedPresentation[], options: VerifyLibraryOptions = {}): Promise<LibraryVerifyReport> {
  const started = performance.now();
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_VERIFY_CONCURRENCY);
  const limiter = new Limiter(concurrency);
  const reports = new Array<VerifyReport | undefined>(presentations.length);
  await runAll(
    presentations,
    // A few presentations at once keep the shared slots busy while the next Manifests arrive.
    Math.max(2, Math.min(16, Math.ceil(concurrency / 4))),
    async (p, i) => {
      let report: VerifyReport;
      try {
        report = await verifyPresentation(p.manifestUrl, {
          ...options,
          limiter,
          onProgress: (progress) => options.onEvent?.({ type: 'progress', presentation: p.presentation, progress }),
        });
      } catch (e) {
        // A Manifest URL verify refuses (smooth.bad-url) is this presentation's problem.
        if (options.signal?.aborted || !isSmoothpubError(e)) throw e;
        const url = redactUrl(p.manifestUrl);
        report = { ok: false, manifestUrl: url, streams: 0, fragments: 0, initSegments: 0, bytes: 0, seconds: 0, problems: [{ url, code: VerifyCode.MANIFEST, message: e.message }], formats: {} };
      }
      reports[i] = report;
      options.onEvent?.({ type: 'verified', presentation: p.presentation, report });
    },
    options.signal,
  );
  const done = reports.filter((r): r is VerifyReport => r !== undefined);
  const failures = presentations.flatMap((p, i) => (reports[i]?.ok === false ? [{ presentation: p.presentation, manifestUrl: reports[i].manifestUrl, problems: reports[i].problems }] : []));
  return {
    ok: failures.length === 0,
    presentations: presentations.length,
    passed: done.filter((r) => r.ok).length,
    failed: failures.length,
    fragments: done.reduce((n, r) => n + r.fragments, 0),
    bytes: done.reduce((n, r) => n + r.bytes, 0),
    seconds: (performance.now() - started) / 1000,
    failures,
  };
}
