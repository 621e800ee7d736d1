import type { Command } from 'commander';
import { FORCE_FLAGS, FOURCC_OPTION, FRAGMENT_DURATION_OPTION, JSON_OPTION, MANIFEST_TIMELINE_OPTION, parseConcurrency, parseFourCC, parseFragmentDuration, parseManifestTimeline, addTextOptions, textInputs, type TextCliOptions } from '../options.js';
import { reportWarnings } from '../events.js';
import { runWithProgress } from '../progress.js';
import { formatBytes } from '../output.js';

interface RemuxCliOptions extends TextCliOptions {
  output: string;
  force?: boolean;
  fourcc: string;
  concurrency: string;
  manifestTimeline: string;
  fragmentDuration: string;
  json?: boolean;
  progress: boolean;
}

export function registerRemux(program: Command, signal: AbortSignal): void {
  const command = program
    .command('remux')
    .description('write IIS-style files: one .ismv/.isma per quality level and one .ismt per text stream (with mfra), a .ism server manifest and a .ismc client manifest')
    .argument('<inputs...>', 'media files and/or a .ism server manifest')
    .requiredOption('-o, --output <dir-or-name.ism>', 'out/video.ism (files go in out/) or a folder (files named after it)')
    .option(FORCE_FLAGS, 'replace files of the same names in the output folder (else output.exists; other files are left alone)')
    .option(...FOURCC_OPTION)
    .option('--concurrency <n>', 'files written in parallel', '4')
    .option(...MANIFEST_TIMELINE_OPTION)
    .option(...FRAGMENT_DURATION_OPTION)
    .option('--no-progress', 'no progress bar')
    .option(...JSON_OPTION);
  addTextOptions(command)
    .addHelpText(
      'after',
      '\nFiles: <name>_<bitrate>.ismv per video level, <name>_<stream>_<bitrate>.isma per audio\nlevel, <name>_<stream>_<bitrate>.ismt per text stream, <name>.ism, <name>.ismc. Every fragment keeps its exact bytes. Nothing appears\nin the output folder until every file is written.\n\nExamples:\n  smoothpub remux v1.ismv v2.ismv audio.isma -o out/video.ism\n  smoothpub remux video.ism -o out/video',
    )
    .action(async (inputs: string[], opts: RemuxCliOptions) => {
      // Loaded on use: `--help` and other commands need not load this command's library.
      const { remuxPresentation } = await import('../../remux/remuxPresentation.js');
      await runWithProgress(
        { command: 'remux', json: opts.json === true, progress: opts.progress },
        (onProgress) =>
          remuxPresentation({
            inputs,
            output: opts.output,
            overwrite: opts.force === true,
            fourCC: parseFourCC(opts.fourcc),
            concurrency: parseConcurrency(opts.concurrency),
            manifestTimeline: parseManifestTimeline(opts.manifestTimeline),
            fragmentDuration: parseFragmentDuration(opts.fragmentDuration),
            ...textInputs(opts),
            signal,
            onProgress,
          }),
        {
          json: (result, seconds) => {
            reportWarnings(result.warnings, true);
            return { ism: result.ism, ismc: result.ismc, files: result.files, fragments: result.fragments, bytes: result.bytes, seconds, warnings: result.warnings };
          },
          text: (result, seconds) => {
            reportWarnings(result.warnings, false);
            return `remuxed ${result.fragments} fragments into ${result.files.length} files (${formatBytes(result.bytes)}) in ${seconds.toFixed(2)} s\nserver manifest: ${result.ism}\n`;
          },
        },
      );
    });
}
