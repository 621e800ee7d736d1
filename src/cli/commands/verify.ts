import type { Command } from 'commander';
import { ErrorCode, SmoothpubError, isSmoothpubError } from '../../errors.js';
import { parseDocumentUrl } from '../../verify/documentUrl.js';
import type { VerifyProgress, VerifyReport } from '../../verify/verifyPresentation.js';
import { diagnostic, printEvent, printStart, throttle } from '../events.js';
import { JSON_OPTION, parseConcurrency, parseFormats, parsePositiveInt } from '../options.js';
import { ExitCode, formatBytes } from '../output.js';

interface VerifyCliOptions {
  json?: boolean;
  concurrency: string;
  timeout: string;
  retries: string;
  policy?: boolean;
  origin?: string;
  formats?: string;
}

export function registerVerify(program: Command, signal: AbortSignal): void {
  program
    .command('verify')
    .description('fetch a published presentation like a player and check every fragment: status, moof+mdat, track, time, duration, video starting at a keyframe; Smooth, DASH or HLS')
    .argument('<manifest-url>', 'a Smooth Manifest, DASH MPD or HLS multivariant playlist URL (told apart by content), e.g. https://host/video.ism/Manifest, .../manifest.mpd, .../master.m3u8; with --formats also the presentation folder')
    .option(...JSON_OPTION)
    .option('--concurrency <n>', 'fragments and init segments fetched at once', '16')
    .option('--timeout <s>', 'longest wait in seconds for an answer or the next piece of a body', '30')
    .option('--retries <n>', 'further attempts per object after a network error, a timeout, 429 or 5xx (0 for none)', '3')
    .option('--policy', 'also require clientaccesspolicy.xml and crossdomain.xml at the host root')
    .option('--origin <origin>', 'send this Origin and require CORS to allow it (e.g. https://player.example)')
    .option('--formats <list>', 'verify these formats\' documents beside the URL (smooth, dash, hls: Manifest, manifest.mpd, master.m3u8 and their manifest(format=...) aliases), sharing the fragment fetches, and require DASH and HLS to name exactly the Smooth fragments; default: only the document at the URL')
    .addHelpText(
      'after',
      '\nEach problem is one line `problem <code>: <url>: <message>` (when several formats are verified, those it concerns follow in brackets); exit code 1 when any is found.\n\nExamples:\n  smoothpub verify https://account.blob.core.windows.net/videos/video.ism/Manifest\n  smoothpub verify http://127.0.0.1:8080/video.ism/Manifest --policy --origin https://player.example --json\n  smoothpub verify http://127.0.0.1:8080/video.ism/manifest.mpd\n  smoothpub verify http://127.0.0.1:8080/video.ism/Manifest --formats smooth,dash,hls',
    )
    .action(async (manifestUrl: string, opts: VerifyCliOptions) => {
      if (opts.json) printStart('verify');
      // Loaded on use: `--help` and other commands need not load this command's library.
      const { verifyPresentation } = await import('../../verify/verifyPresentation.js');
      const concurrency = parseConcurrency(opts.concurrency);
      const timeoutMs = parsePositiveInt('--timeout', opts.timeout, 3600) * 1000;
      const retries = opts.retries === '0' ? 0 : parsePositiveInt('--retries', opts.retries, 100);
      const formats = opts.formats === undefined ? undefined : parseFormats(opts.formats);
      asOption(() => parseDocumentUrl(manifestUrl, formats !== undefined));
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
          ...(formats !== undefined && { formats }),
        });
      } finally {
        progress.stop();
      }
      if (opts.json) {
        for (const p of report.problems) printEvent('problem', diagnostic(p.code, p.message, { url: p.url, ...(p.formats && { formats: p.formats }) }));
        printEvent('result', { command: 'verify', ...report });
      } else {
        process.stdout.write(formatReport(report));
      }
      process.exitCode = report.ok ? ExitCode.OK : ExitCode.FAILED;
    });
}

export function formatReport(r: VerifyReport): string {
  const lines = r.problems.map((p) => `problem ${p.code}: ${p.url}: ${p.message}${p.formats ? ` [${p.formats.join(', ')}]` : ''}`);
  const formats = Object.entries(r.formats);
  // A Smooth Manifest alone reads as it always has; other formats say what each named.
  const plain = r.initSegments === 0 && formats.every(([f]) => f === 'smooth');
  if (!plain) {
    for (const [f, c] of formats) {
      lines.push(`${f}: ${count(c.documents, 'document')}, ${count(c.initSegments, 'init segment')}, ${count(c.fragments, 'fragment')}, ${c.problems === 0 ? 'ok' : count(c.problems, 'problem')}`);
    }
  }
  const outcome = r.ok ? 'ok' : count(r.problems.length, 'problem');
  const inits = plain ? '' : ` and ${count(r.initSegments, 'init segment')}`;
  lines.push(`verified ${r.fragments} fragments${inits} of ${r.streams} streams (${formatBytes(r.bytes)}) in ${r.seconds.toFixed(2)} s: ${outcome}`);
  return lines.join('\n') + '\n';
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
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
      process.stderr.write(`\r\x1b[Kverifying: ${p.checked}/${p.total} objects, ${p.problems} problem${p.problems === 1 ? '' : 's'}`);
    },
    stop() {
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}
