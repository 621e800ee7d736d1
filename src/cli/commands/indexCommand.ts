import type { Command } from 'commander';
import { printEvent, printStart } from '../events.js';
import { formatBytes } from '../output.js';
import { FRAGMENT_DURATION_OPTION, JSON_OPTION, parseFragmentDuration } from '../options.js';

export function registerIndex(program: Command, signal: AbortSignal): void {
  program
    .command('index')
    .description('write a sidecar index (<file>.smoothidx) beside each source, so `serve` answers its first request with one small read')
    .argument('<inputs...>', '.ismv/.isma or plain .mp4 files, .ism server manifests or *.ism folders')
    .option(...FRAGMENT_DURATION_OPTION)
    .option(...JSON_OPTION)
    .addHelpText('after', '\nA sidecar is bound to its source\'s size and mtime: after the source changes, `serve` ignores it.\nA plain MP4\'s sidecar holds its sample tables; the files of each input are cut together first,\nso a misaligned ladder fails here.\n\nExample:\n  smoothpub index media/*.ism')
    .action(async (inputs: string[], opts: { json?: boolean; fragmentDuration: string }) => {
      if (opts.json) printStart('index');
      const fragmentDuration = parseFragmentDuration(opts.fragmentDuration);
      // Loaded on use: `--help` and other commands need not load this command's library.
      const { writeSidecarsFor } = await import('../../fragments/sidecarInputs.js');
      const written = await writeSidecarsFor(
        inputs,
        (w) => {
          const samples = w.samples > 0 ? `, ${w.samples} samples` : '';
          if (opts.json) printEvent('object', { ...w });
          else process.stdout.write(`wrote ${w.sidecar} (${w.tracks} tracks, ${w.fragments} fragments${samples}, ${formatBytes(w.bytes)})\n`);
        },
        { fragmentDuration, signal },
      );
      if (opts.json) printEvent('result', { command: 'index', sidecars: written.length, bytes: written.reduce((n, w) => n + w.bytes, 0) });
    });
}
