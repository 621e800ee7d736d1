import type { Command } from 'commander';
import { cliProgress } from '../cliProgress.js';
import { ErrorCode, SmoothpubError } from '../../errors.js';
import { DEFAULT_CONCURRENCY } from '../../publish/defaults.js';
import type { PublishEvent } from '../../publish/publishPlan.js';
import { printEvent, printStart, throttle } from '../events.js';
import { describePublicAccess, publishEventLine, publishEventText } from './publishEvents.js';
import {
  addTextOptions,
  textInputs,
  type TextCliOptions,
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
  FORMATS_OPTION, parseFormats,
  addProtectionOptions,
  type ProtectionCliOptions, addProtectionHeaderOption, passthroughHeaders } from '../options.js';
import { formatBytes } from '../output.js';

interface PublishCliOptions extends ProtectionCliOptions, TextCliOptions {
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
  protectionHeader?: string[];
  json?: boolean;
  progress: boolean;
  all?: boolean;
  list?: string;
  sourceEndpoint?: string;
}

export function registerPublish(program: Command, signal: AbortSignal): void {
  const command = program
    .command('publish')
    .description('upload a presentation, or a whole library of them (--all, --list), to Azure Blob Storage, S3 or a folder: fragments first, the Manifest last, resumable')
    .argument('<inputs_and_dest...>', 'inputs (.ismv/.isma/.ism, or one packaged folder), then the destination; with --all or --list: the library, then the destination prefix')
    .option('--all', 'publish every presentation under the library (a folder, az:// or s3:// prefix): .ism files, *.ism/ folders of media, packaged folders; each to <destination>/<its path>/')
    .option('--list <file>', 'publish the library presentations this file names, one a line (a .ism, a folder; relative to the library, or a URL or absolute path under it)')
    .option('--source-endpoint <url>', 'blob service / S3 endpoint of a remote library (default: --endpoint when the library and destination are the same kind of store)')
    .option('--endpoint <url>', 'blob service / S3 endpoint (Azurite: http://127.0.0.1:10000/devstoreaccount1)')
    .option('--region <region>', 'S3 region (default: from the AWS environment)')
    .option('--path-style', 'S3 path-style addressing (default when --endpoint is given)')
    .option('--concurrency <n>', 'requests in flight (--all, --list: shared by the whole library)', String(DEFAULT_CONCURRENCY))
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
    .option(...JSON_OPTION);
  addTextOptions(addProtectionHeaderOption(addProtectionOptions(command)))
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

Libraries (--all, --list): smoothpub publish --all <library> <destination-prefix>
  The library is a folder, az://container/prefix or s3://bucket/prefix (read by range, with
  the destination's credentials). Every .ism, every folder named *.ism holding .ismv/.isma/
  .mp4/.m4a files, and (local libraries) every packaged folder with a Manifest is published
  to <destination-prefix>/<its path in the library>/, where \`serve <library>\` answers it:
  films/a/video.ism -> <destination-prefix>/films/a/video.ism/Manifest. --concurrency is
  shared by all of them. A presentation that fails (corrupt source, unreadable .ism) is
  reported and the others go on; every failure is listed at the end, exit code 1.

A re-run (after a crash, Ctrl-C or kill -9) lists the destination once and uploads only
objects that are missing or differ (size + MD5). The Manifest goes last, after every
fragment succeeded (and with --formats dash,hls the MPD and playlists just before it),
so players never see a presentation with holes.

With --key or --cpix the fragments are encrypted on the way (sources only: a packaged
folder is uploaded as it is; package it with the key instead). With --all every
presentation gets the same keys.

Nothing of the owner's is taken away: --public keeps the container's stored access
policies (and the SAS tokens made from them) and never lowers container-level access;
--cors keeps every CORS rule and service setting; --policy keeps a different policy
file at the root (with a warning) unless --force.

Examples:
  smoothpub publish video.ism az://media/video.ism --policy --cors '*' --public
  smoothpub publish out/video.ism s3://my-bucket/films/video.ism --region eu-west-1
  smoothpub publish video.ism az://media/video.ism --formats smooth,dash,hls
  smoothpub publish --all az://archive/assets az://media/films --public --cors '*' --formats smooth,dash,hls
  smoothpub publish --list todo.txt /srv/media s3://my-bucket/films`,
    )
    .action(async (args: string[], opts: PublishCliOptions) => {
      if (opts.json) printStart('publish');
      if (args.length < 2) throw new SmoothpubError(ErrorCode.BAD_OPTION, 'publish needs at least one input and a destination');
      const { readProtection } = await import('../readProtection.js');
      const protection = await readProtection(opts, signal);
      // One set of options for a presentation and for each presentation of a library.
      const common = {
        concurrency: parseConcurrency(opts.concurrency),
        retry: { retries: parsePositiveInt('--retries', opts.retries, 100), baseDelayMs: 200, maxDelayMs: 30_000 },
        force: opts.force === true,
        dryRun: opts.dryRun === true,
        policy: opts.policy === true,
        fourCC: parseFourCC(opts.fourcc),
        fragmentDuration: parseFragmentDuration(opts.fragmentDuration),
        manifestTimeline: parseManifestTimeline(opts.manifestTimeline),
        formats: parseFormats(opts.formats),
        ...passthroughHeaders(opts.protectionHeader),
        ...textInputs(opts),
        publicRead: opts.public === true,
        fragmentCacheControl: opts.fragmentCacheControl,
        manifestCacheControl: opts.manifestCacheControl,
        ...(opts.cors !== undefined && { cors: opts.cors.split(',').map((s) => s.trim()).filter(Boolean) }),
        ...storeLocation(opts),
        ...(protection && { protection }),
        signal,
      };
      if (opts.all === true || opts.list !== undefined) {
        // One subtitle file belongs to one presentation: a library's are named by each .ism.
        if ((opts.text?.length ?? 0) > 0) throw new SmoothpubError(ErrorCode.BAD_OPTION, "--text is for one presentation; a library's subtitle files are named by each .ism (<textstream src=... systemLanguage=...>)");
        const { runPublishLibrary } = await import('./publishLibrary.js');
        await runPublishLibrary(args, { ...opts, json: opts.json === true }, common);
        return;
      }
      if (opts.sourceEndpoint !== undefined) throw new SmoothpubError(ErrorCode.BAD_OPTION, '--source-endpoint is for a library (--all or --list)');
      // Loaded on use: `--help` and other commands need not load this command's library.
      const { publishPresentation } = await import('../../publish/publishPresentation.js');
      const inputs = args.slice(0, -1);
      const dest = args[args.length - 1]!;
      const render = createPublishRenderer(opts.json === true, opts.progress);
      try {
        const summary = await publishPresentation({ inputs, dest, ...common, onEvent: render.event });
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


/** Progress bar on a TTY; JSON lines with --json (progress at most 4 per second). */
function createPublishRenderer(json: boolean, progress: boolean): { event(e: PublishEvent): void; stop(): void } {
  if (json) {
    const printProgress = throttle<Extract<PublishEvent, { type: 'progress' }>>(
      (p) => printEvent(...publishEventLine(p)),
      (p) => p.done === p.objects,
    );
    return {
      event(e) {
        if (e.type === 'progress') printProgress(e);
        else printEvent(...publishEventLine(e));
      },
      stop: () => undefined,
    };
  }
  const warn = (e: PublishEvent): void => {
    const line = publishEventText(e);
    if (line !== undefined) process.stderr.write(`${line}\n`);
  };
  if (!progress || !process.stderr.isTTY) return { event: warn, stop: () => undefined };
  const bar = new (cliProgress().SingleBar)(
    {
      stream: process.stderr,
      format: ' {bar} {percentage}% | {value}/{total} objects | {sent} | {rate}/s | ETA {eta_formatted} | retries {retries}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 100,
    },
    cliProgress().Presets.shades_classic,
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
