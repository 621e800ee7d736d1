import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { ErrorCode, SmoothpubError } from '../../errors.js';
import { DEFAULT_CONCURRENCY } from '../../publish/defaults.js';
import type { PublishEvent } from '../../publish/publishPlan.js';
import type { PublicReadChange } from '../../stores/store.js';
import { diagnostic, printEvent, printStart, throttle } from '../events.js';
import {
  FORCE_FLAGS,
  FOURCC_OPTION,
  FRAGMENT_CACHE_CONTROL_OPTION,
  FRAGMENT_DURATION_OPTION,
  JSON_OPTION,
  MANIFEST_CACHE_CONTROL_OPTION,
  MANIFEST_TIMELINE_OPTION,
  parseConcurrency,
  parseFourCC,
  parseFragmentDuration,
  parseManifestTimeline,
  parsePositiveInt,
  storeLocation,
  FORMATS_OPTION, parseFormats } from '../options.js';
import { formatBytes } from '../output.js';

interface PublishCliOptions {
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
  concurrency: string;
  retries: string;
  force?: boolean;
  dryRun?: boolean;
  policy?: boolean;
  cors?: string;
  public?: boolean;
  fragmentCacheControl: string;
  manifestCacheControl: string;
  fourcc: string;
  fragmentDuration: string;
  manifestTimeline: string;
  formats: string;
  json?: boolean;
  progress: boolean;
}

export function registerPublish(program: Command, signal: AbortSignal): void {
  program
    .command('publish')
    .description('upload a presentation to Azure Blob Storage, S3 or a folder: fragments first, the Manifest last, resumable')
    .argument('<inputs_and_dest...>', 'inputs (.ismv/.isma/.ism, or one packaged folder), then the destination')
    .option('--endpoint <url>', 'blob service / S3 endpoint (Azurite: http://127.0.0.1:10000/devstoreaccount1)')
    .option('--region <region>', 'S3 region (default: from the AWS environment)')
    .option('--path-style', 'S3 path-style addressing (default when --endpoint is given)')
    .option('--concurrency <n>', 'requests in flight', String(DEFAULT_CONCURRENCY))
    .option('--retries <n>', 'retries per object on 408/429/5xx, resets and timeouts', '8')
    .option(FORCE_FLAGS, 'replace what the destination holds: upload unchanged objects too (e.g. for new Cache-Control), and overwrite policy files at the root that differ from ours')
    .option('--dry-run', 'print what would be uploaded, upload nothing')
    .option('--policy', 'upload clientaccesspolicy.xml and crossdomain.xml to the account/bucket root (a different one already there is kept unless --force)')
    .option('--cors <origins>', "let browser players on these origins (comma-separated, or '*') GET: adds a CORS rule after the owner's, unless one already allows it")
    .option('--public', 'make the Azure container\'s blobs publicly readable (blob access; stored access policies and container-level access are kept)')
    .option(...FRAGMENT_CACHE_CONTROL_OPTION)
    .option(...MANIFEST_CACHE_CONTROL_OPTION)
    .option(...FOURCC_OPTION)
    .option(...FRAGMENT_DURATION_OPTION)
    .option(...MANIFEST_TIMELINE_OPTION)
    .option(...FORMATS_OPTION)
    .option('--no-progress', 'no progress bar')
    .option(...JSON_OPTION)
    .addHelpText(
      'after',
      `
Destinations:
  az://<container>/<prefix>   credentials: AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT
                              with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN, or Entra ID
                              sign-in with the Azure default credential chain (az login,
                              managed identity, ...; needs: npm install -g @azure/identity)
  s3://<bucket>/<prefix>      credentials: the AWS default chain (AWS_ACCESS_KEY_ID/..., profiles, roles)
  <folder>                    a local folder (the same layout as \`package\`)
The prefix is the presentation root: the Manifest lands at <prefix>/Manifest.

A re-run (after a crash, Ctrl-C or kill -9) lists the destination once and uploads only
objects that are missing or differ (size + MD5). The Manifest goes last, after every
fragment succeeded (and with --formats dash,hls the MPD and playlists just before it),
so players never see a presentation with holes.

Nothing of the owner's is taken away: --public keeps the container's stored access
policies (and the SAS tokens made from them) and never lowers container-level access;
--cors keeps every CORS rule and service setting; --policy keeps a different policy
file at the root (with a warning) unless --force.

Examples:
  smoothpub publish video.ism az://media/video.ism --policy --cors '*' --public
  smoothpub publish out/video.ism s3://my-bucket/films/video.ism --region eu-west-1
  smoothpub publish video.ism az://media/video.ism --formats smooth,dash,hls`,
    )
    .action(async (args: string[], opts: PublishCliOptions) => {
      if (opts.json) printStart('publish');
      // Loaded on use: `--help` and other commands need not load this command's library.
      const { publishPresentation } = await import('../../publish/publishPresentation.js');
      if (args.length < 2) throw new SmoothpubError(ErrorCode.BAD_OPTION, 'publish needs at least one input and a destination');
      const inputs = args.slice(0, -1);
      const dest = args[args.length - 1]!;
      const render = createPublishRenderer(opts.json === true, opts.progress);
      try {
        const summary = await publishPresentation({
          inputs,
          dest,
          concurrency: parseConcurrency(opts.concurrency),
          retry: { retries: parsePositiveInt('--retries', opts.retries, 100), baseDelayMs: 200, maxDelayMs: 30_000 },
          force: opts.force === true,
          dryRun: opts.dryRun === true,
          policy: opts.policy === true,
          fourCC: parseFourCC(opts.fourcc),
          fragmentDuration: parseFragmentDuration(opts.fragmentDuration),
          manifestTimeline: parseManifestTimeline(opts.manifestTimeline),
          formats: parseFormats(opts.formats),
          publicRead: opts.public === true,
          fragmentCacheControl: opts.fragmentCacheControl,
          manifestCacheControl: opts.manifestCacheControl,
          ...(opts.cors !== undefined && { cors: opts.cors.split(',').map((s) => s.trim()).filter(Boolean) }),
          ...storeLocation(opts),
          signal,
          onEvent: render.event,
        });
        render.stop();
        if (opts.json) {
          printEvent('result', { command: 'publish', ...summary });
        } else {
          const verb = summary.dryRun ? 'would upload' : 'uploaded';
          const kept = summary.kept > 0 ? `, kept ${summary.kept} of the owner's` : '';
          process.stdout.write(
            `${verb} ${summary.uploaded} of ${summary.objects} objects (${formatBytes(summary.bytes)}), skipped ${summary.skipped} unchanged${kept}, ` +
              `${summary.retries} retries, ${summary.seconds.toFixed(2)} s, ${formatBytes(summary.throughput)}/s\n` +
              `to ${summary.store}\n`,
          );
          if (summary.publicAccess) process.stdout.write(describePublicAccess(summary.publicAccess));
          if (summary.cors) process.stdout.write(summary.cors === 'added' ? 'CORS: rule added after the existing ones\n' : 'CORS: the existing rules already allow these origins\n');
        }
      } finally {
        render.stop();
      }
    });
}

