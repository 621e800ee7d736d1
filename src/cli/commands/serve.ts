import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { ErrorCode, SmoothpubError } from '../../errors.js';
import { parsePositiveInt } from '../options.js';
import { toJson } from '../output.js';

interface ServeCliOptions {
  host: string;
  port: string;
  cors: string;
  cache: string;
  writeIndex?: boolean;
  json?: boolean;
}

export function registerServe(program: Command, signal: AbortSignal): void {
  program
    .command('serve')
    .description('a Smooth Streaming origin: answer Manifest and fragment URLs from byte ranges of the original ISMV/ISMA files')
    .argument('<root>', 'folder of presentations: <path>.ism server manifests, or <path>.ism/ folders of .ismv/.isma files')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', '8080')
    .option('--cors <origins>', "Access-Control-Allow-Origin: '*', an origin or a comma-separated list; '' for none", '*')
    .option('--cache <n>', 'presentations kept indexed in memory', '1000')
    .option('--write-index', 'write a sidecar index beside each source the origin has to index')
    .option('--json', 'print the URL and errors as JSON lines')
    .addHelpText(
      'after',
      '\n<root>/a/video.ism is served at http://HOST:PORT/a/video.ism/Manifest.\nRuns until interrupted (Ctrl-C).\n\nExamples:\n  smoothpub serve /srv/media --port 8080\n  smoothpub index /srv/media/*.ism && smoothpub serve /srv/media --host 0.0.0.0',
    )
    .action(async (root: string, opts: ServeCliOptions) => {
      // Loaded on use: `--help` and other commands need not load this command's library.
      const { createOrigin } = await import('../../origin/createOrigin.js');
      const { errorOutcome } = await import('../../origin/errorStatus.js');
      const { createOriginServer } = await import('../../origin/nodeAdapter.js');
      const port = opts.port === '0' ? 0 : parsePositiveInt('--port', opts.port, 65535);
      const cache = parsePositiveInt('--cache', opts.cache, 10_000_000);
      const info = await stat(root).catch(() => undefined);
      if (!info?.isDirectory()) throw new SmoothpubError(ErrorCode.BAD_OPTION, `serve: <root> must be a folder, got '${root}'`);
      const handler = createOrigin({
        root: resolve(root),
        cors: opts.cors,
        maxCachedPresentations: cache,
        writeSidecars: opts.writeIndex === true,
        onError: (e, request) => {
          const { code } = errorOutcome(e);
          const message = e instanceof Error ? e.message : String(e);
          process.stderr.write(opts.json ? toJson({ error: { code, message, url: request.url } }) + '\n' : `error ${code}: ${request.method} ${new URL(request.url).pathname}: ${message}\n`);
        },
      });
      const server = createOriginServer(handler);
      await new Promise<void>((ok, fail) => {
        server.once('error', fail);
        server.listen(port, opts.host, () => ok());
      });
      const address = server.address() as AddressInfo;
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      const url = `http://${host}:${address.port}/`;
      process.stdout.write(opts.json ? toJson({ url, root: resolve(root) }) + '\n' : `serving ${resolve(root)} at ${url}\n  e.g. ${url}<path>.ism/Manifest\nPress Ctrl-C to stop.\n`);
      await new Promise<void>((done) => {
        if (signal.aborted) done();
        signal.addEventListener('abort', () => done(), { once: true });
      });
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    });
}
