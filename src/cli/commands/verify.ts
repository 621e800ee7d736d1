import type { Command } from 'commander';
import { ErrorCode, SmoothpubError, isSmoothpubError } from '../../errors.js';
import { parseDocumentUrl } from '../../verify/documentUrl.js';
import type { VerifyOptions, VerifyProgress, VerifyReport } from '../../verify/verifyPresentation.js';
import { diagnostic, printEvent, printStart, throttle } from '../events.js';
import { JSON_OPTION, addProtectionHeaderOption, parseConcurrency, parseFormats, parsePositiveInt, passthroughHeaders } from '../options.js';
import { ExitCode, formatBytes } from '../output.js';
import type { LibraryFlags } from './verifyLibrary.js';

interface VerifyCliOptions extends LibraryFlags {
  json?: boolean;
  concurrency: string;
  timeout: string;
  retries: string;
  policy?: boolean;
  origin?: string;
  formats?: string;
  protectionHeader?: string[];
}

export function registerVerify(program: Command, signal: AbortSignal): void {
  const command = program
    .command('verify')
    .description('fetch a published presentation (or every one under a prefix: --all, --list) like a player and check every fragment: status, moof+mdat, track, time, duration, video starting at a keyframe; Smooth, DASH or HLS')
    .argument('[manifest-url]', "a Smooth Manifest, DASH MPD or HLS multivariant playlist URL (told apart by content), e.g. https://host/video.ism/Manifest, .../manifest.mpd, .../master.m3u8; with --formats also the presentation folder; with --all or --list: the prefix (az://container/prefix, s3://bucket/prefix, a folder with --base-url; --list also https://base/)")
    .option('--all', 'verify every presentation published under the prefix (every object named Manifest)')
    .option('--list <file>', 'verify the presentations this file names, one a line: paths under the prefix (films/a.ism) or Manifest URLs')
    .option('--base-url <url>', "with --all/--list: the address players use for the prefix (CDN, public container); default: the store's own URL of each object")
    .option('--endpoint <url>', 'with an az:// or s3:// prefix: blob service / S3 endpoint (Azurite: http://127.0.0.1:10000/devstoreaccount1)')
    .option('--region <region>', 'with an s3:// prefix: S3 region')
    .option('--path-style', 'with an s3:// prefix: path-style addressing (default when --endpoint is given)')
    .option(...JSON_OPTION)
    .option('--concurrency <n>', 'fragments and init segments fetched at once (--all, --list: shared by the whole library)', '16')
    .option('--timeout <s>', 'longest wait in seconds for an answer or the next piece of a body', '30')
    .option('--retries <n>', 'further attempts per object after a network error, a timeout, 429 or 5xx (0 for none)', '3')
    .option('--policy', 'also require clientaccesspolicy.xml and crossdomain.xml at the host root')
    .option('--origin <origin>', 'send this Origin and require CORS to allow it (e.g. https://player.example)')
    .option('--formats <list>', 'verify these formats\' documents beside the URL (smooth, dash, hls: Manifest, manifest.mpd, master.m3u8 and their manifest(format=...) aliases), sharing the fragment fetches, and require DASH and HLS to name exactly the Smooth fragments; default: only the document at the URL');
  addProtectionHeaderOption(command)
    .addHelpText(
      'after',
      `
Each problem is one line \`problem <code>: <url>: <message>\` (when several formats are verified,
those it concerns follow in brackets); exit code 1 when any is found.

Libraries: --all lists the prefix (credentials as for publish) and verifies every presentation
with a Manifest under it, --concurrency shared by all; one line per presentation, those with
problems listed at the end, exit code 1 if any. Fetched at --base-url/<path>/Manifest, or at
the store's URL of each object (public containers; a SAS in the credentials is sent along).

Examples:
  smoothpub verify https://account.blob.core.windows.net/videos/video.ism/Manifest
  smoothpub verify http://127.0.0.1:8080/video.ism/Manifest --policy --origin https://player.example --json
  smoothpub verify http://127.0.0.1:8080/video.ism/manifest.mpd
  smoothpub verify http://127.0.0.1:8080/video.ism/Manifest --formats smooth,dash,hls
  smoothpub verify --all az://media/films --formats smooth,dash,hls
  smoothpub verify --all s3://my-bucket/films --base-url https://cdn.example/films`,
    )
    .action(async (target: string | undefined, opts: VerifyCliOptions) => {
      if (opts.json) printStart('verify');
      if (opts.all === true || opts.list !== undefined) {
        const { runVerifyLibrary } = await import('./verifyLibrary.js');
        await runVerifyLibrary(target, { ...opts, json: opts.json === true }, verifyOptions(opts, signal));
        return;
      }
      if (opts.baseUrl !== undefined || opts.endpoint !== undefined) throw new SmoothpubError(ErrorCode.BAD_OPTION, '--base-url and --endpoint are for a library (--all or --list)');
      if (target === undefined) throw new SmoothpubError(ErrorCode.USAGE, "missing required argument 'manifest-url'");
      const manifestUrl = target;
      // Loaded on use: `--help` and other commands need not load this command's library.
      const { verifyPresentation } = await import('../../verify/verifyPresentation.js');
      const options = verifyOptions(opts, signal);
      asOption(() => parseDocumentUrl(manifestUrl, options.formats !== undefined));
      const progress = opts.json
        ? { update: throttle<VerifyProgress>((p) => printEvent('progress', { ...p }), (p) => p.checked === p.total), stop: () => undefined }
        : createProgressLine(true);
      let report: VerifyReport;
      try {
        report = await verifyPresentation(manifestUrl, { ...options, onProgress: (p) => progress.update(p) });
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

/** The options every presentation is verified with, one or a library of them. */
function verifyOptions(opts: VerifyCliOptions, signal: AbortSignal): VerifyOptions {
  if (opts.origin !== undefined) checkOrigin(opts.origin);
  return {
    concurrency: parseConcurrency(opts.concurrency),
    timeoutMs: parsePositiveInt('--timeout', opts.timeout, 3600) * 1000,
    retries: opts.retries === '0' ? 0 : parsePositiveInt('--retries', opts.retries, 100),
    checkPolicy: opts.policy === true,
    signal,
    ...(opts.origin !== undefined && { origin: opts.origin }),
    ...(opts.formats !== undefined && { formats: parseFormats(opts.formats) }),
    ...passthroughHeaders(opts.protectionHeader),
  };
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
export function createProgressLine(enabled: boolean): { update(p: VerifyProgress): void; stop(): void } {
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
