import type { Command } from 'commander';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPackageRoot } from '../../play/packageRoot.js';
import { printEvent, printStart } from '../events.js';
import { FORMATS_OPTION, FOURCC_OPTION, FRAGMENT_DURATION_OPTION, HOST_OPTION, JSON_OPTION, PORT_OPTION, parseFormats, parseFourCC, parseFragmentDuration, parsePort } from '../options.js';
import { DRAIN_MS, STOP_GRACE_MS, untilAborted, asStopping, type Stopping } from '../interrupt.js';
import { trackLeftover } from '../../util/leftovers.js';

/** The bundled sample: a small clean ladder (3 H.264 levels + AAC) made by scripts/make-fixtures.sh. */
export function bundledSample(): string {
  return join(findPackageRoot(), 'test', 'fixtures', 'clean', 'clean.ism');
}

interface PlayOptions {
  host: string;
  port: string;
  fragmentDuration: string;
  fourcc: string;
  formats: string;
  json?: boolean;
}

export function registerPlay(program: Command, stop: AbortSignal | Stopping): void {
  const interrupt = asStopping(stop);
  const { signal } = interrupt;
  program
    .command('play')
    .description('package (if needed) and serve a presentation with a player page on this machine (Smooth and DASH in dash.js, HLS in hls.js)')
    .argument('[inputs...]', 'a packaged folder, or .ismv/.isma files / a .ism (default: the bundled sample)')
    .option(...HOST_OPTION)
    .option(...PORT_OPTION)
    .option(...FRAGMENT_DURATION_OPTION)
    .option(...FOURCC_OPTION)
    .option(FORMATS_OPTION[0], 'formats to package sources in (comma-separated: smooth, dash, hls)', 'smooth,dash,hls')
    .option(...JSON_OPTION)
    .addHelpText('after', '\nThe page (at the printed URL) offers each format whose document the folder holds: Manifest,\nmanifest.mpd, master.m3u8. Runs until stopped: on SIGTERM (or Ctrl-C) it stops accepting, lets responses in flight\nfinish (up to 5 s), removes its temporary package and exits 0 (130 after Ctrl-C).\n\nExamples:\n  smoothpub play                      # the bundled sample\n  smoothpub play out/video.ism        # a packaged folder\n  smoothpub play video.ism --port 0')
    .action(async (inputs: string[], opts: PlayOptions) => {
      if (opts.json) printStart('play');
      // Loaded on use: `--help` and other commands need not load this command's library.
      const { packagePresentation } = await import('../../package/packagePresentation.js');
      const { startStaticServer } = await import('../../play/staticServer.js');
      const { isPresentationFolder } = await import('../../plan/planFromFolder.js');
      const port = parsePort(opts.port);
      const fragmentDuration = parseFragmentDuration(opts.fragmentDuration);
      const fourCC = parseFourCC(opts.fourcc);
      const formats = parseFormats(opts.formats);
      let root: string;
      let temp: string | undefined;
      let untrack = (): void => undefined;
      const first = inputs[0];
      try {
        if (inputs.length === 1 && first !== undefined && (await isPresentationFolder(first))) {
          root = first;
        } else {
          temp = await mkdtemp(join(tmpdir(), 'smoothpub-play-'));
          untrack = trackLeftover(temp);
          root = join(temp, 'video.ism');
          const sources = inputs.length > 0 ? inputs : [bundledSample()];
          const result = await packagePresentation({ inputs: sources, outDir: root, fragmentDuration, fourCC, formats, signal });
          if (!opts.json) process.stderr.write(`packaged ${sources.join(' ')}: ${result.objects} objects\n`);
        }
        signal.throwIfAborted();
        const server = await startStaticServer({ root, host: opts.host, port });
        const manifest = `${server.url}video.ism/Manifest`;
        const player = `${server.url}?manifest=${encodeURIComponent('/video.ism/Manifest')}`;
        if (opts.json) printEvent('listening', { url: server.url, player, manifest });
        else process.stdout.write(`player:   ${player}\nmanifest: ${manifest}\nPress Ctrl-C to stop.\n`);
        await untilAborted(signal);
        // Stop accepting, let responses in flight finish (bounded), then exit 0 on SIGTERM.
        interrupt.allowGrace(DRAIN_MS + STOP_GRACE_MS);
        await server.close(DRAIN_MS);
        interrupt.stoppedCleanly();
        if (opts.json) printEvent('result', { command: 'play', url: server.url });
      } finally {
        // Also when packaging or listening failed (a port in use): no temp package left behind.
        if (temp !== undefined) await rm(temp, { recursive: true, force: true }).catch(() => undefined);
        untrack();
      }
    });
}
