import { ErrorCode, SmoothpubError } from '../../errors.js';
import type { LibraryVerifyEvent, LibraryVerifyReport } from '../../verify/verifyLibrary.js';
import type { VerifyOptions } from '../../verify/verifyPresentation.js';
import { diagnostic, printEvent, throttle } from '../events.js';
import { readListFile } from '../listFile.js';
import { storeLocation } from '../options.js';
import { ExitCode, formatBytes } from '../output.js';

/** The flags of `verify` that concern a library (--all, --list) and where it is. */
export interface LibraryFlags {
  all?: boolean;
  list?: string;
  baseUrl?: string;
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
}

interface LibraryCliOptions extends LibraryFlags {
  json: boolean;
}

/** `verify --all <prefix>` and `verify --list <file> [<prefix>]`. */
export async function runVerifyLibrary(target: string | undefined, opts: LibraryCliOptions, options: VerifyOptions): Promise<void> {
  if (opts.all === true && opts.list !== undefined) throw new SmoothpubError(ErrorCode.BAD_OPTION, '--all and --list exclude each other: --all verifies every presentation under the prefix, --list those the file names');
  if (opts.all === true && target === undefined) throw new SmoothpubError(ErrorCode.USAGE, 'verify --all needs the prefix: az://container/prefix, s3://bucket/prefix, or a folder with --base-url');
  const only = opts.list === undefined ? undefined : await readListFile(opts.list);
  const { findPublished } = await import('../../verify/findPublished.js');
  const { verifyLibrary } = await import('../../verify/verifyLibrary.js');
  const found = await findPublished(target, {
    ...storeLocation(opts),
    ...(opts.baseUrl !== undefined && { baseUrl: opts.baseUrl }),
    ...(only !== undefined && { only }),
  });
  if (found.presentations.length === 0) throw new SmoothpubError(ErrorCode.NO_PRESENTATIONS, `no published presentation (no object named Manifest) under ${found.location}`);
  const render = opts.json ? jsonRenderer(found.presentations.length) : textRenderer();
  const report = await verifyLibrary(found.presentations, { ...options, onEvent: render.event });
  render.result(report);
  process.exitCode = report.ok ? ExitCode.OK : ExitCode.FAILED;
}

interface Renderer {
  event(e: LibraryVerifyEvent): void;
  result(r: LibraryVerifyReport): void;
}

/**
 * Per presentation its `problem` lines and its `result`, each carrying `presentation`;
 * progress lines count presentations; the last line is the library's `result`.
 */
function jsonRenderer(presentations: number): Renderer {
  const counts = { presentations, verified: 0, failed: 0 };
  const printCounts = throttle<typeof counts>(
    (c) => printEvent('progress', { ...c }),
    (c) => c.verified === c.presentations,
  );
  printCounts(counts);
  return {
    event(e) {
      if (e.type !== 'verified') return;
      for (const p of e.report.problems) printEvent('problem', { presentation: e.presentation, ...diagnostic(p.code, p.message, { url: p.url }) });
      printEvent('result', { presentation: e.presentation, command: 'verify', ...e.report });
      counts.verified++;
      if (!e.report.ok) counts.failed++;
      printCounts(counts);
    },
    result: (r) => printEvent('result', { command: 'verify', ...r }),
  };
}

/** A line per presentation as it is done (its problems below it), then those with problems again. */
function textRenderer(): Renderer {
  return {
    event(e) {
      if (e.type !== 'verified') return;
      const r = e.report;
      const what = `${r.fragments} fragments of ${r.streams} streams (${formatBytes(r.bytes)}) in ${r.seconds.toFixed(2)} s`;
      const lines = [r.ok ? `ok ${e.presentation}: ${what}` : `failed ${e.presentation}: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}, ${what}`];
      for (const p of r.problems) lines.push(`  problem ${p.code}: ${p.url}: ${p.message}`);
      process.stdout.write(lines.join('\n') + '\n');
    },
    result(r) {
      let text = `verified ${r.presentations} presentations, ${r.fragments} fragments (${formatBytes(r.bytes)}) in ${r.seconds.toFixed(2)} s: ${r.passed} ok, ${r.failed} with problems\n`;
      for (const f of r.failures) text += `  ${f.presentation}: ${f.problems.length} problem${f.problems.length === 1 ? '' : 's'} (${[...new Set(f.problems.map((p) => p.code))].join(', ')})\n`;
      process.stdout.write(text);
    },
  };
}
