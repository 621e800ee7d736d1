import type { Command } from 'commander';
import { ErrorCode, SmoothpubError, isSmoothpubError } from '../../errors.js';
import { parseManifestUrl } from '../../verify/manifestUrl.js';
import type { VerifyProgress, VerifyReport } from '../../verify/verifyPresentation.js';
import { diagnostic, printEvent, printStart, throttle } from '../events.js';
import { JSON_OPTION, parseConcurrency, parsePositiveInt } from '../options.js';
import { ExitCode, formatBytes } from '../output.js';

interface VerifyCliOptions {
  json?: boolean;
  concurrency: string;
  timeout: string;
  retries: string;
  policy?: boolean;
  origin?: string;
}

export function registerVerify(program: Command, signal: AbortSignal): void {
  program
    .command('verify')
    .description('fetch a published presentation like a player and check every fragment: status, moof+mdat, track, time, duration, video starting at a keyframe')
    .argument('<manifest-url>', 'the presentation\'s Manifest URL, e.g. https://host/video.ism/Manifest')
    .option(...JSON_OPTION)
    .option('--concurrency <n>', 'fragments fetched at once', '16')
    .option('--timeout <s>', 'longest wait in seconds for an answer or the next piece of a body', '30')
    .option('--retries <n>', 'further attempts per object after a network error, a timeout, 429 or 5xx (0 for none)', '3')
    .option('--policy', 'also require clientaccesspolicy.xml and crossdomain.xml at the host root')
    .option('--origin <origin>', 'send this Origin and require CORS to allow it (e.g. https://player.example)')
    .addHelpText(
      'after',
      '\nEach problem is one line `problem <code>: <url>: <message>`; exit code 1 when any is found.\n\nExamples:\n  smoothpub verify https://account.blob.core.windows.net/videos/video.ism/Manifest\n  smoothpub verify http://127.0.0.1:8080/video.ism/Manifest --policy --origin https://player.example --json',
    )
    .action(async (manifestUrl: string, opts: VerifyCliOptions) => {
      if (opts.json) printStart('verify');
      // Loaded on use: `--help` and other commands need not load this command's library.
      const { verifyPresentation } = await import('../../verify/verifyPresentation.js');
      const concurrency = parseConcurrency(opts.concurrency);
      const timeoutMs = parsePositiveInt('--timeout', opts.timeout, 3600) * 1000;
      const retries = opts.retries === '0' ? 0 : parsePositiveInt('--retries', opts.retries, 100);
      asOption(() => parseManifestUrl(manifestUrl));
      if (opts.origin !== undefined) checkOrigin(opts.origin);
      const progress = opts.json
        ? { update: throttle<VerifyProgress>((p) => printEvent('progress', { ...p }), (p) => p.checked === p.total), stop: () => undefined }
        : createProgressLine(true);
      let report: VerifyReport;
      try {
        report = await verifyPresentation(manifestUrl, {
          concurrency,
          timeoutMs,
          retries,
          checkPolicy: opts.policy === true,
          signal,
          onProgress: (p) => progress.update(p),
          ...(opts.origin !== undefined && { origin: opts.origin }),
        });
      } finally {
        progress.stop();
      }
      if (opts.json) {
        for (const p of report.problems) printEvent('problem', diagnostic(p.code, p.message, { url: p.url }));
        printEvent('result', { command: 'verify', ...report });
      } else {
        process.stdout.write(formatReport(report));
      }
      process.exitCode = report.ok ? ExitCode.OK : ExitCode.FAILED;
    });
}

export function formatReport(r: VerifyReport): string {
  const lines = r.problems.map((p) => `problem ${p.code}: ${p.url}: ${p.message}`);
  const outcome = r.ok ? 'ok' : `${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`;
  lines.push(`verified ${r.fragments} fragments of ${r.streams} streams (${formatBytes(r.bytes)}) in ${r.seconds.toFixed(2)} s: ${outcome}`);
  return lines.join('\n') + '\n';
}

/** A bad URL given on the command line is a usage error (exit 2), not a verify failure. */
function asOption<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isSmoothpubError(e) && e.code === ErrorCode.BAD_URL) throw new SmoothpubError(ErrorCode.BAD_OPTION, e.message);
    throw e;
  }
}

function checkOrigin(origin: string): void {
  let parsed: string | undefined;
  try {
    parsed = new URL(origin).origin;
  } catch {
    parsed = undefined;
  }
  if (parsed !== origin) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, `--origin must be an origin like https://player.example (scheme, host, optional port; no path), got '${origin}'`);
  }
}

/** One line rewritten in place on a terminal's stderr, at most 10 times a second. */
function createProgressLine(enabled: boolean): { update(p: VerifyProgress): void; stop(): void } {
  if (!enabled || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  let last = 0;
  let shown = false;
  return {
    update(p) {
      const now = performance.now();
      if (p.checked !== p.total && now - last < 100) return;
      last = now;
      shown = true;
      process.stderr.write(`\r\x1b[Kverifying: ${p.checked}/${p.total} fragments, ${p.problems} problem${p.problems === 1 ? '' : 's'}`);
    },
    stop() {
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}
