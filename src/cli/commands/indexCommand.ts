import type { Command } from 'commander';
import { formatBytes, toJson } from '../output.js';

export function registerIndex(program: Command): void {
  program
    .command('index')
    .description('write a sidecar index (<file>.smoothidx) beside each source, so `serve` answers its first request with one small read')
    .argument('<inputs...>', '.ismv/.isma files, .ism server manifests or *.ism folders')
    .option('--json', 'print one JSON line per sidecar written')
    .addHelpText('after', '\nA sidecar is bound to its source\'s size and mtime: after the source changes, `serve` ignores it.\n\nExample:\n  smoothpub index media/*.ism')
    .action(async (inputs: string[], opts: { json?: boolean }) => {
      // Loaded on use: `--help` and other commands need not load this command's library.
      const { writeSidecarsFor } = await import('../../index/sidecarInputs.js');
      await writeSidecarsFor(inputs, (w) => {
        process.stdout.write(opts.json ? toJson(w) + '\n' : `wrote ${w.sidecar} (${w.tracks} tracks, ${w.fragments} fragments, ${formatBytes(w.bytes)})\n`);
      });
    });
}
