import type { Command } from 'commander';
import { addProtectionOptions, type ProtectionCliOptions, FORCE_FLAGS, FORMATS_OPTION, FOURCC_OPTION, parseFormats, FRAGMENT_DURATION_OPTION, JSON_OPTION, MANIFEST_TIMELINE_OPTION, parseFourCC, parseConcurrency, parseFragmentDuration, parseManifestTimeline, addProtectionHeaderOption, passthroughHeaders, addTextOptions, textInputs, type TextCliOptions } from '../options.js';
import { reportWarnings } from '../events.js';
import { runWithProgress } from '../progress.js';
import { formatBytes } from '../output.js';

/** Writer threads cost about 8 MB each; past a handful a local disk gains nothing. */
const MAX_WRITER_THREADS = 16;

interface PackageCliOptions extends ProtectionCliOptions, TextCliOptions {
  output: string;
  policy?: boolean;
  force?: boolean;
  fourcc: string;
  concurrency?: string;
  fragmentDuration: string;
  manifestTimeline: string;
  formats: string;
  protectionHeader?: string[];
  json?: boolean;
  progress: boolean;
}

export function registerPackage(program: Command, signal: AbortSignal): void {
  const command = program
    .command('package')
    .description('write a static Smooth Streaming presentation folder: Manifest + QualityLevels(b)/Fragments(name=t)')
    .argument('<inputs...>', '.ismv/.isma or plain .mp4 files and/or a .ism server manifest')
    .requiredOption('-o, --output <dir>', 'output folder (e.g. out/video.ism); created atomically')
    .option('--policy', 'also write clientaccesspolicy.xml and crossdomain.xml')
    .option(FORCE_FLAGS, 'replace the output folder if it exists (else output.exists)')
    .option(...FOURCC_OPTION)
    .option('--concurrency <n>', 'writer threads, one file at a time each (default: one a core, up to 2; more can help on network filesystems)')
    .option(...FRAGMENT_DURATION_OPTION)
    .option(...MANIFEST_TIMELINE_OPTION)
    .option(...FORMATS_OPTION)
    .option('--no-progress', 'no progress bar')
    .option(...JSON_OPTION);
  addTextOptions(addProtectionHeaderOption(addProtectionOptions(command)))
    .addHelpText(
      'after',
      '\nEach fragment is the exact moof+mdat bytes of its source (with --formats dash or hls, a\nfragment without a tfdt gets one in its moof; the mdat stays the source\'s). Nothing\nappears at the output path until the whole presentation is written.\n\nWith --text each subtitle file becomes a text stream: TTML fragments (FourCC TTML) at\nthe video fragments\' times for Smooth and DASH (stpp), WebVTT segments for HLS\n(SUBTITLES). Text stays clear when the rest is encrypted.\n\nWith --key or --cpix every fragment is encrypted (Common Encryption, the same protected\ncopy for every format) and the Manifest, MPD and playlists signal PlayReady, Widevine\n(and FairPlay with cbcs).\n\nExamples:\n  smoothpub package video.ism -o out/video.ism\n  smoothpub package v1.ismv v2.ismv audio.isma -o out/video.ism --policy\n  smoothpub package video.ism -o out/video.ism --formats smooth,dash,hls\n  smoothpub package video.ism --text subs_en.vtt:eng:English --text subs_fr.srt:fra -o out/video.ism --formats smooth,dash,hls\n  smoothpub package video.ism -o out/video.ism --formats smooth,dash,hls --key <kid>:<key> --playready-la-url https://license.example/rightsmanager.asmx',
    )
    .action(async (inputs: string[], opts: PackageCliOptions) => {
      // The writer threads start while this command's library loads and the sources are
      // indexed, ready by the time the first fragments are.
      const { prestartWriter, defaultWriterThreads } = await import('../../package/writerPool.js');
      prestartWriter(opts.concurrency === undefined ? defaultWriterThreads() : 1);
      // Loaded on use: `--help` and other commands need not load this command's library.
      const { packagePresentation } = await import('../../package/packagePresentation.js');
      const { readProtection } = await import('../readProtection.js');
      await runWithProgress(
        { command: 'package', json: opts.json === true, progress: opts.progress },
        async (onProgress) => {
          const protection = await readProtection(opts, signal);
          return packagePresentation({
            inputs,
            outDir: opts.output,
            policy: opts.policy === true,
            overwrite: opts.force === true,
            fourCC: parseFourCC(opts.fourcc),
            ...(opts.concurrency !== undefined && { concurrency: parseConcurrency(opts.concurrency, MAX_WRITER_THREADS) }),
            fragmentDuration: parseFragmentDuration(opts.fragmentDuration),
            manifestTimeline: parseManifestTimeline(opts.manifestTimeline),
            formats: parseFormats(opts.formats),
            ...passthroughHeaders(opts.protectionHeader),
            ...textInputs(opts),
            signal,
            onProgress,
            ...(protection && { protection }),
          });
        },
        {
          json: (result, seconds) => {
            reportWarnings(result.warnings, true);
            return { outDir: result.outDir, objects: result.objects, bytes: result.bytes, seconds, manifest: `${result.outDir}/Manifest`, warnings: result.warnings, ...(result.encryption && { encryption: result.encryption }) };
          },
          text: (result, seconds) => {
            reportWarnings(result.warnings, false);
            const kids = result.encryption && Object.entries(result.encryption.kids).map(([type, kid]) => `${type} KID ${kid}`).join(', ');
            const encrypted = result.encryption ? `encrypted: ${result.encryption.scheme}, ${kids}\n` : '';
            return `packaged ${result.objects} objects (${formatBytes(result.bytes)}) in ${seconds.toFixed(2)} s\n${encrypted}manifest: ${result.outDir}/Manifest\n`;
          },
        },
      );
    });
}