function describePublicAccess(p: PublicReadChange): string {
  const policies = `${p.storedAccessPolicies} stored access polic${p.storedAccessPolicies === 1 ? 'y' : 'ies'} kept`;
  if (p.before === p.after) return `public access: already ${p.after}, left as it is (${policies})\n`;
  return `public access: ${p.before} -> ${p.after} (${policies})\n`;
}

/** Progress bar on a TTY; JSON lines with --json (progress at most 4 per second). */
function createPublishRenderer(json: boolean, progress: boolean): { event(e: PublishEvent): void; stop(): void } {
  if (json) {
    const printProgress = throttle<Extract<PublishEvent, { type: 'progress' }>>(
      (p) => printEvent('progress', { done: p.done, objects: p.objects, bytes: p.bytes, totalBytes: p.totalBytes, uploaded: p.uploaded, skipped: p.skipped, retries: p.retries }),
      (p) => p.done === p.objects,
    );
    return {
      event(e) {
        switch (e.type) {
          case 'start':
            // The plan's size, as a first progress line (the `start` line came before any work).
            printEvent('progress', { done: 0, objects: e.objects, bytes: 0, totalBytes: e.bytes, uploaded: 0, skipped: 0, retries: 0 });
            return;
          case 'progress':
            printProgress(e);
            return;
          case 'object':
            printEvent('object', { key: e.key, action: e.action, size: e.size });
            return;
          case 'retry':
            printEvent('warning', diagnostic('publish.retry', `retry ${e.attempt} of ${e.key} in ${e.delayMs} ms: ${e.reason}`, { key: e.key, attempt: e.attempt, delayMs: e.delayMs, throttled: e.throttled }));
            return;
          case 'warning':
            printEvent('warning', diagnostic(e.code, e.message, e.context ?? (e.key === undefined ? {} : { key: e.key })));
            return;
        }
      },
      stop: () => undefined,
    };
  }
  const warn = (e: PublishEvent): void => {
    if (e.type === 'retry') process.stderr.write(`retry ${e.attempt} of ${e.key} in ${e.delayMs} ms: ${e.reason}\n`);
    if (e.type === 'warning') process.stderr.write(`warning ${e.code}: ${e.message}\n`);
  };
  if (!progress || !process.stderr.isTTY) return { event: warn, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: ' {bar} {percentage}% | {value}/{total} objects | {sent} | {rate}/s | ETA {eta_formatted} | retries {retries}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 100,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const warnings: PublishEvent[] = [];
  const t0 = performance.now();
  return {
    event(e) {
      if (e.type === 'warning') {
        // The bar redraws its line: warnings wait until it is gone.
        warnings.push(e);
      } else if (e.type === 'start') {
        bar.start(e.objects, 0, { sent: '0 B', rate: '0 B', retries: 0 });
        started = true;
      } else if (e.type === 'progress' && started) {
        const rate = e.bytes / Math.max(0.001, (performance.now() - t0) / 1000);
        bar.update(e.done, { sent: formatBytes(e.bytes), rate: formatBytes(rate), retries: e.retries });
      }
    },
    stop() {
      if (started) bar.stop();
      started = false;
      for (const w of warnings.splice(0)) warn(w);
    },
  };
}
