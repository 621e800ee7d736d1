import type { Command } from 'commander';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPackageRoot } from '../../play/packageRoot.js';
import { printEvent, printStart } from '../events.js';
import { FOURCC_OPTION, FRAGMENT_DURATION_OPTION, HOST_OPTION, JSON_OPTION, PORT_OPTION, parseFourCC, parseFragmentDuration, parsePort } from '../options.js';

/** The bundled sample: a small clean ladder (3 H.264 levels + AAC) made by scripts/make-fixtures.sh. */
export function bundledSample(): string {
  return join(findPackageRoot(), 'test', 'fixtures', 'clean', 'clean.ism');
}

interface PlayOptions {
  host: string;
  port: string;
  fragmentDuration: string;
  fourcc: string;
  json?: boolean;
}

export function registerPlay(program: Command, signal: AbortSignal): void {
  program
    .command('play')
    .description('package (if needed) and serve a presentation with a player page (dash.js) on this machine')
    .argument('[inputs...]', 'a packaged folder, or .ismv/.isma files / a .ism (default: the bundled sample)')
    .option(...HOST_OPTION)
    .option(...PORT_OPTION)
    .option(...FRAGMENT_DURATION_OPTION)
    .option(...FOURCC_OPTION)
    .option(...JSON_OPTION)
    .addHelpText('after', '\nRuns until interrupted (Ctrl-C).\n\nExamples:\n  smoothpub play                      # the bundled sample\n  smoothpub play out/video.ism        # a packaged folder\n  smoothpub play video.ism --port 0')
    .action(async (inputs: string[], opts: PlayOptions) => {
      if (opts.json) printStart('play');
      // Loaded on use: `--help` and other commands need not load this command's library.
      const { packagePresentation } = await import('../../package/packagePresentation.js');
      const { startStaticServer } = await import('../../play/staticServer.js');
      const { isPresentationFolder } = await import('../../plan/planFromFolder.js');
      const port = parsePort(opts.port);
      const fragmentDuration = parseFragmentDuration(opts.fragmentDuration);
      const fourCC = parseFourCC(opts.fourcc);
      let root: string;
      let temp: string | undefined;
      const first = inputs[0];
      if (inputs.length === 1 && first !== undefined && (await isPresentationFolder(first))) {
        root = first;
      } else {
        temp = await mkdtemp(join(tmpdir(), 'smoothpub-play-'));
        root = join(temp, 'video.ism');
        const sources = inputs.length > 0 ? inputs : [bundledSample()];
        const result = await packagePresentation({ inputs: sources, outDir: root, fragmentDuration, fourCC, signal });
        if (!opts.json) process.stderr.write(`packaged ${sources.join(' ')}: ${result.objects} objects\n`);
      }
      const server = await startStaticServer({ root, host: opts.host, port });
      const manifest = `${server.url}video.ism/Manifest`;
      const player = `${server.url}?manifest=${encodeURIComponent('/video.ism/Manifest')}`;
      if (opts.json) printEvent('listening', { url: server.url, player, manifest });
      else process.stdout.write(`player:   ${player}\nmanifest: ${manifest}\nPress Ctrl-C to stop.\n`);
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await server.close();
      if (temp) await rm(temp, { recursive: true, force: true });
      if (opts.json) printEvent('result', { command: 'play', url: server.url });
    });
}
